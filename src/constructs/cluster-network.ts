import { Construct } from "constructs";
import { Fn, Token } from "cdktf";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { WORLD_CIDRS } from "../aws/cidr";
import { checkCidrs, cidrRule, lookUpDefaultVpc } from "./network";
import { isKnown, propError } from "./validation";

/** The TCP ports the cluster's security groups open between its tiers. */
export const CLUSTER_PORTS = {
  /** Keycloak's plain-HTTP listener, behind the load balancer (which terminates TLS). */
  keycloakHttp: 8080,
  /** Keycloak's management interface: `/health/ready` for the target group's health check. */
  keycloakManagement: 9000,
  /**
   * JGroups unicast data (`jgroups.bind.port`) and FD_SOCK2 failure detection (`jgroups.bind.port` + the
   * `jgroups.fd.port-offset` 50000): the TCP ports the jdbc-ping stack needs open between nodes (Keycloak's caching
   * guide, "Network ports", https://www.keycloak.org/server/caching; the Red Hat build 26.2 server configuration guide
   * lists the same two).
   */
  jgroups: 7800,
  jgroupsFailureDetection: 57800,
  /** PostgreSQL (RDS for PostgreSQL and Aurora PostgreSQL alike). */
  postgres: 5432,
} as const;

export interface ClusterNetworkProps {
  /**
   * Prefix of the security groups' names (`<prefix>-lb`, `<prefix>-instances`, `<prefix>-db`), e.g.
   * "keycloak-ec2-cluster". AWS cannot rename a group: a change replaces all three.
   */
  readonly namePrefix: string;
  /**
   * The VPC (may be a reference). With `subnetIds`, the plan checks that the first of them is in it.
   * @default - the VPC of the first of `subnetIds` when they are given; otherwise the account's default VPC in the
   * region (the plan stops with a message naming this prop when the account has none)
   */
  readonly vpcId?: string;
  /**
   * Subnets for the load balancer, the instances and the database, in at least two availability zones (may be a
   * reference). The load balancer is internet-facing: they need a route to an internet gateway.
   * @default - the VPC's default-for-az subnets (one per zone: the default VPC has them, another VPC has none); the
   * plan stops when there are fewer than two
   */
  readonly subnetIds?: readonly string[];
  /**
   * IPv4 and IPv6 CIDRs that may reach the load balancer on 443 (and 80, which only redirects to 443); may be a
   * reference; an empty list opens nothing.
   * @default WORLD_CIDRS (the whole internet)
   */
  readonly httpsCidrs?: readonly string[];
}

/**
 * The cluster's network: where it runs (a VPC and subnets in at least two zones) and three chained security groups,
 * so that only the load balancer reaches the instances, only the instances reach the database, and only the
 * instances reach each other's cluster ports. Every rule is its own resource with a description; the groups' names
 * and descriptions never change with the configuration (AWS replaces a group to change either).
 *
 * A group made by `aws_security_group` has no egress rule: the provider deletes the allow-all rule AWS adds to a new
 * VPC group (provider docs, r/security_group), so the database group, which gets none, sends nothing out.
 */
export class ClusterNetwork extends Construct {
  public readonly vpcId: string;
  /** The subnets (a reference list when looked up). */
  public readonly subnetIds: string[];
  /** The load balancer's: 443 and 80 from `httpsCidrs`; out only to the instances' 8080 and 9000. */
  public readonly loadBalancerSecurityGroup: SecurityGroup;
  /**
   * The instances': 8080 and 9000 from the load balancer's group only; 7800 and 57800 (JGroups) from itself; out: 443
   * to the internet (packages, images, SSM, AWS APIs), 5432 to the database's group, 7800 and 57800 to itself.
   */
  public readonly instanceSecurityGroup: SecurityGroup;
  /** The database's: 5432 from the instances' group only; nothing out. */
  public readonly databaseSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    const { namePrefix } = props;
    const httpsCidrs = props.httpsCidrs ?? WORLD_CIDRS;
    if (isKnown(namePrefix) && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(namePrefix))
      throw propError(
        "ClusterNetwork",
        "namePrefix",
        `must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit, got "${namePrefix}"`,
      );
    if (isKnown(namePrefix) && namePrefix.toLowerCase().startsWith("sg-"))
      throw propError("ClusterNetwork", "namePrefix", `must not begin with "sg-" (AWS refuses such group names)`);
    checkCidrs("ClusterNetwork", "httpsCidrs", httpsCidrs);
    if (props.subnetIds !== undefined && isKnown(props.subnetIds) && props.subnetIds.length < 2)
      throw propError(
        "ClusterNetwork",
        "subnetIds",
        `must hold at least two subnets, in different availability zones (an Application Load Balancer and an RDS subnet group need two), got ${props.subnetIds.length}`,
      );

    if (props.subnetIds !== undefined) {
      this.subnetIds = [...props.subnetIds];
      const first = isKnown(props.subnetIds) ? props.subnetIds[0] : Fn.element(this.subnetIds, 0);
      // With a VPC given too, the plan stops when the subnets are in another one (the security groups would be).
      const firstSubnet = new DataAwsSubnet(this, "first_subnet", {
        id: first,
        lifecycle:
          props.vpcId === undefined
            ? undefined
            : {
                postcondition: [
                  {
                    condition: `\${self.vpc_id == "${props.vpcId}"}`,
                    errorMessage: `The subnets are not in the VPC ${props.vpcId}: give vpcId the subnets' VPC, or leave it out.`,
                  },
                ],
              },
      });
      this.vpcId = props.vpcId ?? firstSubnet.vpcId;
    } else {
      this.vpcId =
        props.vpcId ??
        lookUpDefaultVpc(
          this,
          "give the cluster a VPC and subnets of your own (config vpcId and subnetIds, or ClusterNetwork's)",
        );
      this.subnetIds = this.lookUpDefaultSubnets(this.vpcId);
    }

    const group = (groupId: string, suffix: string, description: string) =>
      new SecurityGroup(this, groupId, {
        name: `${namePrefix}-${suffix}`,
        description,
        vpcId: this.vpcId,
        tags: { Name: `${namePrefix}-${suffix}` },
      });
    this.loadBalancerSecurityGroup = group("lb", "lb", "Keycloak cluster load balancer, managed by keycloak-ec2");
    this.instanceSecurityGroup = group("instances", "instances", "Keycloak cluster instances, managed by keycloak-ec2");
    this.databaseSecurityGroup = group("db", "db", "Keycloak cluster database, managed by keycloak-ec2");
    const [lb, instances, db] = [
      this.loadBalancerSecurityGroup,
      this.instanceSecurityGroup,
      this.databaseSecurityGroup,
    ];

    // The load balancer: HTTPS from the allowed CIDRs, HTTP too (it only redirects to HTTPS); out to Keycloak only.
    const fromClients = (ruleId: string, port: number, description: string) =>
      cidrRule(this, ruleId, "ingress", { securityGroupId: lb.id, port, cidrs: httpsCidrs, description });
    fromClients("lb_https_in", 443, "HTTPS to Keycloak through the load balancer");
    fromClients("lb_http_in", 80, "HTTP, redirected to HTTPS by the load balancer");
    this.betweenGroups("lb_to_http", lb, instances, CLUSTER_PORTS.keycloakHttp, "Requests to Keycloak's HTTP port");
    this.betweenGroups(
      "lb_to_management",
      lb,
      instances,
      CLUSTER_PORTS.keycloakManagement,
      "Health checks on Keycloak's management port",
    );

    // The instances: out to the internet on 443 only, to the database, and to each other's cluster ports.
    cidrRule(this, "instances_https_out", "egress", {
      securityGroupId: instances.id,
      port: 443,
      cidrs: WORLD_CIDRS,
      description: "HTTPS out: packages, container images, SSM and AWS APIs",
    });
    this.betweenGroups("instances_to_db", instances, db, CLUSTER_PORTS.postgres, "Keycloak to its PostgreSQL database");
    this.betweenGroups(
      "jgroups",
      instances,
      instances,
      CLUSTER_PORTS.jgroups,
      "JGroups (Infinispan) data between Keycloak nodes",
    );
    this.betweenGroups(
      "jgroups_fd",
      instances,
      instances,
      CLUSTER_PORTS.jgroupsFailureDetection,
      "JGroups failure detection (FD_SOCK2) between Keycloak nodes",
    );
  }

  /** TCP `port` from group `from` to group `to`: an egress rule on `from` and an ingress rule on `to`. */
  private betweenGroups(
    ruleId: string,
    from: SecurityGroup,
    to: SecurityGroup,
    port: number,
    description: string,
  ): void {
    const common = { description, ipProtocol: "tcp", fromPort: port, toPort: port };
    new VpcSecurityGroupEgressRule(this, `${ruleId}_out`, {
      ...common,
      securityGroupId: from.id,
      referencedSecurityGroupId: to.id,
    });
    new VpcSecurityGroupIngressRule(this, `${ruleId}_in`, {
      ...common,
      securityGroupId: to.id,
      referencedSecurityGroupId: from.id,
    });
  }

  /**
   * The VPC's default subnets: the default VPC has one in each availability zone ("Default VPCs", Amazon VPC user
   * guide), so two of them are two zones. Sorted, so that the list does not reorder between plans.
   */
  private lookUpDefaultSubnets(vpcId: string): string[] {
    const subnets = new DataAwsSubnets(this, "default_subnets", {
      filter: [
        { name: "vpc-id", values: [vpcId] },
        { name: "default-for-az", values: ["true"] },
      ],
      lifecycle: {
        postcondition: [
          {
            condition: "${length(self.ids) >= 2}",
            errorMessage:
              "The cluster needs subnets in at least two availability zones, and this VPC has fewer than two default subnets: give ClusterNetwork's subnetIds (config subnetIds), or create the missing default subnets with aws ec2 create-default-subnet --availability-zone <zone>.",
          },
        ],
      },
    });
    return Token.asList(Fn.sort(subnets.ids));
  }
}
