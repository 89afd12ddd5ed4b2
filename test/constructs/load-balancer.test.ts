import "../cdktf-matchers";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { CLUSTER_PORTS, ClusterNetwork } from "../../src/constructs/cluster-network";
import { LoadBalancer, LoadBalancerProps, UNSAFE_PATH_REGEX } from "../../src/constructs/load-balancer";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

type Props = Omit<LoadBalancerProps, "network">;
const PROPS: Props = {
  name: "kc",
  hostname: "sso.example.com",
  zone: "example.com",
  adminCidrs: ["203.0.113.0/24"],
  publicRealms: ["app"],
};

/** A stack (fresh unless given) holding a ClusterNetwork on two given subnets and a LoadBalancer on it. */
function synthLb(props: Partial<Props>, stack = newStack()) {
  const network = new ClusterNetwork(stack, "network", { namePrefix: "kc", subnetIds: ["subnet-a", "subnet-b"] });
  const lb = new LoadBalancer(stack, "lb", { ...PROPS, ...props, network });
  new TerraformOutput(stack, "url", { value: lb.url });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json), lb };
}

type Json = Record<string, any>;
const only = (resources: Json | undefined): Json => {
  const values = Object.values(resources ?? {});
  expect(values).toHaveLength(1);
  return values[0];
};
const keyOf = (resources: Json, match: (r: Json) => boolean): string =>
  Object.entries(resources).find(([, r]) => match(r))![0];
/** The HTTPS listener's rules, by priority. */
const rulesOf = (tf: Json): Json[] =>
  Object.values(tf.resource.aws_lb_listener_rule as Json).sort((a, b) => a.priority - b.priority);
const paths = (rule: Json): string[] | undefined =>
  rule.condition.find((c: Json) => c.path_pattern)?.path_pattern.values;
const sources = (rule: Json): string[] | undefined => rule.condition.find((c: Json) => c.source_ip)?.source_ip.values;

/** The admin console and API, and the master realm: what only adminCidrs reach. */
const ADMIN = ["/admin/*", "/realms/master", "/realms/master/*"];

describe("LoadBalancer", () => {
  it("is an internet-facing ALB dropping invalid headers, in the network's subnets and load-balancer group", () => {
    // GIVEN / WHEN
    const { json, tf } = synthLb({});
    // THEN
    const lbGroup = keyOf(tf.resource.aws_security_group, (g) => g.name === "kc-lb");
    expect(json).toHaveResourceWithProperties(Lb, {
      name: "kc",
      load_balancer_type: "application",
      internal: false,
      ip_address_type: "ipv4",
      drop_invalid_header_fields: true,
      subnets: ["subnet-a", "subnet-b"],
      security_groups: [`\${aws_security_group.${lbGroup}.id}`],
    });
    expect(only(tf.resource.aws_lb).access_logs).toBeUndefined();
  });

  it("sends to Keycloak's HTTP port, checking health on the management port's /health/ready, without stickiness", () => {
    // GIVEN / WHEN
    const { tf } = synthLb({});
    // THEN
    const subnet = Object.keys(tf.data.aws_subnet)[0];
    expect(only(tf.resource.aws_lb_target_group)).toMatchObject({
      target_type: "instance",
      protocol: "HTTP",
      port: 8080,
      vpc_id: `\${data.aws_subnet.${subnet}.vpc_id}`,
      deregistration_delay: "30",
      health_check: { enabled: true, protocol: "HTTP", port: "9000", path: "/health/ready", matcher: "200" },
      stickiness: { type: "lb_cookie", enabled: false },
      lifecycle: { create_before_destroy: true },
    });
    expect(only(tf.resource.aws_lb_target_group).name).toBeUndefined();
  });

  it("sends to the ports the network opens and the boot has Keycloak listen on", () => {
    const { tf } = synthLb({});
    expect(only(tf.resource.aws_lb_target_group)).toMatchObject({
      port: CLUSTER_PORTS.keycloakHttp,
      health_check: { port: String(CLUSTER_PORTS.keycloakManagement) },
    });
  });

  it("refuses an ipAddressType given as a reference: it decides at synth whether an AAAA alias is made", () => {
    const stack = newStack();
    const type = new TerraformVariable(stack, "ip_type", { type: "string" }).stringValue;
    expect(() => synthLb({ ipAddressType: type as "ipv4" }, stack)).toThrow(
      "LoadBalancer: 'ipAddressType' must be a literal: it decides at synth whether an AAAA alias is made",
    );
  });

  it("validates the hostname's certificate by DNS in the zone, and the listener waits for the validation", () => {
    // GIVEN / WHEN
    const { json, tf } = synthLb({});
    // THEN
    expect(json).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: "sso.example.com",
      validation_method: "DNS",
      lifecycle: { create_before_destroy: true },
    });
    const certificate = Object.keys(tf.resource.aws_acm_certificate)[0];
    const zone = Object.keys(tf.data.aws_route53_zone)[0];
    const records = tf.resource.aws_route53_record as Json;
    const validationKey = keyOf(records, (r) => r.for_each !== undefined);
    expect(records[validationKey]).toEqual({
      for_each: `\${{ for key, val in tolist(aws_acm_certificate.${certificate}.domain_validation_options): val.domain_name => val }}`,
      zone_id: `\${data.aws_route53_zone.${zone}.zone_id}`,
      name: "${each.value.resource_record_name}",
      type: "${each.value.resource_record_type}",
      records: ["${each.value.resource_record_value}"],
      ttl: 60,
      allow_overwrite: true,
    });
    const [[validationId, validation]] = Object.entries(tf.resource.aws_acm_certificate_validation as Json);
    expect(validation).toEqual({
      certificate_arn: `\${aws_acm_certificate.${certificate}.arn}`,
      validation_record_fqdns: `\${[ for key, val in aws_route53_record.${validationKey}: val.fqdn]}`,
    });
    expect(json).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificate_arn: `\${aws_acm_certificate_validation.${validationId}.certificate_arn}`,
      default_action: [
        {
          type: "fixed-response",
          fixed_response: { content_type: "text/plain", status_code: "404", message_body: "Not found" },
        },
      ],
    });
  });

  it("redirects HTTP to HTTPS with a 301", () => {
    const { json } = synthLb({});
    expect(json).toHaveResourceWithProperties(LbListener, {
      port: 80,
      protocol: "HTTP",
      default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }],
    });
  });

  it("answers as the single-instance proxy: public paths forwarded, / redirected, /admin/ and the master realm only from adminCidrs", () => {
    // GIVEN
    const admins = ["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "2001:db8::/32", "192.0.2.0/24"];
    // WHEN
    const { tf } = synthLb({ adminCidrs: admins });
    // THEN
    const targetGroup = Object.keys(tf.resource.aws_lb_target_group)[0];
    const forward = [{ type: "forward", target_group_arn: `\${aws_lb_target_group.${targetGroup}.arn}` }];
    const https = keyOf(tf.resource.aws_lb_listener, (l) => l.port === 443);
    const rules = rulesOf(tf);
    for (const rule of rules) expect(rule.listener_arn).toBe(`\${aws_lb_listener.${https}.arn}`);
    expect(rules.map((r) => [r.priority, paths(r), sources(r), r.action[0].type])).toEqual([
      [10, ["/"], undefined, "redirect"],
      // Administrators first: they may send anything.
      [100, ADMIN, admins.slice(0, 2), "forward"],
      [101, ADMIN, admins.slice(2, 4), "forward"],
      [102, ADMIN, admins.slice(4), "forward"],
      [30000, undefined, undefined, "fixed-response"],
      [40000, ADMIN, undefined, "fixed-response"],
      // The application realm only: no spelling of the master realm matches it.
      [50000, ["/realms/app/*", "/resources/*", "/.well-known/*"], undefined, "forward"],
    ]);
    for (const rule of rules.filter((r) => r.action[0].type === "forward")) expect(rule.action).toEqual(forward);
    expect(rules[0].action[0].redirect).toEqual({ path: "/admin/", status_code: "HTTP_302" });
    expect(rules[4].condition).toEqual([{ path_pattern: { regex_values: [UNSAFE_PATH_REGEX] } }]);
    expect(rules[4].action[0].fixed_response).toMatchObject({ status_code: "400" });
    expect(rules[5].action[0].fixed_response).toMatchObject({ status_code: "403" });
  });

  it.each([
    ["/realms/./master/protocol/openid-connect/token", true],
    ["/realms//master/account", true],
    ["/realms/app/%2e%2e/master/", true],
    ["/realms/app/%2E%2E/master/", true],
    ["/realms/app/..;/master/", true],
    ["/realms/app/x%2Fy", true],
    ["/realms/app/x%5cy", true],
    ["/realms/app/x%5Cy", true],
    ["/realms/app/%2f", true],
    ["/realms/app/..", true],
    ["/realms/app/protocol/openid-connect/auth", false],
    ["/realms/app/.well-known/openid-configuration", false],
    ["/resources/1a2b/login/keycloak.v2/css/styles.css", false],
  ])(
    "refuses %s with 400 before the public rule when Keycloak would route it elsewhere: %p",
    (requestPath, refused) => {
      // The regular expression as a JavaScript one, case-sensitive (ALB's dialect agrees on this subset: classes,
      // alternation, anchors), and within ALB's 128 characters.
      expect(new RegExp(UNSAFE_PATH_REGEX).test(requestPath)).toBe(refused);
      expect(UNSAFE_PATH_REGEX.length).toBeLessThanOrEqual(128);
    },
  );

  it("keeps every rule within the ALB's 5 condition values and 3 per condition", () => {
    const { tf } = synthLb({ adminCidrs: Array.from({ length: 10 }, (_, i) => `198.51.100.${i}/32`) });
    for (const rule of rulesOf(tf)) {
      const values = rule.condition.map(
        (c: Json) => (c.path_pattern?.values ?? c.path_pattern?.regex_values ?? c.source_ip.values).length,
      );
      expect(Math.max(...values)).toBeLessThanOrEqual(3);
      expect(values.reduce((a: number, b: number) => a + b, 0)).toBeLessThanOrEqual(5);
    }
    expect(rulesOf(tf).filter((r) => sources(r))).toHaveLength(5);
  });

  it("lets nobody reach /admin/ with no adminCidrs: only the 403 rule matches it", () => {
    const { tf } = synthLb({ adminCidrs: [] });
    const admin = rulesOf(tf).filter((r) => paths(r)?.includes("/admin/*"));
    expect(admin).toHaveLength(1);
    expect(admin[0].action[0]).toMatchObject({ type: "fixed-response", fixed_response: { status_code: "403" } });
  });

  it("aliases the hostname to the load balancer, evaluating its health, taking a record over; AAAA with dual stack", () => {
    // GIVEN / WHEN
    const { tf } = synthLb({});
    const dual = synthLb({ ipAddressType: "dualstack" }).tf;
    // THEN
    const lb = Object.keys(tf.resource.aws_lb)[0];
    const zone = Object.keys(tf.data.aws_route53_zone)[0];
    const aliases = (t: Json) => Object.values(t.resource.aws_route53_record as Json).filter((r) => r.alias);
    expect(aliases(tf)).toEqual([
      {
        zone_id: `\${data.aws_route53_zone.${zone}.zone_id}`,
        name: "sso.example.com",
        type: "A",
        alias: { name: `\${aws_lb.${lb}.dns_name}`, zone_id: `\${aws_lb.${lb}.zone_id}`, evaluate_target_health: true },
        // An existing record of the name (the single instance's) is taken over.
        allow_overwrite: true,
      },
    ]);
    expect(aliases(dual).map((r) => r.type)).toEqual(expect.arrayContaining(["A", "AAAA"]));
    expect(aliases(dual)).toHaveLength(2);
    expect(only(dual.resource.aws_lb).ip_address_type).toBe("dualstack");
    expect(tf.output.url.value).toBe("https://sso.example.com");
  });

  it("writes access logs to the given bucket and prefix", () => {
    const { json } = synthLb({ accessLogs: { bucket: "logs", prefix: "alb" } });
    expect(json).toHaveResourceWithProperties(Lb, { access_logs: { bucket: "logs", prefix: "alb", enabled: true } });
  });

  it("finds a zone given by id, checking at plan time that it holds the hostname", () => {
    const { tf } = synthLb({ zone: "Z0123456789ABCDEFGHIJ" });
    const zone = only(tf.data.aws_route53_zone);
    expect(zone).toMatchObject({ zone_id: "Z0123456789ABCDEFGHIJ", private_zone: false });
    expect(zone.lifecycle.postcondition[0].error_message).toMatch(/does not hold sso\.example\.com/);
  });

  it("takes references: a hostname and admin CIDRs from variables", () => {
    // GIVEN
    const stack = newStack();
    const hostname = new TerraformVariable(stack, "hostname", { type: "string" }).stringValue;
    const admin = new TerraformVariable(stack, "admin_cidr", { type: "string" }).stringValue;
    // WHEN
    const { json, tf } = synthLb({ hostname, adminCidrs: [admin] }, stack);
    // THEN
    expect(json).toHaveResourceWithProperties(AcmCertificate, { domain_name: "${var.hostname}" });
    expect(rulesOf(tf).map(sources).filter(Boolean)).toEqual([["${var.admin_cidr}"]]);
    expect(tf.output.url.value).toBe("https://${var.hostname}");
  });

  it.each<[Partial<Props>, RegExp]>([
    [{ name: "k".repeat(33) }, /LoadBalancer: 'name' must be 1-32 letters, digits or hyphens/],
    [{ name: "kc_cluster" }, /LoadBalancer: 'name' must be 1-32 letters/],
    [{ name: "kc-" }, /LoadBalancer: 'name' must be 1-32 letters/],
    [{ name: "internal-kc" }, /LoadBalancer: 'name' must not begin with "internal-"/],
    [{ hostname: "sso.example.org" }, /LoadBalancer: 'hostname' "sso\.example\.org" is not in the zone "example\.com"/],
    [{ adminCidrs: ["198.51.100.7"] }, /LoadBalancer: 'adminCidrs' has "198\.51\.100\.7"/],
    [
      { adminCidrs: Array.from({ length: 286 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) },
      /LoadBalancer: 'adminCidrs' has 286 CIDRs; at most 192/,
    ],
    [{ ipAddressType: "ipv6" as "ipv4" }, /LoadBalancer: 'ipAddressType' must be "ipv4" or "dualstack"/],
  ])("refuses %p, naming the prop", (props, message) => {
    expect(() => synthLb(props)).toThrow(message);
  });

  it("refuses admin CIDRs given as one reference list, which rules made at synth cannot split", () => {
    const stack = newStack();
    const cidrs = new TerraformVariable(stack, "admin_cidrs", { type: "list(string)" }).listValue;
    expect(() => synthLb({ adminCidrs: cidrs }, stack)).toThrow(/LoadBalancer: 'adminCidrs' must be a literal list/);
  });
});
