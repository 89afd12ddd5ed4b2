import { Construct } from "constructs";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { isKnown, propError } from "./validation";

export interface DnsNameProps {
  /**
   * The Route 53 public hosted zone that holds `hostname`: its name (`example.com`) or its id
   * (`Z0123456789ABCDEFGHIJ`), looked up at plan time (may be a reference).
   */
  readonly zone: string;
  /** The fully qualified name to create, in the zone (may be a reference). */
  readonly hostname: string;
  /** The IPv4 address it points at, e.g. an Elastic IP's (may be a reference). */
  readonly address: string;
  /**
   * Seconds resolvers may cache the record. Short, so that a moved address is followed soon.
   * @default 300
   */
  readonly ttl?: number;
}

/** A hosted zone id as Route 53 writes it; anything else is taken for a zone name. */
const ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/**
 * A host name in a Route 53 zone pointing at an address: the `A` record a certificate authority resolves before it
 * validates the name over HTTP-01. Only `A`: an Elastic IP is IPv4, and the instance has no public IPv6 address.
 */
export class DnsName extends Construct {
  public readonly zone: DataAwsRoute53Zone;
  public readonly record: Route53Record;

  constructor(scope: Construct, id: string, props: DnsNameProps) {
    super(scope, id);
    const ttl = props.ttl ?? 300;
    if (isKnown(ttl) && !(Number.isInteger(ttl) && ttl >= 0 && ttl <= 2147483647))
      throw propError("DnsName", "ttl", `must be a whole number of seconds, got ${ttl}`);
    this.zone = lookUpPublicZone(this, "zone", { zone: props.zone, hostname: props.hostname, construct: "DnsName" });
    this.record = new Route53Record(this, "record", {
      zoneId: this.zone.zoneId,
      name: props.hostname,
      type: "A",
      ttl,
      records: [props.address],
      // The name may exist already (made by hand before dnsZone was set): it must point here either way.
      allowOverwrite: true,
    });
  }
}

/** What {@link lookUpPublicZone} looks up, and for whom. */
export interface PublicZoneLookup {
  /** The zone's name (`example.com`) or id (`Z0123456789ABCDEFGHIJ`), or a reference (taken for a name). */
  readonly zone: string;
  /** A name that must be in the zone (may be a reference: then it is not checked). */
  readonly hostname: string;
  /** The construct whose props these are, named in the error (`DnsName`). */
  readonly construct: string;
}

/**
 * The `aws_route53_zone` data source of a public hosted zone given by name or id, holding `hostname`: checked at synth
 * for a zone given by name (the error names the construct's `hostname` prop), at plan for one given by id (its name is
 * only known then). Shared by the constructs that put records in the deployment's zone.
 */
export function lookUpPublicZone(scope: Construct, id: string, lookup: PublicZoneLookup): DataAwsRoute53Zone {
  const { zone, hostname, construct } = lookup;
  const byId = isKnown(zone) && ZONE_ID.test(zone);
  if (isKnown(zone) && !byId && isKnown(hostname)) {
    const zoneName = zone.replace(/\.$/, "").toLowerCase();
    const name = hostname.toLowerCase();
    if (name !== zoneName && !name.endsWith(`.${zoneName}`))
      throw propError(construct, "hostname", `"${hostname}" is not in the zone "${zone}"`);
  }
  return new DataAwsRoute53Zone(scope, id, {
    ...(byId ? { zoneId: zone } : { name: zone }),
    privateZone: false,
    // A zone given by id is known only at plan: the name must be in it (Route 53 would refuse the record).
    lifecycle:
      byId && isKnown(hostname)
        ? {
            postcondition: [
              {
                condition: `\${lower("${hostname}") == trimsuffix(self.name, ".") || endswith(lower("${hostname}"), ".\${trimsuffix(self.name, ".")}")}`,
                errorMessage: `The hosted zone ${zone} does not hold ${hostname}: give the zone that holds the hostname (dnsZone in the config).`,
              },
            ],
          }
        : undefined,
  });
}
