import { Construct } from "constructs";
import { ITerraformDependable, TerraformIterator, Token } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import {
  LbListenerRule,
  LbListenerRuleAction,
  LbListenerRuleCondition,
} from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { ADMIN_PATHS } from "../boot/proxy";
import { CLUSTER_PORTS, ClusterNetwork } from "./cluster-network";
import { lookUpPublicZone } from "./dns-name";
import { checkCidrs } from "./network";
import { isKnown, propError } from "./validation";

/**
 * The HTTPS listener's TLS policy: TLS 1.3 and 1.2 with forward-secret ciphers, the policy AWS recommends and the
 * console's default (Elastic Load Balancing user guide, "Security policies for your Application Load Balancer").
 */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * CIDRs per admin rule. A rule holds at most 5 condition values ("Condition values per rule", ALB quotas) and a
 * condition at most 3 match evaluations ("Condition types for listener rules", condition basics): the path pattern
 * takes the 3 admin paths, so 2 CIDRs per rule stay within both.
 */
export const ADMIN_CIDRS_PER_RULE = 2;

/** "Rules per Application Load Balancer (excluding default rules)": 100 (ALB quotas; adjustable, not assumed). */
const MAX_RULES = 100;

/** Priorities of the HTTPS listener's rules (lowest first); the admin rules take adminAllowed and up. */
// The administrators' rules first (they may send anything), then the refusal of paths Keycloak would route
// elsewhere than the ALB matched, then everyone else's.
const PRIORITY = { root: 10, adminAllowed: 100, unsafe: 30000, adminDenied: 40000, public: 50000 };

/**
 * Paths that Keycloak's HTTP server normalizes (dot segments, empty segments, percent-decoding of `.`, `/`, `\`,
 * matrix parameters after `;`) while the ALB matches them as sent, case-sensitively: `/realms/./master/` or
 * `/realms/app/%2e%2e/master/` would otherwise pass a public rule and reach the master realm. A regular expression
 * (`regex_values`, ALB's path regex matching): the plain patterns (`values`) take no `%` or `;`
 * ("A path pattern ... can contain any of the following characters: A-Z, a-z, 0-9, _ - . $ / ~ \" ' @ : + & * ?",
 * PathPatternConditionConfig, ELB API reference). Both cases spelled out in classes rather than an inline `(?i)`:
 * AWS documents neither the flag nor whether regex matching ignores case, only the features it lacks (lookarounds,
 * backreferences, atomic groups, possessive quantifiers, recursion, Unicode classes; "Listener rules", ALB user
 * guide). Within the 128 characters a regex may have (PathPatternConditionConfig).
 */
export const UNSAFE_PATH_REGEX = "^.*(%2[EeFf]|%5[Cc]|;|//|/\\.\\.?/|/\\.\\.?$).*$";

export interface LoadBalancerProps {
  /**
   * The load balancer's name: at most 32 letters, digits and hyphens, neither starting nor ending with a hyphen, not
   * starting with "internal-" (CreateLoadBalancer API reference). AWS cannot rename it: a change replaces it.
   */
  readonly name: string;
  /** Where it runs: the network's subnets, VPC and load-balancer security group. */
  readonly network: ClusterNetwork;
  /** The public hostname, e.g. sso.example.com (may be a reference). */
  readonly hostname: string;
  /**
   * The Route 53 public hosted zone holding `hostname`: its name (`example.com`) or its id (`Z0123456789ABCDEFGHIJ`),
   * looked up at plan time (may be a reference), as DnsName takes it.
   */
  readonly zone: string;
  /**
   * Who may reach Keycloak's admin console and API (`/admin/`): IPv4 and IPv6 CIDRs, matched on the connection's
   * source address (never on X-Forwarded-For); every other client gets 403. A literal list (its elements may be
   * references): the listener rules are made at synth, {@link ADMIN_CIDRS_PER_RULE} CIDRs per rule. [] = nobody.
   */
  readonly adminCidrs: readonly string[];
  /**
   * Write access logs to this S3 bucket, under this prefix. The bucket must grant Elastic Load Balancing write access
   * (its bucket policy, {@link BackupBucket.allowLoadBalancerLogs}); `dependsOn` holds what grants it, since enabling
   * the logs fails while the policy is missing.
   * @default - no access logs
   */
  readonly accessLogs?: {
    readonly bucket: string;
    readonly prefix: string;
    readonly dependsOn?: ITerraformDependable[];
  };
  /**
   * `ipv4`, or `dualstack` for IPv6 clients too (and an `AAAA` alias beside the `A` one). Dual stack needs subnets
   * with IPv6 CIDR blocks, which the default VPC's have not.
   * @default "ipv4"
   */
  readonly ipAddressType?: "ipv4" | "dualstack";
  /**
   * The realms whose endpoints everyone may reach (`/realms/<realm>/*`), besides `/resources/*` and `/.well-known/*`:
   * one, as the public rule's path condition takes 3 values. Never "master", which the admin rules keep.
   */
  readonly publicRealms: readonly [string];
}

/**
 * An internet-facing Application Load Balancer in front of the cluster, answering as the single-instance proxy does
 * (src/boot/proxy.ts): HTTPS on 443 with an ACM certificate validated through Route 53, Keycloak's public paths to
 * the instances, `/admin/` from `adminCidrs` only (403 for others), `/` redirected to `/admin/`, anything else 404;
 * HTTP on 80 redirected to HTTPS; the hostname an alias of the load balancer.
 */
export class LoadBalancer extends Construct {
  public readonly zone: DataAwsRoute53Zone;
  /** Internet-facing, dropping invalid header fields, in the network's subnets and load-balancer group. */
  public readonly loadBalancer: Lb;
  /** HTTP to Keycloak; health check on the management port's `/health/ready`; no stickiness. */
  public readonly targetGroup: LbTargetGroup;
  /** The hostname's certificate, validated by DNS. */
  public readonly certificate: AcmCertificate;
  /** Waits until the certificate is issued: the HTTPS listener takes the certificate from it. */
  public readonly certificateValidation: AcmCertificateValidation;
  /** 443, TLS 1.3/1.2; default action 404. */
  public readonly httpsListener: LbListener;
  /** 80: redirects everything to HTTPS (301). */
  public readonly httpListener: LbListener;
  /** The HTTPS listener's rules, by priority. */
  public readonly rules: readonly LbListenerRule[];
  /** `A` alias of the hostname to the load balancer. */
  public readonly record: Route53Record;
  /** `AAAA` alias, with `ipAddressType` "dualstack". */
  public readonly ipv6Record?: Route53Record;
  /** `https://<hostname>`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const ipAddressType = props.ipAddressType ?? "ipv4";
    checkName(props.name);
    for (const realm of props.publicRealms)
      if (isKnown(realm) && (realm === "master" || !/^[A-Za-z0-9_-]+$/.test(realm)))
        throw propError(
          "LoadBalancer",
          "publicRealms",
          `must name application realms (letters, digits, _ and -), never "master", got "${realm}"`,
        );
    if (!isKnown(ipAddressType))
      throw propError(
        "LoadBalancer",
        "ipAddressType",
        "must be a literal: it decides at synth whether an AAAA alias is made",
      );
    if (!["ipv4", "dualstack"].includes(ipAddressType))
      throw propError("LoadBalancer", "ipAddressType", `must be "ipv4" or "dualstack", got "${ipAddressType}"`);
    if (!isKnown(props.adminCidrs))
      throw propError(
        "LoadBalancer",
        "adminCidrs",
        "must be a literal list (its elements may be references): the listener rules are made at synth",
      );
    checkCidrs("LoadBalancer", "adminCidrs", props.adminCidrs);
    const adminChunks = chunks(props.adminCidrs, ADMIN_CIDRS_PER_RULE);
    const fixedRules = Object.keys(PRIORITY).length - 1; // every rule but the admin ones
    const maxCidrs = (MAX_RULES - fixedRules) * ADMIN_CIDRS_PER_RULE;
    if (props.adminCidrs.length > maxCidrs)
      throw propError(
        "LoadBalancer",
        "adminCidrs",
        `has ${props.adminCidrs.length} CIDRs; at most ${maxCidrs} fit in an ALB's ${MAX_RULES} rules (merge them into wider CIDRs)`,
      );
    // The zone first: its check of the hostname throws before anything else is made.
    this.zone = lookUpPublicZone(this, "zone", {
      zone: props.zone,
      hostname: props.hostname,
      construct: "LoadBalancer",
    });

    // The certificate, validated by DNS: one CNAME per name in the certificate, made with for_each over
    // domain_validation_options keyed by domain_name (known at plan), and aws_acm_certificate_validation waiting on
    // their FQDNs (Terraform AWS provider docs, r/acm_certificate_validation "DNS Validation with Route 53"; cdktf's
    // TerraformIterator.fromComplexList documents the same for cdktf). create_before_destroy, as the provider's
    // acm_certificate page advises, so that a replaced certificate is issued before the listener lets go of the old.
    this.certificate = new AcmCertificate(this, "certificate", {
      domainName: props.hostname,
      validationMethod: "DNS",
      tags: { Name: props.name },
      lifecycle: { createBeforeDestroy: true },
    });
    const options = TerraformIterator.fromComplexList(this.certificate.domainValidationOptions, "domain_name");
    const validationRecords = new Route53Record(this, "validation_record", {
      forEach: options,
      zoneId: this.zone.zoneId,
      name: options.getString("resource_record_name"),
      type: options.getString("resource_record_type"),
      records: [options.getString("resource_record_value")],
      ttl: 60,
      // ACM asks for the same CNAME for the same name in an account: an earlier deployment's record is taken over.
      allowOverwrite: true,
    });
    this.certificateValidation = new AcmCertificateValidation(this, "certificate_validation", {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: Token.asList(TerraformIterator.fromResources(validationRecords).pluckProperty("fqdn")),
    });

    this.loadBalancer = new Lb(this, "load_balancer", {
      name: props.name,
      loadBalancerType: "application",
      internal: false,
      ipAddressType,
      subnets: props.network.subnetIds,
      securityGroups: [props.network.loadBalancerSecurityGroup.id],
      // Header names outside [-A-Za-z0-9]+ are removed rather than passed to Keycloak
      // (routing.http.drop_invalid_header_fields.enabled, ALB user guide "Load balancer attributes").
      dropInvalidHeaderFields: true,
      accessLogs: props.accessLogs && {
        bucket: props.accessLogs.bucket,
        prefix: props.accessLogs.prefix,
        enabled: true,
      },
      tags: { Name: props.name },
      dependsOn: props.accessLogs?.dependsOn,
    });

    this.targetGroup = new LbTargetGroup(this, "target_group", {
      // No name: Terraform makes a unique one, so that a replacement (a new port) is created before the old is gone.
      targetType: "instance",
      protocol: "HTTP",
      // The ports the network opens to the load balancer, where the boot has Keycloak listen.
      port: CLUSTER_PORTS.keycloakHttp,
      vpcId: props.network.vpcId,
      // Keycloak finishes its requests well within 30 s; AWS's default is 300 s of waiting per replaced instance.
      deregistrationDelay: "30",
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: String(CLUSTER_PORTS.keycloakManagement),
        path: "/health/ready",
        matcher: "200",
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      // Keycloak 26 keeps sessions in the distributed caches: any node serves any request.
      stickiness: { type: "lb_cookie", enabled: false },
      tags: { Name: props.name },
      lifecycle: { createBeforeDestroy: true },
    });

    this.httpsListener = new LbListener(this, "https", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: TLS_POLICY,
      // The validation's ARN, not the certificate's: the listener waits until the certificate is issued.
      certificateArn: this.certificateValidation.certificateArn,
      defaultAction: [{ type: "fixed-response", fixedResponse: fixed("404", "Not found") }],
    });
    this.httpListener = new LbListener(this, "http", {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
    });

    const forward: LbListenerRuleAction = { type: "forward", targetGroupArn: this.targetGroup.arn };
    const path = (...values: string[]): LbListenerRuleCondition => ({ pathPattern: { values } });
    const rule = (
      ruleId: string,
      priority: number,
      action: LbListenerRuleAction,
      condition: LbListenerRuleCondition[],
    ) =>
      new LbListenerRule(this, ruleId, { listenerArn: this.httpsListener.arn, priority, action: [action], condition });
    const badRequest: LbListenerRuleAction = { type: "fixed-response", fixedResponse: fixed("400", "Bad request") };
    this.rules = [
      // Path patterns match the path as sent, case-sensitively (PathPatternConditionConfig, ELB API reference), and
      // nothing in the ALB documentation says dot segments are removed first, while Keycloak's HTTP server does remove
      // them: /realms/../admin/ would pass as a public path. Such paths are refused, as Caddy matches the cleaned path.
      rule("root", PRIORITY.root, { type: "redirect", redirect: { path: "/admin/", statusCode: "HTTP_302" } }, [
        path("/"),
      ]),
      // The admin console and API, and the master realm (the administrators' login and token endpoint), as the
      // single instance's proxy keeps them (src/boot/proxy.ts ADMIN_PATHS).
      ...adminChunks.map((cidrs, i) =>
        rule(`admin_${i}`, PRIORITY.adminAllowed + i, forward, [path(...ADMIN_PATHS), { sourceIp: { values: cidrs } }]),
      ),
      rule("unsafe_paths", PRIORITY.unsafe, badRequest, [{ pathPattern: { regexValues: [UNSAFE_PATH_REGEX] } }]),
      rule("admin_denied", PRIORITY.adminDenied, { type: "fixed-response", fixedResponse: fixed("403", "Forbidden") }, [
        path(...ADMIN_PATHS),
      ]),
      // Only the application realms: the master realm stays behind the admin rules whatever the path's spelling.
      rule("public", PRIORITY.public, forward, [
        path(...props.publicRealms.map((realm) => `/realms/${realm}/*`), "/resources/*", "/.well-known/*"),
      ]),
    ];

    const alias = (recordId: string, type: "A" | "AAAA") =>
      new Route53Record(this, recordId, {
        zoneId: this.zone.zoneId,
        name: props.hostname,
        type,
        alias: { name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true },
        // A record the name already has (the single instance's, by hand) is taken over, as DnsName does, rather than
        // failing the first apply.
        allowOverwrite: true,
      });
    this.record = alias("record", "A");
    if (ipAddressType === "dualstack") this.ipv6Record = alias("ipv6_record", "AAAA");
    this.url = `https://${props.hostname}`;
  }
}

/** A plain-text fixed response. */
function fixed(statusCode: string, messageBody: string) {
  return { contentType: "text/plain", statusCode, messageBody };
}

/** `list` in consecutive slices of at most `size` elements. */
function chunks<T>(list: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < list.length; i += size) result.push(list.slice(i, i + size));
  return result;
}

function checkName(name: string): void {
  if (!isKnown(name)) return;
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name))
    throw propError(
      "LoadBalancer",
      "name",
      `must be 1-32 letters, digits or hyphens, not starting or ending with a hyphen, got "${name}"`,
    );
  if (name.toLowerCase().startsWith("internal-"))
    throw propError("LoadBalancer", "name", `must not begin with "internal-", got "${name}"`);
}
