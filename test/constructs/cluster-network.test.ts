import "../cdktf-matchers";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { CLUSTER_PORTS, ClusterNetwork, ClusterNetworkProps } from "../../src/constructs/cluster-network";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

/** The synthesized stack (fresh unless given) holding one ClusterNetwork with the prefix "kc". */
function synthNetwork(props: Partial<ClusterNetworkProps>, stack = newStack()) {
  const network = new ClusterNetwork(stack, "network", { namePrefix: "kc", ...props });
  // The subnets as the stack's other resources see them.
  new TerraformOutput(stack, "network_subnets", { value: network.subnetIds });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json), network };
}

type Json = Record<string, any>;

/** A security group rule, with its own group and the referenced one by name (`kc-lb`), or its CIDRs' for_each. */
interface Rule {
  readonly direction: "in" | "out";
  readonly group: string;
  readonly port: number;
  readonly peer: string;
  readonly description: string;
}

/** Every rule of the stack, its groups named, sorted, so that a test can compare the whole set. */
function rulesOf(tf: Json): Rule[] {
  const names = new Map<string, string>(
    Object.entries(tf.resource.aws_security_group as Json).map(([key, group]) => [
      `\${aws_security_group.${key}.id}`,
      group.name,
    ]),
  );
  const read = (direction: "in" | "out", rules: Json | undefined): Rule[] =>
    Object.values(rules ?? {}).map((rule: Json) => ({
      direction,
      group: names.get(rule.security_group_id) ?? rule.security_group_id,
      port: rule.from_port,
      peer: rule.referenced_security_group_id ? names.get(rule.referenced_security_group_id)! : rule.for_each,
      description: rule.description,
    }));
  return [
    ...read("in", tf.resource.aws_vpc_security_group_ingress_rule),
    ...read("out", tf.resource.aws_vpc_security_group_egress_rule),
  ].sort((a, b) => `${a.group} ${a.direction}`.localeCompare(`${b.group} ${b.direction}`) || a.port - b.port);
}

const WORLD = '${toset(["0.0.0.0/0", "::/0"])}';
const rule = (direction: "in" | "out", group: string, port: number, peer: string) =>
  expect.objectContaining({ direction, group, port, peer });

describe("ClusterNetwork security groups", () => {
  it("chains the groups: world -> LB (443, 80) -> instances (8080, 9000) -> DB (5432), JGroups among instances", () => {
    // GIVEN / WHEN
    const { tf } = synthNetwork({});
    // THEN: exactly these rules, and no other
    expect(rulesOf(tf)).toEqual([
      rule("in", "kc-db", 5432, "kc-instances"),
      rule("in", "kc-instances", 7800, "kc-instances"),
      rule("in", "kc-instances", 8080, "kc-lb"),
      rule("in", "kc-instances", 9000, "kc-lb"),
      rule("in", "kc-instances", 57800, "kc-instances"),
      rule("out", "kc-instances", 443, WORLD),
      rule("out", "kc-instances", 5432, "kc-db"),
      rule("out", "kc-instances", 7800, "kc-instances"),
      rule("out", "kc-instances", 57800, "kc-instances"),
      rule("in", "kc-lb", 80, WORLD),
      rule("in", "kc-lb", 443, WORLD),
      rule("out", "kc-lb", 8080, "kc-instances"),
      rule("out", "kc-lb", 9000, "kc-instances"),
    ]);
  });

  it("uses the ports Keycloak and the database listen on", () => {
    expect(CLUSTER_PORTS).toEqual({
      keycloakHttp: 8080,
      keycloakManagement: 9000,
      jgroups: 7800,
      jgroupsFailureDetection: 57800,
      postgres: 5432,
    });
  });

  it("describes every rule, and every rule is TCP on one port", () => {
    // GIVEN / WHEN
    const { tf } = synthNetwork({});
    // THEN
    const all = [
      ...Object.values(tf.resource.aws_vpc_security_group_ingress_rule as Json),
      ...Object.values(tf.resource.aws_vpc_security_group_egress_rule as Json),
    ];
    expect(all).toHaveLength(13);
    for (const r of all) {
      expect(r.description).toMatch(/\w{3,}/);
      expect(r).toMatchObject({ ip_protocol: "tcp", to_port: r.from_port });
    }
  });

  it("opens the load balancer to the given CIDRs only, choosing cidr_ipv4 or cidr_ipv6 by family", () => {
    // GIVEN / WHEN
    const { json } = synthNetwork({ httpsCidrs: ["203.0.113.0/24", "2001:db8::/32"] });
    // THEN
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      for_each: '${toset(["203.0.113.0/24", "2001:db8::/32"])}',
      from_port: 443,
      cidr_ipv4: '${strcontains(each.value, ":") ? null : each.value}',
      cidr_ipv6: '${strcontains(each.value, ":") ? each.value : null}',
    });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      for_each: '${toset(["203.0.113.0/24", "2001:db8::/32"])}',
      from_port: 80,
    });
  });

  it("opens nothing on the load balancer for an empty list", () => {
    // GIVEN / WHEN
    const { tf } = synthNetwork({ httpsCidrs: [] });
    // THEN
    expect(rulesOf(tf).filter((r) => r.group === "kc-lb" && r.direction === "in")).toEqual([]);
  });

  it("gives the database group no egress rule at all", () => {
    // GIVEN / WHEN
    const { tf } = synthNetwork({});
    // THEN
    expect(rulesOf(tf).filter((r) => r.group === "kc-db" && r.direction === "out")).toEqual([]);
  });

  it("keeps the groups' names and descriptions whatever the CIDRs (AWS replaces a group to change either)", () => {
    // GIVEN / WHEN
    const groups = (tf: Json) =>
      Object.values(tf.resource.aws_security_group as Json).map(({ name, description }) => ({ name, description }));
    const narrow = groups(synthNetwork({ httpsCidrs: ["203.0.113.0/24"] }).tf);
    const wide = groups(synthNetwork({}).tf);
    // THEN
    expect(narrow).toEqual(wide);
    expect(wide).toEqual(
      expect.arrayContaining([
        { name: "kc-lb", description: "Keycloak cluster load balancer, managed by keycloak-ec2" },
        { name: "kc-instances", description: "Keycloak cluster instances, managed by keycloak-ec2" },
        { name: "kc-db", description: "Keycloak cluster database, managed by keycloak-ec2" },
      ]),
    );
  });
});

describe("ClusterNetwork VPC and subnets", () => {
  it("defaults to the default VPC's default subnets, stopping the plan below two zones", () => {
    // GIVEN / WHEN
    const { json, tf } = synthNetwork({});
    // THEN
    const [[vpcsId, vpcs]] = Object.entries(tf.data.aws_vpcs as Json);
    expect(vpcs.filter).toEqual([{ name: "is-default", values: ["true"] }]);
    const vpcId = `\${element(data.aws_vpcs.${vpcsId}.ids, 0)}`;
    const [[subnetsId, subnets]] = Object.entries(tf.data.aws_subnets as Json);
    expect(subnets.filter).toEqual([
      { name: "vpc-id", values: [vpcId] },
      { name: "default-for-az", values: ["true"] },
    ]);
    expect(subnets.lifecycle.postcondition).toEqual([
      {
        condition: "${length(self.ids) >= 2}",
        error_message: expect.stringMatching(/two availability zones.*subnetIds/),
      },
    ]);
    expect(json).toHaveResourceWithProperties(SecurityGroup, { name: "kc-db", vpc_id: vpcId });
    expect(tf.output.network_subnets.value).toBe(`\${sort(data.aws_subnets.${subnetsId}.ids)}`);
  });

  it("takes given subnets, and their VPC from the first one, without any default lookup", () => {
    // GIVEN / WHEN
    const { tf, network } = synthNetwork({ subnetIds: ["subnet-a", "subnet-b"] });
    // THEN
    expect(tf.data.aws_vpcs).toBeUndefined();
    expect(tf.data.aws_subnets).toBeUndefined();
    const [[subnetKey, subnet]] = Object.entries(tf.data.aws_subnet as Json);
    expect(subnet.id).toBe("subnet-a");
    expect(network.subnetIds).toEqual(["subnet-a", "subnet-b"]);
    for (const group of Object.values(tf.resource.aws_security_group as Json))
      expect(group.vpc_id).toBe(`\${data.aws_subnet.${subnetKey}.vpc_id}`);
  });

  it("takes a VPC, subnets and CIDRs given as references, looking up only the first subnet, to check its VPC", () => {
    // GIVEN
    const stack = newStack();
    const vpc = new TerraformVariable(stack, "vpc", { type: "string" });
    const subnets = new TerraformVariable(stack, "subnets", { type: "list(string)" });
    const cidrs = new TerraformVariable(stack, "https_cidrs", { type: "list(string)" });
    // WHEN
    const { json, tf } = synthNetwork(
      { vpcId: vpc.stringValue, subnetIds: subnets.listValue, httpsCidrs: cidrs.listValue },
      stack,
    );
    // THEN
    expect(Object.keys(tf.data)).toEqual(["aws_subnet"]);
    expect(json).toHaveResourceWithProperties(SecurityGroup, { name: "kc-lb", vpc_id: "${var.vpc}" });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      for_each: "${toset(var.https_cidrs)}",
      from_port: 443,
    });
    expect(tf.output.network_subnets.value).toBe("${var.subnets}");
  });

  it("checks at plan that given subnets are in the given VPC", () => {
    const { tf } = synthNetwork({ vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0aaa", "subnet-0bbb"] });
    expect(tf.data.aws_subnet).toBeDefined();
    const [subnet] = Object.values(tf.data.aws_subnet as Record<string, any>);
    expect(subnet.id).toBe("subnet-0aaa");
    expect(subnet.lifecycle.postcondition).toEqual([
      {
        condition: '${self.vpc_id == "vpc-0123456789abcdef0"}',
        error_message:
          "The subnets are not in the VPC vpc-0123456789abcdef0: give vpcId the subnets' VPC, or leave it out.",
      },
    ]);
  });

  it.each<[Partial<ClusterNetworkProps>, RegExp]>([
    [{ namePrefix: "-kc" }, /ClusterNetwork: 'namePrefix' must be 1-100 letters/],
    [{ namePrefix: "kc cluster" }, /ClusterNetwork: 'namePrefix' must be 1-100 letters/],
    [{ namePrefix: "" }, /ClusterNetwork: 'namePrefix' must be 1-100 letters/],
    [{ namePrefix: "sg-cluster" }, /ClusterNetwork: 'namePrefix' must not begin with "sg-"/],
    [{ subnetIds: ["subnet-a"] }, /ClusterNetwork: 'subnetIds' must hold at least two subnets.*got 1/],
    [{ httpsCidrs: ["203.0.113.7/24"] }, /ClusterNetwork: 'httpsCidrs' has "203\.0\.113\.7\/24"/],
  ])("refuses %p, naming the prop", (props, message) => {
    expect(() => new ClusterNetwork(newStack(), "network", { namePrefix: "kc", ...props })).toThrow(message);
  });
});
