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
    const byId = isKnown(props.zone) && ZONE_ID.test(props.zone);
    if (isKnown(props.zone) && !byId && isKnown(props.hostname)) {
      const zone = props.zone.replace(/\.$/, "").toLowerCase();
      const name = props.hostname.toLowerCase();
      if (name !== zone && !name.endsWith(`.${zone}`))
        throw propError("DnsName", "hostname", `"${props.hostname}" is not in the zone "${props.zone}"`);
    }
    this.zone = new DataAwsRoute53Zone(this, "zone", {
      ...(byId ? { zoneId: props.zone } : { name: props.zone }),
      privateZone: false,
      // A zone given by id is known only at plan: the name must be in it (Route 53 would refuse the record).
      lifecycle:
        byId && isKnown(props.hostname)
          ? {
              postcondition: [
                {
                  condition: `\${lower("${props.hostname}") == trimsuffix(self.name, ".") || endswith(lower("${props.hostname}"), ".\${trimsuffix(self.name, ".")}")}`,
                  errorMessage: `The hosted zone ${props.zone} does not hold ${props.hostname}: give dnsZone the zone that holds the hostname.`,
                },
              ],
            }
          : undefined,
    });
    this.record = new Route53Record(this, "record", {
      zoneId: this.zone.zoneId,
      name: props.hostname,
      type: "A",
      ttl,
      records: [props.address],
    });
  }
}
