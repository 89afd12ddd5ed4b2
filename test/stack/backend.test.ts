import { synthesize } from "./synth";

describe("state backends", () => {
  it("keeps local state next to the project, by a path relative to the stack's working directory", () => {
    expect(synthesize({}).tf.terraform.backend).toEqual({ local: { path: "../../../terraform.keycloak-ec2.tfstate" } });
    expect(
      synthesize({ name: "sso", backend: { type: "local", path: "state/sso.tfstate" } }).tf.terraform.backend,
    ).toEqual({ local: { path: "../../../state/sso.tfstate" } });
  });

  it("writes no absolute path anywhere", () => {
    expect(synthesize({}).json).not.toContain(process.cwd());
  });

  it("encrypts and locks s3 state with the S3 lock file by default (Terraform 1.10+)", () => {
    const { tf } = synthesize({
      backend: { type: "s3", bucket: "acme-state", key: "sso/terraform.tfstate", region: "eu-west-3" },
    });
    expect(tf.terraform.backend).toEqual({
      s3: {
        bucket: "acme-state",
        key: "sso/terraform.tfstate",
        region: "eu-west-3",
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(tf.terraform.required_version).toBe(">= 1.10.0");
  });

  it("locks s3 state with a DynamoDB table when one is named", () => {
    const { tf } = synthesize({
      backend: {
        type: "s3",
        bucket: "acme-state",
        key: "k",
        region: "eu-west-3",
        dynamodbTable: "tf-locks",
        kmsKeyId: "alias/tf",
        profile: "ops",
      },
    });
    expect(tf.terraform.backend.s3).toEqual({
      bucket: "acme-state",
      key: "k",
      region: "eu-west-3",
      encrypt: true,
      dynamodb_table: "tf-locks",
      kms_key_id: "alias/tf",
      profile: "ops",
    });
    expect(tf.terraform.required_version).toBe(">= 1.5.0");
  });

  it("runs in Terraform Cloud with a named workspace or by tags", () => {
    expect(
      synthesize({ backend: { type: "cloud", organization: "acme", workspace: "sso-prod" } }).tf.terraform.cloud,
    ).toEqual({ organization: "acme", workspaces: { name: "sso-prod" } });
    expect(
      synthesize({
        backend: { type: "cloud", organization: "acme", workspaceTags: ["sso"], hostname: "tfe.acme.example" },
      }).tf.terraform.cloud,
    ).toEqual({ organization: "acme", hostname: "tfe.acme.example", workspaces: { tags: ["sso"] } });
  });
});
