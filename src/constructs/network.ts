import { Construct } from "constructs";
import { Fn, TerraformIterator, Token } from "cdktf";
import { DataAwsVpcs } from "@cdktf/provider-aws/lib/data-aws-vpcs";
import { DefaultVpc } from "@cdktf/provider-aws/lib/default-vpc";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { cidrFamily, isNetworkCidr, WORLD_CIDRS } from "../aws/cidr";
import { isKnown, knownElements, propError } from "./validation";

/** One inbound TCP port and who may reach it. */
export interface IngressRule {
  /** Construct id of the rule (`https`, `ssh`): the Terraform resource is named after it. */
  readonly id: string;
  /** TCP port. */
  readonly port: number;
  /** IPv4 and IPv6 CIDRs allowed (may be a Terraform reference to a list); an empty list opens nothing. */
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
  /** Name of the security group (may be a Terraform reference). AWS cannot rename a group: a change replaces it. */
  readonly securityGroupName: string;
  /**
   * Description of the security group. AWS cannot change it in place either, so it says what the group is for, not
   * which ports are open (the rules' descriptions say that).
   * @default "Keycloak on EC2, managed by keycloak-ec2"
   */
  readonly description?: string;
  /** Inbound rules. @default - none */
  readonly ingress?: readonly IngressRule[];
  /** Outbound traffic. @default - HTTPS (443) only */
  readonly egress?: EgressPolicy;
  /**
   * `inline`: `ingress`/`egress` blocks inside `aws_security_group`, as the guide writes them.
   * `separate`: one `aws_vpc_security_group_ingress_rule`/`egress_rule` per rule, over its CIDRs with `for_each`,
   * the AWS provider's recommended form (a CIDR can change without touching the others, each has a description).
   * @default "separate"
   */
  readonly ruleStyle?: "inline" | "separate";
  /**
   * Manage the account's default VPC as an `aws_default_vpc` resource with a `Name` tag (what the guide does).
   * Off, the default VPC is only looked up: this stack then never tags or adopts a VPC that other stacks share.
   * @default false
   */
  readonly manageDefaultVpc?: boolean;
  /** The VPC of the security group (may be a reference). @default - the account's default VPC in the region (the
   * plan stops with a message naming this prop when the account has none) */
  readonly vpcId?: string;
}

const DEFAULT_EGRESS: EgressPolicy = {
  kind: "tcp",
  ports: [443],
  description: "HTTPS out: packages, container images, SSM and AWS APIs",
};

/** The default VPC and the instance's security group. */
export class Network extends Construct {
  /** The guide's `aws_default_vpc.default`, when `manageDefaultVpc` is set. */
  public readonly defaultVpc?: DefaultVpc;
  public readonly vpcId: string;
  public readonly securityGroup: SecurityGroup;
  /** The egress rules, for resources that must not start before their traffic can leave. */
  public readonly egressRules: readonly VpcSecurityGroupEgressRule[];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const ingress = props.ingress ?? [];
    const egress = props.egress ?? DEFAULT_EGRESS;
    const inline = props.ruleStyle === "inline";
    ingress.forEach((rule, i) => {
      checkPort(rule.port, `ingress[${i}].port`);
      checkCidrs("Network", `ingress[${i}].cidrs`, rule.cidrs);
      // Inline blocks split a list into IPv4 and IPv6 attributes at synth time, which a reference does not allow.
      if (inline && !isKnown(rule.cidrs)) {
        throw propError(
          "Network",
          `ingress[${i}].cidrs`,
          'must be a literal list with ruleStyle "inline" (use "separate" for a reference)',
        );
      }
    });
    if (egress.kind === "tcp") egress.ports.forEach((port, i) => checkPort(port, `egress.ports[${i}]`));

    if (props.manageDefaultVpc && props.vpcId !== undefined)
      throw propError("Network", "vpcId", "and 'manageDefaultVpc' exclude each other");
    if (props.manageDefaultVpc) {
      this.defaultVpc = new DefaultVpc(this, "default_vpc", { tags: { Name: "Default VPC" } });
      this.vpcId = this.defaultVpc.id;
    } else {
      this.vpcId =
        props.vpcId ??
        lookUpDefaultVpc(
          this,
          "give the deployment a subnet of your own (config subnetId, or KeycloakServer's subnetId)",
        );
    }

    const ofFamily = (cidrs: readonly string[], family: "ipv4" | "ipv6") =>
      cidrs.filter((c) => cidrFamily(c) === family);
    this.securityGroup = new SecurityGroup(this, "security_group", {
      name: props.securityGroupName,
      description: props.description ?? "Keycloak on EC2, managed by keycloak-ec2",
      vpcId: this.vpcId,
      ingress: inline
        ? ingress.map((rule) => ({
            description: rule.description,
            fromPort: rule.port,
            toPort: rule.port,
            protocol: "tcp",
            cidrBlocks: ofFamily(rule.cidrs, "ipv4"),
            ipv6CidrBlocks: ofFamily(rule.cidrs, "ipv6"),
          }))
        : undefined,
      egress: inline
        ? (egress.kind === "all"
            ? [{ port: 0, protocol: "-1" }]
            : egress.ports.map((port) => ({ port, protocol: "tcp" }))
          ).map(({ port, protocol }) => ({
            fromPort: port,
            toPort: port,
            protocol,
            cidrBlocks: ofFamily(WORLD_CIDRS, "ipv4"),
            ipv6CidrBlocks: ofFamily(WORLD_CIDRS, "ipv6"),
          }))
        : undefined,
      tags: { Name: props.securityGroupName },
    });
    if (inline) {
      this.egressRules = [];
      return;
    }

    for (const rule of ingress) cidrRule(this, rule.id, "ingress", { ...rule, securityGroupId: this.securityGroup.id });
    const egressPorts =
      egress.kind === "all"
        ? [{ id: "egress_all", port: undefined, description: "All outbound traffic" }]
        : egress.ports.map((port) => ({ id: `egress_${port}`, port, description: egress.description }));
    this.egressRules = egressPorts.map(({ id: ruleId, port, description }) =>
      cidrRule(this, ruleId, "egress", {
        securityGroupId: this.securityGroup.id,
        port,
        cidrs: WORLD_CIDRS,
        description,
      })!,
    );
  }
}

/**
 * The id of the account's default VPC. Listed rather than read (`aws_vpc` with `default = true` fails with a bare "no
 * matching EC2 VPC found"), so that a missing one stops the plan saying what to do: `instead`, or create one.
 */
export function lookUpDefaultVpc(scope: Construct, instead: string): string {
  const vpcs = new DataAwsVpcs(scope, "default_vpc", {
    filter: [{ name: "is-default", values: ["true"] }],
    lifecycle: {
      postcondition: [
        {
          condition: "${length(self.ids) == 1}",
          errorMessage: `This account has no default VPC in this region: ${instead}, or create the default VPC with aws ec2 create-default-vpc.`,
        },
      ],
    },
  });
  return Fn.element(vpcs.ids, 0);
}

function checkPort(port: number, prop: string): void {
  if (isKnown(port) && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw propError("Network", prop, `must be a TCP port (1-65535), got ${port}`);
  }
}

/** Refuses a CIDR that AWS would refuse, among those known at synth time (a reference is left to AWS). */
export function checkCidrs(construct: string, prop: string, cidrs: readonly string[]): void {
  for (const cidr of knownElements(cidrs)) {
    if (!isNetworkCidr(cidr))
      throw propError(construct, prop, `has "${cidr}", which is not an IPv4 or IPv6 network CIDR`);
  }
}

/** A rule of `cidrRule`: its group, TCP port (none: every protocol), CIDRs and description. */
interface CidrRule {
  readonly securityGroupId: string;
  readonly port?: number;
  readonly cidrs: readonly string[];
  readonly description: string;
}

/**
 * A security group rule on TCP `port` (every protocol without one) to or from each CIDR: a `for_each` rule, so that
 * one CIDR can change without touching the others, its `cidr_ipv4` or `cidr_ipv6` whichever the CIDR's family is.
 * None for a literal empty list, which opens nothing; a reference may be empty or not at plan time.
 */
export function cidrRule(
  scope: Construct,
  id: string,
  direction: "ingress",
  rule: CidrRule,
): VpcSecurityGroupIngressRule | undefined;
export function cidrRule(
  scope: Construct,
  id: string,
  direction: "egress",
  rule: CidrRule,
): VpcSecurityGroupEgressRule | undefined;
export function cidrRule(
  scope: Construct,
  id: string,
  direction: "ingress" | "egress",
  rule: CidrRule,
): VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule | undefined {
  if (isKnown(rule.cidrs) && rule.cidrs.length === 0) return undefined;
  const each = TerraformIterator.fromList([...rule.cidrs]);
  const isIpv6 = Fn.strcontains(each.value, ":");
  const config = {
    forEach: each,
    securityGroupId: rule.securityGroupId,
    description: rule.description,
    ipProtocol: rule.port === undefined ? "-1" : "tcp",
    fromPort: rule.port,
    toPort: rule.port,
    cidrIpv4: Fn.conditional(isIpv6, Token.nullValue(), each.value),
    cidrIpv6: Fn.conditional(isIpv6, each.value, Token.nullValue()),
  };
  return direction === "ingress"
    ? new VpcSecurityGroupIngressRule(scope, id, config)
    : new VpcSecurityGroupEgressRule(scope, id, config);
}
