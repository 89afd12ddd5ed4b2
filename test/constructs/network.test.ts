import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DefaultVpc } from "@cdktf/provider-aws/lib/default-vpc";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { IngressRule, Network, NetworkProps } from "../../src/constructs/network";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

/** The synthesized JSON of a stack (fresh unless given) holding one Network named "sg". */
function synthNetwork(props: Partial<NetworkProps>, stack = newStack()): string {
  new Network(stack, "network", { securityGroupName: "sg", ...props });
  return Testing.synth(stack);
}

const https = (cidrs: readonly string[], port = 8443): IngressRule => ({
  id: "https",
  port,
  cidrs,
  description: "HTTPS",
});
const IPV4_OR_NULL = '${strcontains(each.value, ":") ? null : each.value}';
const IPV6_OR_NULL = '${strcontains(each.value, ":") ? each.value : null}';
const groupOf = (json: string): Record<string, any> => Object.values(JSON.parse(json).resource.aws_security_group)[0]!;

describe("Network validation", () => {
  it.each([0, 65536, 443.5])("rejects port %p, naming the rule's index", (port) => {
    // GIVEN
    const ingress = [https(["0.0.0.0/0"]), https(["0.0.0.0/0"], port)];
    // WHEN / THEN
    expect(() => synthNetwork({ ingress })).toThrow(/Network: 'ingress\[1\]\.port' must be a TCP port/);
  });

  it("rejects an egress port out of range, naming it", () => {
    // GIVEN / WHEN / THEN
    expect(() => synthNetwork({ egress: { kind: "tcp", ports: [443, 70000], description: "out" } })).toThrow(
      /Network: 'egress\.ports\[1\]' must be a TCP port/,
    );
  });

  it("rejects a CIDR reference with inline rules, which must split the list by family at synth time", () => {
    // GIVEN
    const stack = newStack();
    const cidrs = new TerraformVariable(stack, "cidrs", { type: "list(string)" }).listValue;
    // WHEN / THEN
    expect(() => synthNetwork({ ruleStyle: "inline", ingress: [https(cidrs)] }, stack)).toThrow(
      /Network: 'ingress\[0\]\.cidrs' must be a literal list with ruleStyle "inline"/,
    );
  });

  it.each(["10.0.0.1/8", "example.com", "0.0.0.0/33"])("rejects %p, which is no network CIDR", (cidr) => {
    // GIVEN / WHEN / THEN
    expect(() => synthNetwork({ ingress: [https([cidr])] })).toThrow(/Network: 'ingress\[0\]\.cidrs' has "/);
  });

  it("accepts a port and CIDRs given as Terraform references", () => {
    // GIVEN
    const stack = newStack();
    const port = new TerraformVariable(stack, "port", { type: "number" });
    const cidrs = new TerraformVariable(stack, "https_cidrs", { type: "list(string)" });
    // WHEN / THEN
    expect(() => synthNetwork({ ingress: [https(cidrs.listValue, port.numberValue)] }, stack)).not.toThrow();
  });
});

describe("Network with separate rules (the default)", () => {
  it("opens each CIDR with a for_each rule, choosing cidr_ipv4 or cidr_ipv6 by family", () => {
    // GIVEN / WHEN
    const json = synthNetwork({ ingress: [https(["203.0.113.0/24", "2001:db8::/32"])] });
    // THEN
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      for_each: '${toset(["203.0.113.0/24", "2001:db8::/32"])}',
      cidr_ipv4: IPV4_OR_NULL,
      cidr_ipv6: IPV6_OR_NULL,
      ip_protocol: "tcp",
      from_port: 8443,
      to_port: 8443,
      description: "HTTPS",
    });
  });

  it("iterates over a CIDR list given as a variable", () => {
    // GIVEN
    const stack = newStack();
    const cidrs = new TerraformVariable(stack, "https_cidrs", { type: "list(string)" });
    // WHEN
    const json = synthNetwork({ ingress: [https(cidrs.listValue)] }, stack);
    // THEN
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { for_each: "${toset(var.https_cidrs)}" });
  });

  it("makes no rule for a literal empty list", () => {
    // GIVEN / WHEN
    const json = synthNetwork({ ingress: [https([])] });
    // THEN
    expect(json).not.toHaveResource(VpcSecurityGroupIngressRule);
  });

  it("lets only HTTPS (443) out by default, over IPv4 and IPv6", () => {
    // GIVEN / WHEN
    const json = synthNetwork({});
    // THEN
    expect(Object.values(JSON.parse(json).resource.aws_vpc_security_group_egress_rule)).toEqual([
      expect.objectContaining({ ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv6: IPV6_OR_NULL }),
    ]);
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      for_each: '${toset(["0.0.0.0/0", "::/0"])}',
    });
  });

  it("writes no inline ingress or egress blocks", () => {
    // GIVEN / WHEN
    const group = groupOf(synthNetwork({ ingress: [https(["0.0.0.0/0"])] }));
    // THEN
    expect(group).not.toHaveProperty("ingress");
    expect(group).not.toHaveProperty("egress");
  });
});

describe("Network with inline rules", () => {
  it("writes ingress and egress blocks, the CIDRs split by family, and no rule resources", () => {
    // GIVEN / WHEN
    const json = synthNetwork({ ruleStyle: "inline", ingress: [https(["203.0.113.0/24", "::/0"])] });
    // THEN
    const { ingress, egress } = groupOf(json);
    const [v4, v6] = [{ cidr_blocks: ["203.0.113.0/24"] }, { ipv6_cidr_blocks: ["::/0"] }];
    expect(ingress).toEqual([
      expect.objectContaining({ from_port: 8443, to_port: 8443, protocol: "tcp", ...v4, ...v6 }),
    ]);
    expect(egress).toEqual([
      expect.objectContaining({ from_port: 443, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], ...v6 }),
    ]);
    expect(json).not.toHaveResource(VpcSecurityGroupIngressRule);
    expect(json).not.toHaveResource(VpcSecurityGroupEgressRule);
  });
});

describe("Network security group", () => {
  it("keeps the default description whatever the ports and CIDRs (AWS replaces a group to change it)", () => {
    // GIVEN / WHEN
    const narrow = groupOf(synthNetwork({ ingress: [https(["203.0.113.0/24"])] }));
    const wide = groupOf(
      synthNetwork({
        ingress: [https(["0.0.0.0/0"], 443), { ...https(["::/0"], 22), id: "ssh" }],
        egress: { kind: "all" },
      }),
    );
    // THEN
    expect(narrow.description).toBe("Keycloak on EC2, managed by keycloak-ec2");
    expect(wide.description).toBe(narrow.description);
  });

  it("looks the default VPC up without managing it, stopping the plan with what to do when there is none", () => {
    // GIVEN / WHEN
    const json = synthNetwork({});
    // THEN
    const [[lookupId, lookup]] = Object.entries(JSON.parse(json).data.aws_vpcs) as [string, Record<string, any>][];
    expect(lookup.filter).toEqual([{ name: "is-default", values: ["true"] }]);
    expect(lookup.lifecycle.postcondition).toEqual([
      { condition: "${length(self.ids) == 1}", error_message: expect.stringMatching(/no default VPC.*subnetId/) },
    ]);
    expect(json).not.toHaveResource(DefaultVpc);
    expect(json).toHaveResourceWithProperties(SecurityGroup, {
      vpc_id: `\${element(data.aws_vpcs.${lookupId}.ids, 0)}`,
    });
  });

  it("puts the group in a VPC given as a reference, without any lookup", () => {
    // GIVEN
    const stack = newStack();
    const vpc = new TerraformVariable(stack, "vpc", { type: "string" });
    // WHEN
    const tf = JSON.parse(synthNetwork({ vpcId: vpc.stringValue }, stack));
    // THEN
    expect(tf.data?.aws_vpcs).toBeUndefined();
    expect(Object.values(tf.resource.aws_security_group)[0]).toMatchObject({ vpc_id: "${var.vpc}" });
  });
});
