import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BackupBucket } from "../../src/constructs/backup-bucket";
import { KeycloakBootstrap, KeycloakBootstrapProps } from "../../src/constructs/keycloak-bootstrap";
import { DEFAULT_REALM } from "../../src/defaults";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

type Props = Omit<KeycloakBootstrapProps, "bucket">;
const PROPS: Props = {
  mode: "production",
  region: "eu-west-3",
  keycloakVersion: "26.7.4",
  parameterPrefix: "/keycloak-ec2/keycloak",
  adminUser: "admin",
  tls: { mode: "acme" },
  adminCidrs: "203.0.113.0/24",
  realm: DEFAULT_REALM,
  associationName: "kc-apply",
};

const withBucket = (stack: TerraformStack, props: Props): KeycloakBootstrapProps => ({
  ...props,
  bucket: new BackupBucket(stack, "bucket", { bucketPrefix: "kc-", protect: false }),
});

/** The synthesized JSON of a stack holding one bootstrap applied to an instance, with its bundle local's id and text
 * (named cloudConfig in the tests below: it is what cloud-config used to carry). */
function synthBootstrap(
  stack: TerraformStack,
  props: Props,
): { tf: Record<string, any>; localId: string; cloudConfig: string } {
  const bootstrap = new KeycloakBootstrap(stack, "bootstrap", withBucket(stack, props));
  const instance = new Instance(stack, "instance", {
    ami: "ami-1",
    instanceType: "t3.small",
    userData: bootstrap.userData,
  });
  bootstrap.applyTo(instance);
  new TerraformOutput(stack, "user_data", { value: bootstrap.userData });
  const tf = JSON.parse(Testing.synth(stack));
  const [[localId, cloudConfig]] = Object.entries(tf.locals) as [string, string][];
  return { tf, localId, cloudConfig };
}

/** The one resource of a type (its logical id carries a hash in a test stack). */
const only = (resources: Record<string, any>) => {
  const values = Object.values(resources);
  expect(values).toHaveLength(1);
  return values[0];
};

const newBootstrap = (props: Props) => {
  const stack = newStack();
  return new KeycloakBootstrap(stack, "bootstrap", withBucket(stack, props));
};

describe("KeycloakBootstrap validation", () => {
  it.each(["25.0.6", "26.7", "latest", "26.7.4-rc1"])("rejects the Keycloak version %p", (keycloakVersion) => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...PROPS, keycloakVersion })).toThrow(
      /KeycloakBootstrap: 'keycloakVersion' must be an exact Keycloak 26\.x release/,
    );
  });

  it.each(["master", "../x", ""])("refuses the realm name %p (Keycloak's administration realm, or a path)", (name) => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...PROPS, realm: { ...DEFAULT_REALM, name } })).toThrow(
      /KeycloakBootstrap: 'realm\.name' must be letters, digits, _ and - and not "master"/,
    );
  });

  it("refuses a quote in a boot setting, naming the prop (the settings file is single-quoted shell)", () => {
    // GIVEN / WHEN / THEN
    expect(() => newBootstrap({ ...PROPS, adminUser: "o'brien" })).toThrow(
      /KeycloakBootstrap: 'adminUser' must not hold quotes or line breaks/,
    );
  });
});

describe("KeycloakBootstrap", () => {
  it("stores the bundle local in the bucket; the user data only fetches it, and never holds it", () => {
    // GIVEN / WHEN
    const { tf, localId, cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(only(tf.resource.aws_s3_object)).toMatchObject({
      key: "boot/bundle.sh",
      content: `\${local.${localId}}`,
      depends_on: expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]),
    });
    expect(cloudConfig).toMatch(/^#!\/bin\/bash\n/);
    expect(cloudConfig).toMatch(/\nexec "\$ROOT\/opt\/keycloak-ec2\/keycloak-boot.sh"\n$/);
    expect(tf.output.user_data.value).toMatch(
      /'s3:\/\/\$\{aws_s3_bucket\.\w+\.bucket\}\/\$\{aws_s3_object\.\w+\.key\}'/,
    );
    expect(tf.output.user_data.value).not.toContain("local.");
  });

  it("re-runs the boot through Systems Manager whenever the bundle's hash changes, output to the bucket", () => {
    // GIVEN / WHEN
    const { tf, localId } = synthBootstrap(newStack(), PROPS);
    // THEN
    const association = only(tf.resource.aws_ssm_association);
    expect(association).toMatchObject({
      association_name: "kc-apply",
      name: "AWS-RunShellScript",
      targets: [{ key: "InstanceIds", values: [expect.stringMatching(/^\$\{aws_instance\.\w+\.id\}$/)] }],
      output_location: {
        s3_bucket_name: expect.stringMatching(/^\$\{aws_s3_bucket\.\w+\.bucket\}$/),
        s3_key_prefix: "ssm",
      },
    });
    expect(association.apply_only_at_cron_interval).toBeUndefined(); // the provider's false: run at every update
    expect(association.parameters.commands).toContain(`expected='\${sha256(local.${localId})}'`);
    expect(association.parameters.commands).toContain("exec 9>/run/keycloak-ec2.lock\nflock 9\n");
  });

  it("escapes ${ and %{ in the static files, so that Terraform writes them as they are", () => {
    // GIVEN / WHEN
    const { cloudConfig } = synthBootstrap(newStack(), PROPS);
    // THEN
    expect(cloudConfig).toContain("--memory $${KEYCLOAK_MEMORY}");
    expect(cloudConfig).toContain('"secret": "$${BFF_CLIENT_SECRET}"');
    // The only references are the settings' own: the bucket the boot reports its status to.
    const unescaped = cloudConfig.replace(/^STATUS_BUCKET='\$\{aws_s3_bucket\.[A-Za-z0-9_]+\.bucket\}'$/m, "");
    expect(unescaped).not.toMatch(/(^|[^$])\$\{/);
    expect(unescaped).not.toMatch(/(^|[^%])%\{/);
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

  it("places the TLS mode, the certificate's parameter names, the admin CIDRs and the public address in the settings", () => {
    // GIVEN
    const tlsCertificate = { certificateParameter: "/tls/chain", privateKeyParameter: "/tls/key" };
    // WHEN
    const { cloudConfig } = synthBootstrap(newStack(), {
      ...PROPS,
      tls: { mode: "supplied" },
      tlsCertificate,
      hostname: "id.example.com",
      publicIp: "203.0.113.7",
    });
    // THEN
    expect(cloudConfig).toContain("\nKEYCLOAK_HOSTNAME='id.example.com'\nTLS_MODE='supplied'\n");
    expect(cloudConfig).toContain("\nADMIN_CIDRS='203.0.113.0/24'\n");
    expect(cloudConfig).toContain("\nPUBLIC_DNS=''\nPUBLIC_IP='203.0.113.7'\n");
    expect(cloudConfig).toContain("\nTLS_CERTIFICATE_PARAMETER='/tls/chain'\nTLS_PRIVATE_KEY_PARAMETER='/tls/key'\n");
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
