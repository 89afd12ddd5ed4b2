import "../cdktf-matchers";
import { Construct } from "constructs";
import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DataAwsEc2InstanceType } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { KeycloakServer, KeycloakServerProps } from "../../src/constructs/keycloak-server";

/** A fresh stack with the AWS and random providers, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  new RandomProvider(stack, "random");
  return stack;
}

/** Synthesizes a server (made in a fresh stack unless given) with its URLs as outputs. `idOf(type)`: the id of the
 * first resource of a type. */
function synthServer(
  props: KeycloakServerProps = {},
  stack = newStack(),
  server = new KeycloakServer(stack, "keycloak", props),
) {
  new TerraformOutput(stack, "url", { value: server.url });
  new TerraformOutput(stack, "realm_issuer_url", { value: server.realmIssuerUrl });
  new TerraformOutput(stack, "admin_console_url", { value: server.adminConsoleUrl });
  const json = Testing.synth(stack);
  const tf = JSON.parse(json);
  return { json, tf, idOf: (type: string) => Object.keys(tf.resource[type])[0] };
}

describe("KeycloakServer validation", () => {
  it.each(["Keycloak", "1st", "a_b", "x".repeat(33), "ends-"])("rejects the deployment name %p", (deploymentName) => {
    // GIVEN / WHEN / THEN
    expect(() => synthServer({ deploymentName })).toThrow(
      /KeycloakServer: 'deploymentName' must be 1-32 lower-case letters/,
    );
  });

  it("rejects an HTTPS CIDR with host bits set, naming its own prop and the CIDR", () => {
    // GIVEN / WHEN / THEN
    expect(() => synthServer({ httpsCidrs: ["10.0.0.1/8"] })).toThrow(
      /KeycloakServer: 'httpsCidrs' has "10\.0\.0\.1\/8", which is not an IPv4 or IPv6 network CIDR/,
    );
  });

  it("rejects a TLS mode without its certificate, a certificate without its mode, a zone without a hostname", () => {
    expect(() => synthServer({ tls: { mode: "supplied" } })).toThrow(
      /KeycloakServer: 'tlsCertificate' is required with tls.mode supplied/,
    );
    expect(() =>
      synthServer({ tls: { mode: "acme" }, tlsCertificate: { certificateParameter: "/c", privateKeyParameter: "/k" } }),
    ).toThrow(/KeycloakServer: 'tlsCertificate' is only used with tls.mode supplied, not acme/);
    expect(() => synthServer({ dnsZone: "example.com" })).toThrow(/KeycloakServer: 'dnsZone' needs 'hostname'/);
    expect(() => synthServer({ adminCidrs: ["10.0.0.1/8"] })).toThrow(
      /KeycloakServer: 'adminCidrs' has "10\.0\.0\.1\/8"/,
    );
  });

  it("rejects an SSH CIDR and a root volume size by their own props", () => {
    // GIVEN / WHEN / THEN
    expect(() => synthServer({ sshCidrs: ["::1"] })).toThrow(/KeycloakServer: 'sshCidrs' has "::1"/);
    expect(() => synthServer({ rootVolumeSize: 4 })).toThrow(/KeycloakServer: 'rootVolumeSize' must be a whole number/);
  });
});

describe("KeycloakServer defaults", () => {
  it("runs a t3.small with the Amazon Linux 2023 AMI of its architecture", () => {
    // GIVEN / WHEN
    const { json } = synthServer();
    // THEN
    expect(json).toHaveDataSourceWithProperties(DataAwsEc2InstanceType, { instance_type: "t3.small" });
    const ami = expect.stringMatching(/^\$\{data\.aws_ssm_parameter\.[^.]+\.insecure_value\}$/);
    expect(json).toHaveResourceWithProperties(Instance, { instance_type: "t3.small", ami });
  });

  it("opens 443, and 80 for the CA's HTTP-01 challenge, to the world over IPv4 and IPv6; no 8443, no SSH rule", () => {
    // GIVEN / WHEN
    const { json, tf } = synthServer();
    // THEN
    const world = '${toset(["0.0.0.0/0", "::/0"])}';
    for (const port of [443, 80])
      expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
        from_port: port,
        to_port: port,
        for_each: world,
        description: expect.stringMatching(port === 443 ? /^HTTPS: Keycloak behind its proxy/ : /^HTTP: the ACME CA/),
      });
    expect(
      Object.values(tf.resource.aws_vpc_security_group_ingress_rule)
        .map((rule: any) => rule.from_port)
        .sort(),
    ).toEqual([443, 80]);
  });

  it("keeps its address on an Elastic IP, which is in every URL, on the standard port", () => {
    // GIVEN / WHEN
    const { json, tf, idOf } = synthServer();
    // THEN
    expect(json).toHaveResourceWithProperties(Eip, { domain: "vpc" });
    const association = tf.resource.aws_eip_association[idOf("aws_eip_association")];
    expect(association.allocation_id).toBe(`\${aws_eip.${idOf("aws_eip")}.allocation_id}`);
    const base = `https://\${aws_eip.${idOf("aws_eip")}.public_ip}`;
    const { url, realm_issuer_url, admin_console_url } = tf.output;
    expect([url.value, realm_issuer_url.value, admin_console_url.value]).toEqual([
      base,
      `${base}/realms/app`,
      `${base}/admin/master/console/`,
    ]);
  });
});

describe("KeycloakServer options", () => {
  it("follows an instance type and HTTPS CIDRs given as variables", () => {
    // GIVEN
    const stack = newStack();
    const instanceType = new TerraformVariable(stack, "instance_type", { type: "string" });
    const httpsCidrs = new TerraformVariable(stack, "https_cidrs", { type: "list(string)" });
    // WHEN
    const { json, tf } = synthServer(
      { instanceType: instanceType.stringValue, httpsCidrs: httpsCidrs.listValue },
      stack,
    );
    // THEN
    expect(json).toHaveResourceWithProperties(Instance, { instance_type: "${var.instance_type}" });
    expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { for_each: "${toset(var.https_cidrs)}" });
    const [[typeId, lookup]] = Object.entries(tf.data.aws_ec2_instance_type) as [string, any][];
    expect(lookup.instance_type).toBe("${var.instance_type}");
    const architectures = `data.aws_ec2_instance_type.${typeId}.supported_architectures`;
    expect(json).toHaveDataSourceWithProperties(DataAwsSsmParameter, { name: expect.stringContaining(architectures) });
  });

  it("uses the hostname in its URL", () => {
    // GIVEN / WHEN
    const { tf } = synthServer({ hostname: "id.example.com" });
    // THEN
    expect(tf.output.url.value).toBe("https://id.example.com");
  });

  it("without an Elastic IP, takes its URL from the instance's public address", () => {
    // GIVEN / WHEN
    const { json, tf, idOf } = synthServer({ elasticIp: false });
    // THEN
    expect(json).not.toHaveResource(Eip);
    expect(tf.output.url.value).toBe(`https://\${aws_instance.${idOf("aws_instance")}.public_ip}`);
  });

  it("opens no port 80 when no CA validates over HTTP: a self-signed or a supplied certificate", () => {
    for (const props of [
      { tls: { mode: "self-signed" } },
      { mode: "dev" },
      { tlsCertificate: { certificateParameter: "/c", privateKeyParameter: "/k" } },
    ] as KeycloakServerProps[]) {
      const { tf } = synthServer(props);
      expect(Object.values(tf.resource.aws_vpc_security_group_ingress_rule).map((rule: any) => rule.from_port)).toEqual(
        [443],
      );
    }
  });

  it("hands the boot its TLS mode, the ACME settings and the admin CIDRs (the https CIDRs unless given)", () => {
    const bundle = (props: KeycloakServerProps) => {
      const { tf } = synthServer(props);
      return Object.values(tf.locals as Record<string, string>).find((text) => text.includes("TLS_MODE="))!;
    };
    const acme = bundle({ httpsCidrs: ["203.0.113.0/24"], tls: { acmeEmail: "ops@example.com" } });
    expect(acme).toContain("TLS_MODE='acme'");
    expect(acme).toContain("ACME_EMAIL='ops@example.com'");
    expect(acme).toContain(`ADMIN_CIDRS='\${join(" ", ["203.0.113.0/24"])}'`);
    const admins = bundle({ adminCidrs: ["198.51.100.0/24", "2001:db8::/48"], tls: { mode: "self-signed" } });
    expect(admins).toContain("TLS_MODE='self-signed'");
    expect(admins).toContain(`ADMIN_CIDRS='\${join(" ", ["198.51.100.0/24", "2001:db8::/48"])}'`);
  });

  it("with a Route 53 zone, points the hostname at the Elastic IP before the instance asks for a certificate", () => {
    // GIVEN / WHEN
    const { json, tf, idOf } = synthServer({ hostname: "sso.example.com", dnsZone: "example.com" });
    // THEN
    expect(json).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: "example.com", private_zone: false });
    expect(json).toHaveResourceWithProperties(Route53Record, {
      name: "sso.example.com",
      type: "A",
      ttl: 300,
      records: [`\${aws_eip.${idOf("aws_eip")}.public_ip}`],
    });
    const instance = tf.resource.aws_instance[idOf("aws_instance")];
    expect(instance.depends_on).toContain(`aws_route53_record.${idOf("aws_route53_record")}`);
  });

  it("in dev mode, generates no database password, under a name of its own so as not to meet production's", () => {
    // GIVEN / WHEN
    const { json } = synthServer({ mode: "dev" });
    // THEN
    expect(json).toHaveResourceWithProperties(SsmParameter, { name: "/keycloak-ec2-dev/keycloak/admin-password" });
    expect(json).not.toHaveResourceWithProperties(SsmParameter, { name: "/keycloak-ec2-dev/keycloak/db-password" });
  });

  it("looks the user's certificate parameters up without decryption and lets the instance read them", () => {
    // GIVEN / WHEN
    const { json, tf } = synthServer({
      tlsCertificate: { certificateParameter: "/tls/chain", privateKeyParameter: "/tls/key" },
    });
    // THEN
    const lookups = Object.entries(tf.data.aws_ssm_parameter as Record<string, any>).filter(([, p]) =>
      p.name.startsWith("/tls/"),
    );
    expect(lookups.map(([, p]) => [p.name, p.with_decryption])).toEqual([
      ["/tls/chain", false],
      ["/tls/key", false],
    ]);
    const arns = lookups.map(([id]) => `\${data.aws_ssm_parameter.${id}.arn}`);
    expect(json).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: expect.arrayContaining([
        expect.objectContaining({ effect: "Allow", resources: expect.arrayContaining(arns) }),
      ]),
    });
  });

  it("launches in a given subnet, with its security group in the subnet's VPC", () => {
    // GIVEN / WHEN
    const { tf } = synthServer({ subnetId: "subnet-0123456789abcdef0" });
    // THEN
    expect(Object.values(tf.data.aws_subnet)).toEqual([{ id: "subnet-0123456789abcdef0" }]);
    const subnetVpc = `\${data.aws_subnet.${Object.keys(tf.data.aws_subnet)[0]}.vpc_id}`;
    expect(Object.values(tf.resource.aws_security_group)[0]).toMatchObject({ vpc_id: subnetVpc });
    expect(Object.values(tf.resource.aws_instance)[0]).toMatchObject({ subnet_id: "subnet-0123456789abcdef0" });
    expect(tf.data.aws_vpcs).toBeUndefined();
  });

  it("works nested in a user's own stack under another construct", () => {
    // GIVEN
    class IdentityStack extends TerraformStack {
      public readonly keycloak: KeycloakServer;
      constructor(scope: Construct, id: string) {
        super(scope, id);
        new AwsProvider(this, "aws", { region: "eu-west-3" });
        new RandomProvider(this, "random");
        this.keycloak = new KeycloakServer(new Construct(this, "platform"), "identity", { deploymentName: "acme-id" });
      }
    }
    // WHEN
    const stack = new IdentityStack(Testing.app(), "acme");
    const { tf, idOf } = synthServer({}, stack, stack.keycloak);
    // THEN
    expect(idOf("aws_instance")).toMatch(/^platform_identity_host_instance_/);
    const instance = tf.resource.aws_instance[idOf("aws_instance")];
    expect(instance.vpc_security_group_ids).toEqual([`\${aws_security_group.${idOf("aws_security_group")}.id}`]);
    expect(tf.output.url.value).toBe(`https://\${aws_eip.${idOf("aws_eip")}.public_ip}`);
  });
});
