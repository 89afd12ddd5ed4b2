import { Construct } from "constructs";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { DefaultVpc } from "@cdktf/provider-aws/lib/default-vpc";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { UserError } from "../errors";
import { isNetworkCidr } from "../config/cidr";

/** One inbound TCP port and who may reach it. */
export interface IngressRule {
  /** TCP port. */
  readonly port: number;
  /** IPv4 and IPv6 CIDRs allowed; an empty list opens nothing. */
  readonly cidrs: readonly string[];
  /** Why the port is open (shown on the rule in the AWS console). */
  readonly description: string;
}

/** What leaves the instance. */
export type EgressPolicy =
  /** Every protocol and port, to the whole internet (the guide's rule). */
  | { readonly kind: "all" }
  /** Only these TCP ports, to the whole internet (IPv4 and IPv6). */
  | { readonly kind: "tcp"; readonly ports: readonly number[]; readonly description: string };

export interface NetworkProps {
  /** Name of the security group (may be a Terraform reference, e.g. a variable). */
  readonly securityGroupName: string;
  /** Description of the security group. */
  readonly description: string;
  /** Inbound rules. */
  readonly ingress: readonly IngressRule[];
  /** Outbound traffic. */
  readonly egress: EgressPolicy;
  /**
   * `inline`: `ingress`/`egress` blocks inside `aws_security_group`, as the guide writes them.
   * `separate`: one `aws_vpc_security_group_ingress_rule`/`egress_rule` per CIDR, the AWS provider's recommended
   * form (a rule can change without touching the others, and each has its own description and tags).
   * @default "separate"
   */
  readonly ruleStyle?: "inline" | "separate";
  /**
   * Manage the account's default VPC as an `aws_default_vpc` resource with a `Name` tag (what the guide does).
   * Off, the default VPC is only looked up: this stack then never tags or adopts a VPC that other stacks share.
   * @default false
   */
  readonly manageDefaultVpc?: boolean;
}

/** The default VPC and the instance's security group. */
export class Network extends Construct {
  /** The guide's `aws_default_vpc.default`, when `manageDefaultVpc` is set. */
  public readonly defaultVpc?: DefaultVpc;
  public readonly vpcId: string;
  public readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const problems = props.ingress.flatMap((rule) => [
      ...(Number.isInteger(rule.port) && rule.port > 0 && rule.port < 65536 ? [] : [`Network: ingress port ${rule.port} is not a TCP port (1-65535)`]),
      ...rule.cidrs.filter((cidr) => !isNetworkCidr(cidr)).map((cidr) => `Network: ingress CIDR "${cidr}" for port ${rule.port} is not a network CIDR`),
    ]);
    if (problems.length) throw new UserError(problems);

    if (props.manageDefaultVpc) {
      this.defaultVpc = new DefaultVpc(this, "default_vpc", { tags: { Name: "Default VPC" } });
      this.vpcId = this.defaultVpc.id;
    } else {
      this.vpcId = new DataAwsVpc(this, "default_vpc", { default: true }).id;
    }

    const inline = props.ruleStyle === "inline";
    const v4 = (cidrs: readonly string[]) => cidrs.filter((c) => !c.includes(":"));
    const v6 = (cidrs: readonly string[]) => cidrs.filter((c) => c.includes(":"));
    const world = ["0.0.0.0/0", "::/0"];

    this.securityGroup = new SecurityGroup(this, "security_group", {
      name: props.securityGroupName,
      description: props.description,
      vpcId: this.vpcId,
      ingress: inline
        ? props.ingress.map((rule) => ({
            description: rule.description,
            fromPort: rule.port,
            toPort: rule.port,
            protocol: "tcp",
            cidrBlocks: v4(rule.cidrs),
            ipv6CidrBlocks: v6(rule.cidrs),
          }))
        : undefined,
      egress: inline
        ? props.egress.kind === "all"
          ? [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: v4(world), ipv6CidrBlocks: v6(world) }]
          : props.egress.ports.map((port) => ({ fromPort: port, toPort: port, protocol: "tcp", cidrBlocks: v4(world), ipv6CidrBlocks: v6(world) }))
        : undefined,
      tags: { Name: props.securityGroupName },
    });
    if (inline) return;

    for (const rule of props.ingress) {
      for (const cidr of rule.cidrs) {
        const family = cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr };
        new VpcSecurityGroupIngressRule(this, `ingress_${rule.port}_${ruleId(cidr)}`, {
          securityGroupId: this.securityGroup.id,
          description: rule.description,
          ipProtocol: "tcp",
          fromPort: rule.port,
          toPort: rule.port,
          ...family,
        });
      }
    }
    const egress = props.egress.kind === "all" ? [{ port: undefined, description: "All outbound traffic" }] :
      props.egress.ports.map((port) => ({ port, description: (props.egress as { description: string }).description }));
    for (const { port, description } of egress) {
      for (const cidr of world) {
        const family = cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr };
        new VpcSecurityGroupEgressRule(this, `egress_${port ?? "all"}_${ruleId(cidr)}`, {
          securityGroupId: this.securityGroup.id,
          description,
          ipProtocol: port === undefined ? "-1" : "tcp",
          fromPort: port,
          toPort: port,
          ...family,
        });
      }
    }
  }
}

/** A construct id for a CIDR: `0.0.0.0/0` -> `ipv4_any`, `2001:db8::/32` -> `ipv6_2001_db8_32`. */
function ruleId(cidr: string): string {
  const family = cidr.includes(":") ? "ipv6" : "ipv4";
  const range = cidr === "0.0.0.0/0" || cidr === "::/0" ? "any" : cidr.replace(/[^A-Za-z0-9]+/g, "_");
  return `${family}_${range}`;
}
