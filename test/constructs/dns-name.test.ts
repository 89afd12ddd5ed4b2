import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { DnsName, DnsNameProps } from "../../src/constructs/dns-name";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

const PROPS: DnsNameProps = { zone: "example.com", hostname: "sso.example.com", address: "203.0.113.7" };

function synthName(props: Partial<DnsNameProps>, stack = newStack()) {
  new DnsName(stack, "dns", { ...PROPS, ...props });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) };
}

describe("DnsName", () => {
  it("creates the hostname's A record in the public zone found by name, pointing at the address", () => {
    // GIVEN / WHEN
    const { json } = synthName({});
    // THEN
    expect(json).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: "example.com", private_zone: false });
    expect(json).toHaveResourceWithProperties(Route53Record, { type: "A", records: ["203.0.113.7"] });
  });

  it("points at the address with a short TTL, in the zone the lookup found", () => {
    const { tf } = synthName({ ttl: 60 });
    const [[zoneId]] = Object.entries(tf.data.aws_route53_zone);
    const [record] = Object.values(tf.resource.aws_route53_record) as any[];
    expect(record).toEqual({
      zone_id: `\${data.aws_route53_zone.${zoneId}.zone_id}`,
      name: "sso.example.com",
      type: "A",
      ttl: 60,
      records: ["203.0.113.7"],
      allow_overwrite: true,
    });
  });

  it("finds a zone given by id, and checks at plan time that it holds the hostname", () => {
    // GIVEN / WHEN
    const { tf } = synthName({ zone: "Z0123456789ABCDEFGHIJ" });
    // THEN
    const [zone] = Object.values(tf.data.aws_route53_zone) as any[];
    expect(zone.zone_id).toBe("Z0123456789ABCDEFGHIJ");
    expect(zone.name).toBeUndefined();
    expect(zone.lifecycle.postcondition[0].condition).toBe(
      '${lower("sso.example.com") == trimsuffix(self.name, ".") || endswith(lower("sso.example.com"), ".${trimsuffix(self.name, ".")}")}',
    );
    expect(zone.lifecycle.postcondition[0].error_message).toMatch(/does not hold sso\.example\.com/);
  });

  it("takes references: an address and a hostname from variables", () => {
    const stack = newStack();
    const hostname = new TerraformVariable(stack, "hostname", { type: "string" });
    const { tf } = synthName({ hostname: hostname.stringValue, address: "${aws_eip.a.public_ip}" }, stack);
    const [record] = Object.values(tf.resource.aws_route53_record) as any[];
    expect(record.name).toBe("${var.hostname}");
    expect(record.records).toEqual(["${aws_eip.a.public_ip}"]);
  });

  it.each<[Partial<DnsNameProps>, RegExp]>([
    [{ hostname: "sso.example.org" }, /DnsName: 'hostname' "sso\.example\.org" is not in the zone "example\.com"/],
    [{ hostname: "sso.notexample.com" }, /DnsName: 'hostname' "sso\.notexample\.com" is not in the zone/],
    [{ ttl: -1 }, /DnsName: 'ttl' must be a whole number of seconds, got -1/],
  ])("refuses %p, naming the prop", (props, message) => {
    expect(() => new DnsName(newStack(), "dns", { ...PROPS, ...props })).toThrow(message);
  });
});
