import "../cdktf-matchers";
import { parse } from "@cdktf/hcl2json";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import {
  ClusterDatabase,
  ClusterDatabaseEngine,
  ClusterDatabaseNetwork,
  ClusterDatabaseProps,
} from "../../src/constructs/cluster-database";
import { exportHcl } from "../../src/hcl/export";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

/** A stand-in for ClusterNetwork: the two fields the database reads, with a real security group. */
function network(stack: TerraformStack, subnetIds: readonly string[] = ["subnet-a", "subnet-b"]) {
  const databaseSecurityGroup = new SecurityGroup(stack, "database_sg", { name: "db", vpcId: "vpc-1" });
  return { subnetIds, databaseSecurityGroup } satisfies ClusterDatabaseNetwork;
}

type Props = Omit<ClusterDatabaseProps, "network">;
const PROPS: Omit<Props, "masterPassword"> = { identifier: "kc-db" };
/** The master password the tests give unless told otherwise: a reference, as KeycloakCluster gives one. */
const PASSWORD_REF = "${var.db_password}";

/** The stack holding one ClusterDatabase (built in a fresh stack unless given), its password a sensitive variable
 * unless given. */
function build(props: Partial<Props> = {}, stack = newStack()) {
  const masterPassword =
    props.masterPassword ??
    new TerraformVariable(stack, "db_password", { type: "string", sensitive: true }).stringValue;
  const database = new ClusterDatabase(stack, "database", {
    ...PROPS,
    ...props,
    masterPassword,
    network: network(stack),
  });
  return { stack, database };
}

/** The parsed JSON of a stack holding one ClusterDatabase, and its JSON text. */
function synth(props: Partial<Props> = {}, stack = newStack()) {
  build(props, stack);
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as Record<string, any> };
}

/** The only resource (or data source) of a type, with its logical id. */
function only(tf: Record<string, any>, type: string, block: "resource" | "data" = "resource"): Record<string, any> {
  const items = Object.entries(tf[block][type] ?? {});
  expect(items).toHaveLength(1);
  return { id: items[0][0], ...(items[0][1] as object) };
}

const expectThrow = (props: Partial<Props>, message: RegExp) => expect(() => build(props)).toThrow(message);

describe("ClusterDatabase validation", () => {
  it("refuses an engine given as a reference: it chooses RDS or Aurora resources at synth", () => {
    const stack = newStack();
    const engine = new TerraformVariable(stack, "engine", { type: "string" }).stringValue;
    expect(() => build({ engine: engine as ClusterDatabaseEngine }, stack)).toThrow(
      "ClusterDatabase: 'engine' must be a literal: it chooses RDS or Aurora resources at synth",
    );
  });

  it("grows storage up to five times a size given as a reference", () => {
    const stack = newStack();
    const size = new TerraformVariable(stack, "size", { type: "number" }).numberValue;
    const { tf } = synth({ allocatedStorage: size }, stack);
    expect(only(tf, "aws_db_instance")).toMatchObject({
      allocated_storage: "${var.size}",
      max_allocated_storage: "${(var.size * 5)}",
    });
  });

  it.each(["1db", "Keycloak", "kc--db", "kc-", "kc_db", "x".repeat(58)])("rejects the identifier %p", (identifier) => {
    // GIVEN / WHEN / THEN
    expectThrow({ identifier }, /ClusterDatabase: 'identifier' must be 1-57 lowercase letters/);
  });

  it("accepts an identifier of 57 characters, which leaves room for the final snapshot's suffix", () => {
    // GIVEN / WHEN / THEN
    expect(() => build({ identifier: `k${"-a".repeat(28)}` })).not.toThrow();
  });

  it("rejects an engine other than postgres and aurora-postgresql", () => {
    // GIVEN / WHEN / THEN
    expectThrow({ engine: "mysql" as ClusterDatabaseEngine }, /ClusterDatabase: 'engine' must be "postgres" or/);
  });

  it.each(["17.2", "v17", "", "017"])("rejects the engine version %p: a major version only", (engineVersion) => {
    // GIVEN / WHEN / THEN
    expectThrow({ engineVersion }, /ClusterDatabase: 'engineVersion' must be a major version such as "17"/);
  });

  it.each(["t4g.medium", "db.serverless", "db.t4g"])("rejects the instance class %p", (instanceClass) => {
    // GIVEN / WHEN / THEN
    expectThrow({ instanceClass }, /ClusterDatabase: 'instanceClass' must be a DB instance class/);
  });

  it.each([0, 6, 7.5, 36])("rejects %p days of backups", (backupRetentionDays) => {
    // GIVEN / WHEN / THEN
    expectThrow(
      { backupRetentionDays },
      /ClusterDatabase: 'backupRetentionDays' must be a whole number of days from 7 to 35/,
    );
  });

  it("accepts the bounds of 7 and 35 days of backups", () => {
    // GIVEN / WHEN / THEN
    expect(() => build({ backupRetentionDays: 7 })).not.toThrow();
    expect(() => build({ backupRetentionDays: 35 })).not.toThrow();
  });

  it.each([19, 20.5, 65537])("rejects %p GiB of storage", (allocatedStorage) => {
    // GIVEN / WHEN / THEN
    expectThrow({ allocatedStorage }, /ClusterDatabase: 'allocatedStorage' must be a whole number of GiB from 20/);
  });

  it.each([
    ["too short", "Short7x"],
    ["a space", "Pass word 1234"],
    ["a slash", "Pass/word1234"],
    ["a double quote", 'Pass"word1234'],
    ["an at sign", "Pass@word1234"],
    ["a line break", "Password1234\nx"],
    ["a non-ASCII letter", "Passwörd1234"],
    ["129 characters", "a".repeat(129)],
  ])("rejects a literal master password with %s, never showing it", (_what, masterPassword) => {
    // GIVEN / WHEN
    const attempt = () => build({ masterPassword });
    // THEN
    expect(attempt).toThrow(
      /ClusterDatabase: 'masterPassword' must be 8 to 128 printable ASCII characters without "\/", '"', "@" or spaces/,
    );
    expect(attempt).not.toThrow(masterPassword);
  });

  it("accepts a literal master password of 8 to 128 characters for postgres, and of at most 41 for Aurora", () => {
    // GIVEN / WHEN / THEN
    expect(() => build({ masterPassword: "Pa$$w0rd" })).not.toThrow();
    expect(() => build({ masterPassword: "x".repeat(128) })).not.toThrow();
    expect(() => build({ engine: "aurora-postgresql", masterPassword: "x".repeat(41) })).not.toThrow();
    expectThrow(
      { engine: "aurora-postgresql", masterPassword: "x".repeat(42) },
      /ClusterDatabase: 'masterPassword' must be 8 to 41 printable ASCII characters/,
    );
  });

  it("refuses a storage size for Aurora, whose storage grows by itself", () => {
    // GIVEN / WHEN / THEN
    expectThrow(
      { engine: "aurora-postgresql", allocatedStorage: 50 },
      /ClusterDatabase: 'allocatedStorage' is only for engine postgres/,
    );
  });
});

describe("ClusterDatabase on RDS for PostgreSQL", () => {
  it("is an encrypted, private, Multi-AZ PostgreSQL 17 on gp3, with the keycloak database and user", () => {
    // GIVEN / WHEN
    const { tf } = synth();
    // THEN
    expect(only(tf, "aws_db_instance")).toMatchObject({
      identifier: "kc-db",
      engine: "postgres",
      engine_version: "17",
      instance_class: "db.t4g.medium",
      allocated_storage: 20,
      storage_type: "gp3",
      storage_encrypted: true,
      multi_az: true,
      publicly_accessible: false,
      db_name: "keycloak",
      username: "keycloak",
      auto_minor_version_upgrade: true,
      apply_immediately: false,
      performance_insights_enabled: false,
    });
  });

  it("sets the master password given, a reference, and lets RDS manage none (it would rotate it weekly)", () => {
    // GIVEN / WHEN
    const instance = only(synth().tf, "aws_db_instance");
    // THEN
    expect(instance.password).toBe(PASSWORD_REF);
    expect(instance).not.toHaveProperty("manage_master_user_password");
  });

  it("takes a random_password's result as the master password", () => {
    // GIVEN
    const stack = newStack();
    new RandomProvider(stack, "random");
    const password = new Password(stack, "db_password", { length: 32, special: false });
    // WHEN
    const { tf } = synth({ masterPassword: password.result }, stack);
    // THEN
    expect(only(tf, "aws_db_instance").password).toBe("${random_password.db_password.result}");
  });

  it("keeps 14 days of automated backups, also after a deletion, and copies tags to snapshots", () => {
    // GIVEN / WHEN
    const instance = only(synth().tf, "aws_db_instance");
    // THEN
    expect(instance).toMatchObject({
      backup_retention_period: 14,
      delete_automated_backups: false,
      copy_tags_to_snapshot: true,
    });
  });

  it("is protected from deletion by RDS and by Terraform, and takes a final snapshot", () => {
    // GIVEN / WHEN
    const instance = only(synth().tf, "aws_db_instance");
    // THEN
    expect(instance).toMatchObject({
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "kc-db-final",
      lifecycle: { prevent_destroy: true },
    });
  });

  it("may be deleted when unprotected, still through a final snapshot", () => {
    // GIVEN / WHEN
    const instance = only(synth({ protect: false }).tf, "aws_db_instance");
    // THEN
    expect(instance).toMatchObject({
      deletion_protection: false,
      skip_final_snapshot: false,
      final_snapshot_identifier: "kc-db-final",
    });
    expect(instance).not.toHaveProperty("lifecycle");
  });

  it("forces TLS in a postgres17 parameter group of its own, replaced before the old one goes", () => {
    // GIVEN / WHEN
    const { tf, json } = synth();
    // THEN
    const group = only(tf, "aws_db_parameter_group");
    expect(group).toMatchObject({
      family: "postgres17",
      name_prefix: "kc-db-",
      parameter: [{ name: "rds.force_ssl", value: "1", apply_method: "pending-reboot" }],
      lifecycle: { create_before_destroy: true },
    });
    expect(json).toHaveResourceWithProperties(DbInstance, {
      parameter_group_name: `\${aws_db_parameter_group.${group.id}.name}`,
    });
  });

  it("is single-AZ when asked, with the storage size given", () => {
    // GIVEN / WHEN
    const instance = only(synth({ multiAz: false, allocatedStorage: 100 }).tf, "aws_db_instance");
    // THEN
    expect(instance).toMatchObject({ multi_az: false, allocated_storage: 100 });
  });

  it("lives in the network's subnets, behind the database security group only", () => {
    // GIVEN / WHEN
    const { tf } = synth();
    // THEN
    const subnetGroup = only(tf, "aws_db_subnet_group");
    expect(subnetGroup).toMatchObject({ name: "kc-db", subnet_ids: ["subnet-a", "subnet-b"] });
    expect(only(tf, "aws_db_instance")).toMatchObject({
      db_subnet_group_name: `\${aws_db_subnet_group.${subnetGroup.id}.name}`,
      vpc_security_group_ids: ["${aws_security_group.database_sg.id}"],
    });
  });

  it("exposes the endpoint's host name and the port as references", () => {
    // GIVEN
    const { stack, database } = build();
    new TerraformOutput(stack, "endpoint", { value: database.endpoint });
    new TerraformOutput(stack, "port", { value: database.port });
    // WHEN
    const tf = JSON.parse(Testing.synth(stack));
    // THEN
    const id = only(tf, "aws_db_instance").id;
    expect(tf.output.endpoint.value).toBe(`\${aws_db_instance.${id}.address}`);
    expect(tf.output.port.value).toBe(`\${aws_db_instance.${id}.port}`);
    expect([database.databaseName, database.username]).toEqual(["keycloak", "keycloak"]);
  });

  it("accepts the engine version and the backup days as variables, unchecked, and names the family from them", () => {
    // GIVEN
    const stack = newStack();
    const version = new TerraformVariable(stack, "engine_version", { type: "string" });
    const days = new TerraformVariable(stack, "backup_days", { type: "number" });
    // WHEN
    const { tf } = synth({ engineVersion: version.stringValue, backupRetentionDays: days.numberValue }, stack);
    // THEN
    expect(only(tf, "aws_db_parameter_group").family).toBe("postgres${var.engine_version}");
    expect(only(tf, "aws_db_instance")).toMatchObject({
      engine_version: "${var.engine_version}",
      backup_retention_period: "${var.backup_days}",
    });
  });
});

describe("ClusterDatabase on Aurora PostgreSQL", () => {
  const AURORA: Partial<Props> = { engine: "aurora-postgresql" };

  it("is an encrypted cluster with backups, deletion protection, a final snapshot and the password given", () => {
    // GIVEN / WHEN
    const { tf } = synth(AURORA);
    // THEN
    const cluster = only(tf, "aws_rds_cluster");
    expect(cluster).toMatchObject({
      cluster_identifier: "kc-db",
      engine: "aurora-postgresql",
      engine_version: "17",
      database_name: "keycloak",
      master_username: "keycloak",
      master_password: PASSWORD_REF,
      storage_encrypted: true,
      backup_retention_period: 14,
      delete_automated_backups: false,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "kc-db-final",
      copy_tags_to_snapshot: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(cluster).not.toHaveProperty("manage_master_user_password");
    expect(tf.resource.aws_db_instance).toBeUndefined();
  });

  it("forces TLS in an aurora-postgresql17 cluster parameter group", () => {
    // GIVEN / WHEN
    const { tf, json } = synth(AURORA);
    // THEN
    const group = only(tf, "aws_rds_cluster_parameter_group");
    expect(group).toMatchObject({
      family: "aurora-postgresql17",
      parameter: [{ name: "rds.force_ssl", value: "1", apply_method: "pending-reboot" }],
    });
    expect(json).toHaveResourceWithProperties(RdsCluster, {
      db_cluster_parameter_group_name: `\${aws_rds_cluster_parameter_group.${group.id}.name}`,
    });
    expect(json).not.toHaveResource(DbParameterGroup);
  });

  it("has a writer and a reader pinned to the first two distinct zones of the subnets, the reader promoted first", () => {
    // GIVEN / WHEN
    const { tf } = synth(AURORA);
    // THEN
    const cluster = only(tf, "aws_rds_cluster");
    const [[subnetsId, subnets]] = Object.entries(tf.data.aws_subnet) as [string, any][];
    expect(subnets).toMatchObject({ for_each: '${toset(["subnet-a", "subnet-b"])}', id: "${each.value}" });
    const zones = `distinct([ for key, val in data.aws_subnet.${subnetsId}: val.availability_zone])`;
    const byId = Object.fromEntries(
      Object.values(tf.resource.aws_rds_cluster_instance).map((i: any) => [i.identifier, i]),
    ) as Record<string, Record<string, any>>;
    const instances = [byId["kc-db-1"], byId["kc-db-2"]];
    expect(Object.keys(byId)).toHaveLength(2);
    expect(instances[0]).toMatchObject({
      identifier: "kc-db-1",
      cluster_identifier: `\${aws_rds_cluster.${cluster.id}.id}`,
      engine: "aurora-postgresql",
      instance_class: "db.t4g.medium",
      availability_zone: `\${element(${zones}, 0)}`,
      promotion_tier: 0,
      publicly_accessible: false,
    });
    expect(instances[1]).toMatchObject({
      identifier: "kc-db-2",
      availability_zone: `\${element(${zones}, 1)}`,
      promotion_tier: 1,
      lifecycle: { precondition: [expect.objectContaining({ condition: `\${(length(${zones}) >= 2)}` })] },
    });
  });

  it("has a writer alone, in a zone RDS picks, without multiAz", () => {
    // GIVEN / WHEN
    const { tf } = synth({ ...AURORA, multiAz: false });
    // THEN
    const writer = only(tf, "aws_rds_cluster_instance");
    expect(writer.identifier).toBe("kc-db-1");
    expect(writer).not.toHaveProperty("availability_zone");
    expect(tf.data?.aws_subnet).toBeUndefined();
  });

  it("exposes the cluster's writer endpoint and port", () => {
    // GIVEN
    const { stack, database } = build(AURORA);
    new TerraformOutput(stack, "endpoint", { value: database.endpoint });
    new TerraformOutput(stack, "port", { value: database.port });
    // WHEN
    const tf = JSON.parse(Testing.synth(stack));
    // THEN
    const id = only(tf, "aws_rds_cluster").id;
    expect(tf.output.endpoint.value).toBe(`\${aws_rds_cluster.${id}.endpoint}`);
    expect(tf.output.port.value).toBe(`\${aws_rds_cluster.${id}.port}`);
  });
});

describe("ClusterDatabase HCL export", () => {
  it.each<[string, Partial<Props>]>([
    ["RDS for PostgreSQL", {}],
    ["Aurora PostgreSQL", { engine: "aurora-postgresql" }],
  ])("exports the %s stack to HCL without a loss", async (_, props) => {
    // GIVEN
    const { tf } = synth(props);
    // WHEN
    const files = await exportHcl(tf, { backend: false });
    // THEN (read back by HCL's own parser)
    const main = (await parse("main.tf", files["main.tf"])) as Record<string, any>;
    expect(Object.keys(main.resource)).toEqual(expect.arrayContaining(["aws_db_subnet_group"]));
    expect(files["main.tf"]).toContain("rds.force_ssl");
    expect(files["main.tf"]).toMatch(/(master_)?password += var\.db_password\n/);
  });
});
