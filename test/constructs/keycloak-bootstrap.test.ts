import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KeycloakBootstrap, KeycloakBootstrapProps } from "../../src/constructs/keycloak-bootstrap";
import { DEFAULT_REALM } from "../../src/defaults";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

const PROPS: KeycloakBootstrapProps = {
  mode: "production",
  region: "eu-west-3",
  keycloakVersion: "26.7.4",
  parameterPrefix: "/keycloak-ec2/keycloak",
  adminUser: "admin",
  realm: DEFAULT_REALM,
};

/** The synthesized JSON of a stack holding one bootstrap, with its cloud-config local's id and text. */
function synthBootstrap(
  stack: TerraformStack,
  props: KeycloakBootstrapProps,
): { tf: Record<string, any>; localId: string; cloudConfig: string } {
  const bootstrap = new KeycloakBootstrap(stack, "bootstrap", props);
  new TerraformOutput(stack, "user_data_base64", { value: bootstrap.userDataBase64 });
  const tf = JSON.parse(Testing.synth(stack));
  const [[localId, cloudConfig]] = Object.entries(tf.locals) as [string, string][];
  return { tf, localId, cloudConfig };
}

describe("KeycloakBootstrap validation", () => {
  it.each(["25.0.6", "26.7", "latest", "26.7.4-rc1"])("rejects the Keycloak version %p", (keycloakVersion) => {
    // GIVEN / WHEN / THEN
    expect(() => new KeycloakBootstrap(newStack(), "bootstrap", { ...PROPS, keycloakVersion })).toThrow(
      /KeycloakBootstrap: 'keycloakVersion' must be an exact Keycloak 26\.x release/,
    );
  });

  it.each(["master", "../x", ""])("refuses the realm name %p (Keycloak's administration realm, or a path)", (name) => {
    // GIVEN / WHEN / THEN
    expect(
      () => new KeycloakBootstrap(newStack(), "bootstrap", { ...PROPS, realm: { ...DEFAULT_REALM, name } }),
    ).toThrow(/KeycloakBootstrap: 'realm\.name' must be letters, digits, _ and - and not "master"/);
  });

  it("refuses a quote in a boot setting, naming the prop (the settings file is single-quoted shell)", () => {
    // GIVEN / WHEN / THEN
    expect(() => new KeycloakBootstrap(newStack(), "bootstrap", { ...PROPS, adminUser: "o'brien" })).toThrow(
      /KeycloakBootstrap: 'adminUser' must not hold quotes or line breaks/,
    );
  });
});

describe("KeycloakBootstrap", () => {
  it("gives the instance base64gzip of the cloud-config local", () => {
    // GIVEN / WHEN
    const { tf, localId, cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(tf.output.user_data_base64.value).toBe(`\${base64gzip(local.${localId})}`);
    expect(cloudConfig).toMatch(/^#cloud-config\n/);
    expect(cloudConfig).toContain("runcmd:\n  - [/opt/keycloak-ec2/keycloak-boot.sh]\n");
  });

  it("escapes ${ and %{ in the static files, so that Terraform writes them as they are", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(cloudConfig).toContain("--memory $${KEYCLOAK_MEMORY}");
    expect(cloudConfig).toContain('"secret": "$${BFF_CLIENT_SECRET}"');
    expect(cloudConfig).not.toMatch(/(^|[^$])\$\{/);
    expect(cloudConfig).not.toMatch(/(^|[^%])%\{/);
  });

  it("places a Keycloak version given as a variable in the settings, unescaped", () => {
    // GIVEN
    const stack = newStack();
    const version = new TerraformVariable(stack, "keycloak_version", { type: "string" });
    // WHEN
    const { cloudConfig } = synthBootstrap(stack, { ...PROPS, keycloakVersion: version.stringValue });
    // THEN
    expect(cloudConfig).toContain("KEYCLOAK_IMAGE='quay.io/keycloak/keycloak:${var.keycloak_version}'");
  });

  it("places the certificate's parameter names and the public address in the settings", () => {
    // GIVEN
    const tlsCertificate = { certificateParameter: "/tls/chain", privateKeyParameter: "/tls/key" };
    // WHEN
    const { cloudConfig } = synthBootstrap(newStack(), {
      ...PROPS,
      tlsCertificate,
      hostname: "id.example.com",
      publicIp: "203.0.113.7",
    });
    // THEN
    expect(cloudConfig).toContain(
      "\n      KEYCLOAK_HOSTNAME='id.example.com'\n      PUBLIC_DNS=''\n      PUBLIC_IP='203.0.113.7'\n",
    );
    expect(cloudConfig).toContain(
      "\n      TLS_CERTIFICATE_PARAMETER='/tls/chain'\n      TLS_PRIVATE_KEY_PARAMETER='/tls/key'\n",
    );
  });

  it("runs start-dev without PostgreSQL in dev mode", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), { ...PROPS, mode: "dev" });
    // THEN
    expect(cloudConfig).toContain("PROFILE='dev'");
    expect(cloudConfig).toContain("$${KEYCLOAK_IMAGE} start-dev");
    expect(cloudConfig).not.toContain("--db=postgres");
  });

  it("holds no password literal that a user-data scanner would flag", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN (Trivy's rule for secrets in user data)
    expect(cloudConfig).not.toMatch(/password\s?[:=]\s?"?[^\s?$\{].+/im);
  });
});
