import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { KeycloakCluster, KeycloakClusterProps } from "../../src/constructs/keycloak-cluster";

/** A fresh stack with the AWS and random providers, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  new RandomProvider(stack, "random");
  return stack;
}

const PROPS: KeycloakClusterProps = { hostname: "sso.example.com", dnsZone: "example.com", adminCidrs: [] };

function synthCluster(props: Partial<KeycloakClusterProps> = {}, stack = newStack()) {
  const cluster = new KeycloakCluster(stack, "sso", { ...PROPS, ...props });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json), cluster };
}

describe("KeycloakCluster", () => {
  it("writes the load balancer's access logs to its bucket when asked, after the policy that lets it", () => {
    // GIVEN / WHEN
    const { tf } = synthCluster({ accessLogs: { retainDays: 30 } });
    // THEN
    const [[lbId, lb]] = Object.entries(tf.resource.aws_lb) as [string, Record<string, any>][];
    const [[bucketId]] = Object.entries(tf.resource.aws_s3_bucket);
    const [[policyId, policy]] = Object.entries(tf.resource.aws_s3_bucket_policy) as [string, Record<string, any>][];
    expect(lbId).toBeDefined();
    expect(lb.access_logs).toEqual({
      bucket: `\${aws_s3_bucket.${bucketId}.bucket}`,
      prefix: "logs/load-balancer",
      enabled: true,
    });
    expect(lb.depends_on).toContain(`aws_s3_bucket_policy.${policyId}`);
    const document = policy.policy.match(/^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/)[1];
    expect(tf.data.aws_iam_policy_document[document].statement.map((s: { sid: string }) => s.sid)).toEqual([
      "DenyWithoutTls",
      "LoadBalancerLogs",
    ]);
    // Without: no logs, no grant.
    const plain = synthCluster().tf;
    expect(Object.values(plain.resource.aws_lb as Record<string, object>)[0]).not.toHaveProperty("access_logs");
    expect(JSON.stringify(plain.data.aws_iam_policy_document)).not.toContain("LoadBalancerLogs");
  });

  it("composes two to four nodes, on RDS for PostgreSQL Multi-AZ, at https://<hostname>", () => {
    // GIVEN / WHEN
    const { json, cluster } = synthCluster();
    // THEN
    expect(json).toHaveResourceWithProperties(AutoscalingGroup, { min_size: 2, desired_capacity: 2, max_size: 4 });
    expect(json).toHaveResourceWithProperties(DbInstance, {
      engine: "postgres",
      multi_az: true,
      allocated_storage: 20,
    });
    expect(json).toHaveResourceWithProperties(LaunchTemplate, { instance_type: "t3.medium" });
    expect([cluster.url, cluster.adminConsoleUrl, cluster.realmIssuerUrl]).toEqual([
      "https://sso.example.com",
      "https://sso.example.com/admin/master/console/",
      "https://sso.example.com/realms/app",
    ]);
  });

  it("takes Aurora, its sizes, and an instance type given as a variable", () => {
    // GIVEN
    const stack = newStack();
    const instanceType = new TerraformVariable(stack, "instance_type", { type: "string" });
    // WHEN
    const { json } = synthCluster(
      {
        instanceType: instanceType.stringValue,
        size: { minSize: 3, desiredCapacity: 3, maxSize: 6 },
        database: { engine: "aurora-postgresql" },
      },
      stack,
    );
    // THEN
    expect(json).toHaveResourceWithProperties(LaunchTemplate, { instance_type: "${var.instance_type}" });
    expect(json).toHaveResourceWithProperties(AutoscalingGroup, { min_size: 3, max_size: 6 });
    expect(json).toHaveResource(RdsCluster);
    expect(json).not.toHaveResource(DbInstance);
  });

  it("forwards only its application realm publicly, and lets the admin CIDRs follow the https CIDRs", () => {
    const { tf } = synthCluster({
      adminCidrs: undefined,
      httpsCidrs: ["203.0.113.0/24"],
      realm: { name: "shop", spa: undefined, bff: undefined, service: undefined },
    });
    const rules = JSON.stringify(tf.resource.aws_lb_listener_rule);
    expect(rules).toContain('"/realms/shop/*"');
    expect(rules).toContain('"203.0.113.0/24"');
  });

  it.each<[Partial<KeycloakClusterProps>, RegExp]>([
    [{ deploymentName: "Keycloak" }, /KeycloakCluster: 'deploymentName' must be 3-32 lower-case letters/],
    // Names its parts would refuse later, under props the user never set: ClusterHosts' 3 characters, RDS's "--".
    [{ deploymentName: "kc" }, /KeycloakCluster: 'deploymentName' must be 3-32 .* without "--", got "kc"/],
    [{ deploymentName: "kc--sso" }, /KeycloakCluster: 'deploymentName' must be 3-32 .* without "--", got "kc--sso"/],
    [{ httpsCidrs: ["10.0.0.1/8"] }, /KeycloakCluster: 'httpsCidrs' has "10\.0\.0\.1\/8"/],
    [{ adminCidrs: ["198.51.100.7"] }, /KeycloakCluster: 'adminCidrs' has "198\.51\.100\.7"/],
  ])("refuses %p, naming the prop", (props, message) => {
    expect(() => synthCluster(props)).toThrow(message);
  });

  it("refuses admin CIDRs that would follow https CIDRs given as a reference: the listener rules are written at synth", () => {
    const stack = newStack();
    const cidrs = new TerraformVariable(stack, "cidrs", { type: "list(string)" });
    expect(() => synthCluster({ adminCidrs: undefined, httpsCidrs: cidrs.listValue }, stack)).toThrow(
      /KeycloakCluster: 'adminCidrs' must be a literal list/,
    );
  });
});
