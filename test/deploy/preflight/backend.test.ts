import * as path from "node:path";
import { checkBackend } from "../../../src/deploy/preflight/backend";
import { config, Machine, ok, problem, useFakeHome } from "./machine";

const { home, write, machine } = useFakeHome();

describe("backend", () => {
  const S3 = { type: "s3", bucket: "acme-state", key: "sso/terraform.tfstate", region: "eu-west-3" };
  const CLOUD = { type: "cloud", organization: "acme", workspace: "sso-prod" };

  it("describes local state", () => {
    expect(ok(checkBackend(config(), machine()))).toBe(
      "backend: local state file terraform.keycloak-ec2.tfstate in the project directory",
    );
  });

  it("uses the AWS credentials for s3, or the profile it names, which must exist and hold credentials", () => {
    expect(ok(checkBackend(config({ backend: S3 }), machine()))).toBe(
      "backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by the S3 lock file, with the AWS credentials above",
    );
    expect(
      problem(checkBackend(config({ backend: { ...S3, profile: "state", dynamodbTable: "locks" } }), machine())),
    ).toBe(
      `doctor error: backend.profile: "state" is not a profile in ${home()}/.aws/config or ${home()}/.aws/credentials (create it with aws configure --profile state, or leave backend.profile out to use the default credentials)`,
    );
    write({ ".aws/config": "[profile state]\nregion = eu-west-3\n[profile keys]\ncredential_process = /bin/creds\n" });
    expect(problem(checkBackend(config({ backend: { ...S3, profile: "state" } }), machine()))).toMatch(
      /^doctor error: backend\.profile: profile "state" has no credentials \(give it/,
    );
    expect(ok(checkBackend(config({ backend: { ...S3, profile: "keys", dynamodbTable: "locks" } }), machine()))).toBe(
      'backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by DynamoDB table locks, with profile "keys", credential_process',
    );
  });

  it("needs a token for HCP Terraform", () => {
    expect(problem(checkBackend(config({ backend: CLOUD }), machine()))).toBe(
      "doctor error: backend: no HCP Terraform token for app.terraform.io (run terraform login, or set TF_TOKEN_app_terraform_io)",
    );
    expect(problem(checkBackend(config({ backend: { ...CLOUD, hostname: "tfe.acme.example" } }), machine()))).toBe(
      "doctor error: backend: no HCP Terraform token for tfe.acme.example (run terraform login tfe.acme.example, or set TF_TOKEN_tfe_acme_example)",
    );
  });

  it.each([
    ["TF_TOKEN_<host>", { env: { TF_TOKEN_app_terraform_io: "t" } }, {}, "TF_TOKEN_app_terraform_io"],
    [
      "terraform login's file",
      {},
      { ".terraform.d/credentials.tfrc.json": '{ "credentials": { "app.terraform.io": { "token": "t" } } }' },
      "HOME/.terraform.d/credentials.tfrc.json",
    ],
    [
      "a credentials block in ~/.terraformrc",
      {},
      { ".terraformrc": 'credentials "app.terraform.io" {\n  token = "t"\n}\n' },
      "HOME/.terraformrc",
    ],
    [
      "a credentials helper",
      {},
      { ".terraformrc": 'credentials_helper "vault" {\n  args = []\n}\n' },
      "the credentials helper of HOME/.terraformrc",
    ],
  ])("finds the token in %s", (_, m: Machine, files, source) => {
    write(files);
    expect(ok(checkBackend(config({ backend: CLOUD }), machine(m)))).toBe(
      `backend: HCP Terraform app.terraform.io, organization acme, workspace sso-prod (token from ${source.replace("HOME", home())})`,
    );
  });

  it("reads TF_CLI_CONFIG_FILE and the dash-escaped variable name", () => {
    write({ "cli.tfrc": 'credentials "tfe-1.acme.example" { token = "t" }\n' });
    const backend = { ...CLOUD, hostname: "tfe-1.acme.example", workspace: undefined, workspaceTags: ["sso"] };
    expect(
      ok(checkBackend(config({ backend }), machine({ env: { TF_CLI_CONFIG_FILE: path.join(home(), "cli.tfrc") } }))),
    ).toBe(
      `backend: HCP Terraform tfe-1.acme.example, organization acme, workspaces tagged sso (token from ${home()}/cli.tfrc)`,
    );
    expect(ok(checkBackend(config({ backend }), machine({ env: { TF_TOKEN_tfe__1_acme_example: "t" } })))).toMatch(
      /token from TF_TOKEN_tfe__1_acme_example/,
    );
  });
});
