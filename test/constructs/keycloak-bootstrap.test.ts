import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BackupBucket } from "../../src/constructs/backup-bucket";
import { KeycloakBootstrap, KeycloakBootstrapProps, REALM_HASH_KEY } from "../../src/constructs/keycloak-bootstrap";
import { DEFAULT_REALM } from "../../src/defaults";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

type Props = Omit<KeycloakBootstrapProps, "bucket">;
const PROPS: Props = {
  mode: "production",
  region: "eu-west-3",
  keycloakVersion: "26.7.4",
  parameterPrefix: "/keycloak-ec2/keycloak",
  adminUser: "admin",
  tls: { mode: "acme" },
  adminCidrs: "203.0.113.0/24",
  realm: DEFAULT_REALM,
  associationName: "kc-apply",
};

const withBucket = (stack: TerraformStack, props: Props): KeycloakBootstrapProps => ({
  ...props,
  bucket: new BackupBucket(stack, "bucket", { bucketPrefix: "kc-", protect: false }),
});

/** The synthesized JSON of a stack holding one bootstrap applied to an instance, with its bundle local's id and text
 * (named cloudConfig in the tests below: it is what cloud-config used to carry). */
function synthBootstrap(
  stack: TerraformStack,
  props: Props,
): { tf: Record<string, any>; localId: string; cloudConfig: string } {
  const bootstrap = new KeycloakBootstrap(stack, "bootstrap", withBucket(stack, props));
  const instance = new Instance(stack, "instance", {
    ami: "ami-1",
    instanceType: "t3.small",
    userData: bootstrap.userData,
  });
  bootstrap.applyTo(instance);
  new TerraformOutput(stack, "user_data", { value: bootstrap.userData });
  const tf = JSON.parse(Testing.synth(stack));
  const [[localId, cloudConfig]] = Object.entries(tf.locals) as [string, string][];
  return { tf, localId, cloudConfig };
}

/** The one resource of a type (its logical id carries a hash in a test stack). */
const only = (resources: Record<string, any>) => {
  const values = Object.values(resources);
  expect(values).toHaveLength(1);
  return values[0];
};

const newBootstrap = (props: Props) => {
  const stack = newStack();
  return new KeycloakBootstrap(stack, "bootstrap", withBucket(stack, props));
};

describe("KeycloakBootstrap validation", () => {
  it.each(["25.0.6", "26.7", "latest", "26.7.4-rc1"])("rejects the Keycloak version %p", (keycloakVersion) => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...PROPS, keycloakVersion })).toThrow(
      /KeycloakBootstrap: 'keycloakVersion' must be an exact Keycloak 26\.x release/,
    );
  });

  it.each(["master", "../x", ""])("refuses the realm name %p (Keycloak's administration realm, or a path)", (name) => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...PROPS, realm: { ...DEFAULT_REALM, name } })).toThrow(
      /KeycloakBootstrap: 'realm\.name' must be letters, digits, _ and - and not "master"/,
    );
  });

  it("refuses a quote in a boot setting, naming the prop (the settings file is single-quoted shell)", () => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...PROPS, adminUser: "o'brien" })).toThrow(
      /KeycloakBootstrap: 'adminUser' must not hold quotes or line breaks/,
    );
  });
});

describe("KeycloakBootstrap", () => {
  it("stores the bundle local in the bucket; the user data only fetches it, and never holds it", () => {
    // GIVEN / WHEN
    const { tf, localId, cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(only(tf.resource.aws_s3_object)).toMatchObject({
      key: "boot/bundle.sh",
      content: `\${local.${localId}}`,
      depends_on: expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]),
    });
    expect(cloudConfig).toMatch(/^#!\/bin\/bash\n/);
    expect(cloudConfig).toMatch(/\nexec "\$ROOT\/opt\/keycloak-ec2\/keycloak-boot.sh"\n$/);
    expect(tf.output.user_data.value).toMatch(
      /'s3:\/\/\$\{aws_s3_bucket\.\w+\.bucket\}\/\$\{aws_s3_object\.\w+\.key\}'/,
    );
    expect(tf.output.user_data.value).not.toContain("local.");
  });

  it("re-runs the boot through Systems Manager whenever the bundle's hash changes, output to the bucket", () => {
    // GIVEN / WHEN
    const { tf, localId } = synthBootstrap(newStack(), PROPS);
    // THEN
    const association = only(tf.resource.aws_ssm_association);
    expect(association).toMatchObject({
      association_name: "kc-apply",
      name: "AWS-RunShellScript",
      targets: [{ key: "InstanceIds", values: [expect.stringMatching(/^\$\{aws_instance\.\w+\.id\}$/)] }],
      output_location: {
        s3_bucket_name: expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.bucket\}$/),
        s3_key_prefix: "ssm",
      },
    });
    expect(association.apply_only_at_cron_interval).toBeUndefined(); // the provider's false: run at every update
    expect(association.parameters.commands).toContain(`expected='\${sha256(local.${localId})}'`);
    expect(association.parameters.commands).toContain("exec 9>/run/keycloak-ec2.lock\nflock 9\n");
  });

  it("escapes ${ and %{ in the static files, so that Terraform writes them as they are", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(cloudConfig).toContain("--memory $${KEYCLOAK_MEMORY}");
    expect(cloudConfig).toContain('"secret": "$${BFF_CLIENT_SECRET}"');
    // The only references are the settings' own: the bucket the boot reports its status to.
    const unescaped = cloudConfig.replace(/^STATUS_BUCKET='\$\{aws_s3_bucket\.[A-Za-z0-9_]+\.bucket\}'$/m, "");
    expect(unescaped).not.toMatch(/(^|[^$])\$\{/);
    expect(unescaped).not.toMatch(/(^|[^%])%\{/);
  });

  it("places a Keycloak version given as a variable in the settings, unescaped", () => {
    // GIVEN
    const stack = newStack();
    const version = new TerraformVariable(stack, "keycloak_version", { type: "string" });
    // WHEN
    const { cloudConfig } = synthBootstrap(stack, { ...PROPS, keycloakVersion: version.stringValue });
    // THEN
    expect(cloudConfig).toContain("KEYCLOAK_IMAGE='quay.io/keycloak/keycloak:${var.keycloak_version}'");
  });

  it("places the TLS mode, the certificate's parameter names, the admin CIDRs and the public address in the settings", () => {
    // GIVEN
    const tlsCertificate = { certificateParameter: "/tls/chain", privateKeyParameter: "/tls/key" };
    // WHEN
    const { cloudConfig } = synthBootstrap(newStack(), {
      ...PROPS,
      tls: { mode: "supplied" },
      tlsCertificate,
      hostname: "id.example.com",
      publicIp: "203.0.113.7",
    });
    // THEN
    expect(cloudConfig).toContain("\nKEYCLOAK_HOSTNAME='id.example.com'\nTLS_MODE='supplied'\n");
    expect(cloudConfig).toContain("\nADMIN_CIDRS='203.0.113.0/24'\n");
    expect(cloudConfig).toContain("\nPUBLIC_DNS=''\nPUBLIC_IP='203.0.113.7'\n");
    expect(cloudConfig).toContain("\nTLS_CERTIFICATE_PARAMETER='/tls/chain'\nTLS_PRIVATE_KEY_PARAMETER='/tls/key'\n");
  });

  it("runs start-dev without PostgreSQL in dev mode", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), { ...PROPS, mode: "dev" });
    // THEN
    expect(cloudConfig).toContain("PROFILE='dev'");
    expect(cloudConfig).toContain("$${KEYCLOAK_IMAGE} start-dev");
    expect(cloudConfig).not.toContain("--db=postgres");
  });

  it("holds no password literal that a user-data scanner would flag", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN (Trivy's rule for secrets in user data)
    expect(cloudConfig).not.toMatch(/password\s?[:=]\s?"?[^\s?$\{].+/im);
  });
});

const CLUSTER_DB = {
  endpoint: "kc.abcdefghij.eu-west-3.rds.amazonaws.com",
  port: "5432",
};

describe("KeycloakBootstrap for a cluster", () => {
  const CLUSTER: Props = {
    mode: "cluster",
    region: "eu-west-3",
    keycloakVersion: "26.7.4",
    parameterPrefix: "/kc-cluster/keycloak",
    adminUser: "admin",
    hostname: "sso.example.com",
    database: CLUSTER_DB,
    trustedProxyCidrs: "172.31.0.0/16",
    launchHook: { groupName: "kc-hosts", hookName: "keycloak-boot" },
    realm: DEFAULT_REALM,
    associationName: "kc-cluster-apply",
  };

  /** A cluster's bootstrap, its user data as an output; no instance (an Auto Scaling group's launch template). */
  function synthCluster(stack: TerraformStack, props: Props) {
    const bootstrap = new KeycloakBootstrap(stack, "bootstrap", withBucket(stack, props));
    new TerraformOutput(stack, "user_data", { value: bootstrap.userData });
    const tf = JSON.parse(Testing.synth(stack));
    const [[localId, bundle]] = Object.entries(tf.locals) as [string, string][];
    return { bootstrap, tf, localId, bundle, userData: tf.output.user_data.value as string };
  }

  it("pins the user data to the bundle's object version and hash, so that a change makes a new launch template version", () => {
    // GIVEN / WHEN
    const { bootstrap, tf, localId, userData } = synthCluster(newStack(), CLUSTER);
    // THEN
    expect(bootstrap.pinnedToBundle).toBe(true);
    const [objectId] = Object.keys(tf.resource.aws_s3_object);
    expect(userData).toContain(`\nversion='\${aws_s3_object.${objectId}.version_id}'\n`);
    expect(userData).toContain(
      `aws s3api get-object --region 'eu-west-3' --bucket '\${aws_s3_bucket.${Object.keys(tf.resource.aws_s3_bucket)[0]}.bucket}' ` +
        `--key '\${aws_s3_object.${objectId}.key}' --version-id "$version" `,
    );
    expect(userData).not.toContain("aws s3 cp");
    expect(userData).toContain(`expected='\${sha256(local.${localId})}'`);
    expect(userData).toContain("instance refresh");
  });

  it("refuses, exit 1, a bundle that is not its hash: it never runs another apply's bundle", () => {
    // GIVEN / WHEN
    const { userData } = synthCluster(newStack(), CLUSTER);
    // THEN
    const mismatch = userData.slice(userData.indexOf('if [ "$actual" != "$expected" ]; then'));
    expect(mismatch).toMatch(/^if[^\n]*\n {2}echo "[^"]*refusing to run it" >&2\n {2}rm -f [^\n]+\n {2}exit 1\nfi\n/);
    expect(userData).not.toContain("exit 0");
    expect(userData).not.toContain("newest");
  });

  it("leaves the single instance's user data unpinned: the current object, its first boot runs whatever it holds", () => {
    // GIVEN / WHEN
    const { tf } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(tf.output.user_data.value).not.toMatch(/version|expected=/);
    expect(tf.output.user_data.value).toContain("aws s3 cp --only-show-errors");
    // Its association still skips a bundle a later apply replaced.
    expect(only(tf.resource.aws_ssm_association).parameters.commands).toMatch(
      /whose run applies it" >&2\n {2}exit 0\n/,
    );
  });

  it("makes no Systems Manager association, and refuses applyTo", () => {
    // GIVEN
    const stack = newStack();
    const { tf, bootstrap } = synthCluster(stack, CLUSTER);
    const instance = new Instance(stack, "instance", { ami: "ami-1", instanceType: "t3.small" });
    // THEN
    expect(tf.resource.aws_ssm_association).toBeUndefined();
    expect(() => bootstrap.applyTo(instance)).toThrow(
      /KeycloakBootstrap: 'applyTo' is not for a bootstrap whose user data is pinned to the bundle/,
    );
  });

  it("places the database, the trusted proxies and the realm's record in the settings; no proxy, TLS or backup", () => {
    // GIVEN / WHEN
    const { bundle } = synthCluster(newStack(), CLUSTER);
    // THEN
    expect(bundle).toContain("\nPROFILE='cluster'\n");
    expect(bundle).toContain("\nKEYCLOAK_HOSTNAME='sso.example.com'\n");
    expect(bundle).toContain("\nDB_ENDPOINT='kc.abcdefghij.eu-west-3.rds.amazonaws.com'\nDB_PORT='5432'\n");
    // The database's password is the SSM secret db-password, read at boot as production's: no secret's name here.
    expect(bundle).not.toMatch(/DB_SECRET_ARN|secretsmanager/);
    expect(bundle).toContain("secret db-password");
    expect(bundle).toContain(" --db-username=keycloak ");
    expect(bundle).toContain("\nTRUSTED_PROXY_CIDRS='172.31.0.0/16'\n");
    expect(bundle).toContain("\nNODE_STATUS_PREFIX='status/nodes/'\nDB_ENDPOINT=");
    expect(bundle).toContain(`\nREALM_HASH_KEY='${REALM_HASH_KEY}'\n`);
    expect(REALM_HASH_KEY).toBe("status/realm.sha256");
    expect(bundle).not.toMatch(/^(TLS_MODE|ADMIN_CIDRS|PROXY_IMAGE|DATA_VOLUME_ID|BACKUP_BUCKET)=/m);
    // No file of the proxy or the backups is installed (the shared scripts name them).
    expect(
      bundle.match(/^install_file \S+/gm)!.filter((line) => /Caddyfile|caddy|backup\.(service|timer)/.test(line)),
    ).toEqual([]);
    expect(bundle).toContain("--cache-stack=jdbc-ping");
    // Trivy's rule for secrets in user data: the bundle carries none.
    expect(bundle).not.toMatch(/password\s?[:=]\s?"?[^\s?$\{].+/im);
  });

  it("takes references for the database and the trusted proxies, placed unescaped", () => {
    // GIVEN
    const stack = newStack();
    const cidr = new TerraformVariable(stack, "vpc_cidr", { type: "string" });
    const endpoint = new TerraformVariable(stack, "db_endpoint", { type: "string" });
    // WHEN
    const { bundle } = synthCluster(stack, {
      ...CLUSTER,
      trustedProxyCidrs: cidr.stringValue,
      database: { ...CLUSTER_DB, endpoint: endpoint.stringValue },
    });
    // THEN
    expect(bundle).toContain("\nTRUSTED_PROXY_CIDRS='${var.vpc_cidr}'\n");
    expect(bundle).toContain("\nDB_ENDPOINT='${var.db_endpoint}'\n");
  });

  it.each<[string, Partial<Props>, RegExp]>([
    ["a Keycloak without jdbc-ping", { keycloakVersion: "26.0.8" }, /'keycloakVersion' must be 26\.6\.0 or later/],
    [
      "a Keycloak without rolling updates",
      { keycloakVersion: "26.5.3" },
      /'keycloakVersion' must be 26\.6\.0 or later/,
    ],
    ["no database", { database: undefined }, /'database' is required in mode "cluster"/],
    ["no trusted proxies", { trustedProxyCidrs: undefined }, /'trustedProxyCidrs' is required/],
    ["no hostname", { hostname: undefined }, /'hostname' is required/],
    ["a TLS mode", { tls: { mode: "acme" } }, /'tls' is not used in mode "cluster"/],
    ["admin CIDRs", { adminCidrs: "203.0.113.0/24" }, /'adminCidrs' is not used in mode "cluster"/],
    [
      "trusted proxies as a comma list",
      { trustedProxyCidrs: "10.0.0.0/16,10.1.0.0/16" },
      /'trustedProxyCidrs' must be IP addresses or CIDRs separated by single spaces/,
    ],
    [
      "a port that is not one",
      { database: { ...CLUSTER_DB, port: "54321x" } },
      /'database\.port' must be a port number/,
    ],
    [
      "a quote in the database's endpoint",
      { database: { ...CLUSTER_DB, endpoint: "db'x" } },
      /'database\.endpoint' must not hold quotes/,
    ],
  ])("refuses %s, naming the prop", (_what, change, message) => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...CLUSTER, ...change })).toThrow(message);
  });
});
