import { preflight, statePreflight } from "../../../src/deploy/preflight";
import { config, TERRAFORM, useFakeHome } from "./machine";

const { home, write, machine } = useFakeHome();

describe("preflight", () => {
  it("reports every problem at once, and a summary when there is none", () => {
    expect(preflight(config(), machine()).problems).toEqual([
      expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH/),
      expect.stringMatching(/^doctor error: AWS credentials: none found/),
    ]);
    const report = preflight(config(), machine({ onPath: TERRAFORM, env: { AWS_PROFILE: "ops" }, system: {} }));
    expect(report.problems).toHaveLength(1);
    write({ ".aws/credentials": "[ops]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n" });
    expect(preflight(config(), machine({ onPath: TERRAFORM, env: { AWS_PROFILE: "ops" } }))).toEqual({
      problems: [],
      summary: [
        "terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.5.0)",
        'AWS credentials: profile "ops", access keys',
        "region: us-east-1",
        "backend: local state file terraform.keycloak-ec2.tfstate in the project directory",
        "SSH: closed (log in with Session Manager)",
        "state: not read (no project directory)",
      ],
    });
  });
});

describe("statePreflight (output, migrate-state)", () => {
  const S3 = { type: "s3", bucket: "acme-state", key: "sso/terraform.tfstate", region: "eu-west-3" };
  const CLOUD = { type: "cloud", organization: "acme", workspace: "sso" };
  const noCredentials = () =>
    machine({ onPath: TERRAFORM, version: { status: 0, stdout: '{"terraform_version":"1.11.4"}' } });

  it("needs only terraform for local state", () => {
    expect(statePreflight(config(), noCredentials())).toEqual({
      problems: [],
      summary: ["terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.5.0)"],
    });
    expect(statePreflight(config(), machine()).problems).toEqual([
      expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH/),
    ]);
  });

  it("needs AWS credentials for S3 state, which Terraform reads from the bucket", () => {
    expect(statePreflight(config({ backend: S3 }), noCredentials()).problems).toEqual([
      expect.stringMatching(/^doctor error: AWS credentials: none found/),
    ]);
    const keys = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" };
    expect(statePreflight(config({ backend: S3 }), machine({ onPath: TERRAFORM, env: keys })).summary).toEqual([
      "terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.10.0)",
      "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      "backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by the S3 lock file, with the AWS credentials above",
    ]);
  });

  it("needs only the profile backend.profile names, when it names one", () => {
    write({ ".aws/config": "[profile state]\ncredential_process = /bin/creds\n" });
    expect(statePreflight(config({ backend: { ...S3, profile: "state" } }), noCredentials())).toEqual({
      problems: [],
      summary: [
        "terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.10.0)",
        'backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by the S3 lock file, with profile "state", credential_process',
      ],
    });
  });

  it("needs a token for HCP Terraform, and no AWS credentials", () => {
    expect(statePreflight(config({ backend: CLOUD }), noCredentials()).problems).toEqual([
      "doctor error: backend: no HCP Terraform token for app.terraform.io (run terraform login, or set TF_TOKEN_app_terraform_io)",
    ]);
    write({ ".terraform.d/credentials.tfrc.json": '{ "credentials": { "app.terraform.io": { "token": "t" } } }' });
    expect(statePreflight(config({ backend: CLOUD }), noCredentials()).summary[1]).toBe(
      `backend: HCP Terraform app.terraform.io, organization acme, workspace sso (token from ${home()}/.terraform.d/credentials.tfrc.json)`,
    );
  });
});
