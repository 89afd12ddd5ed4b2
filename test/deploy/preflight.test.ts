import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requiredTerraformVersion } from "../../src/config/terraform";
import { validateConfig } from "../../src/config/validate";
import {
  checkAwsCredentials, checkBackend, checkRegion, checkSsh, checkTerraform, CommandResult, compareVersions, parseIni, parseTerraformVersion, preflight,
  PreflightInputs, runsOnEc2, systemInputs,
} from "../../src/deploy/preflight";
import { synthesize } from "../stack/synth";

// The compiled command, as `npm run doctor` runs it (`npm test` builds it first).
const DOCTOR = path.resolve(__dirname, "../../dist/src/cli/doctor.js");

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "kc-doctor-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Writes files under the fake home (`.aws/config`, ...). */
function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(home, name)), { recursive: true });
    fs.writeFileSync(path.join(home, name), text);
  }
}

interface Machine {
  env?: NodeJS.ProcessEnv;
  /** Executables on the fake PATH, by name. */
  onPath?: Record<string, string>;
  /** What `<terraform> version -json` answers. */
  version?: CommandResult;
  /** Files outside the home, such as /sys entries. */
  system?: Record<string, string>;
}

/** The real file reader on a fake home; PATH lookup and commands are fakes. */
function machine({ env = {}, onPath = {}, version = { status: 0, stdout: '{"terraform_version":"1.11.4"}' }, system = {} }: Machine = {}): PreflightInputs {
  const real = systemInputs({ HOME: home, ...env });
  return {
    ...real,
    which: (command) => onPath[command],
    run: () => version,
    readFile: (file) => system[file] ?? (file.startsWith("/sys/") ? undefined : real.readFile(file)),
  };
}

const config = (raw: Record<string, unknown> = {}) => validateConfig(raw).config;
const TERRAFORM = { terraform: "/opt/bin/terraform" };
const problem = (finding: object) => ("problem" in finding ? (finding as { problem: string }).problem : undefined);
const ok = (finding: object) => ("ok" in finding ? (finding as { ok: string }).ok : undefined);

describe("terraform", () => {
  it("is found on PATH and recent enough", () => {
    expect(ok(checkTerraform(config(), machine({ onPath: TERRAFORM })))).toBe("terraform: 1.11.4 at /opt/bin/terraform (this stack needs >= 1.5.0)");
  });

  it("says how to install it when missing", () => {
    expect(problem(checkTerraform(config(), machine()))).toBe(
      'doctor error: terraform: "terraform" not found on PATH (this stack needs Terraform 1.5.0 or a later 1.x: install it from HashiCorp\'s apt repository, ' +
      "see https://developer.hashicorp.com/terraform/install, or the zip at https://releases.hashicorp.com/terraform/; or use OpenTofu 1.5.0 or later with TERRAFORM_BINARY_NAME=tofu)",
    );
  });

  it("looks for $TERRAFORM_BINARY_NAME instead, as cdktf does", () => {
    const env = { TERRAFORM_BINARY_NAME: "tofu" };
    expect(problem(checkTerraform(config(), machine({ env, onPath: TERRAFORM })))).toMatch(/^doctor error: terraform: TERRAFORM_BINARY_NAME "tofu" not found on PATH \(/);
    expect(ok(checkTerraform(config(), machine({ env, onPath: { tofu: "/usr/bin/tofu" }, version: { status: 0, stdout: '{"terraform_version":"1.10.6"}' } }))))
      .toBe("terraform: 1.10.6 at /usr/bin/tofu (this stack needs >= 1.5.0)");
  });

  it.each([
    ["production", {}, "1.4.6", "1.5.0"],
    ["s3 with the lock file", { backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1" } }, "1.9.8", "1.10.0"],
    ["article", { profile: "article" }, "1.2.7", "1.2.8"],
  ])("refuses a version older than the stack's required_version (%s)", (_, raw, version, minimum) => {
    const found = checkTerraform(config(raw), machine({ onPath: TERRAFORM, version: { status: 0, stdout: `{"terraform_version":"${version}"}` } }));
    expect(problem(found)).toMatch(new RegExp(`^doctor error: terraform: /opt/bin/terraform is version ${version.replace(/\./g, "\\.")}, older than ${minimum.replace(/\./g, "\\.")} \\(this stack needs Terraform ${minimum}`));
  });

  it("accepts older versions where the stack allows them", () => {
    const v = (stdout: string) => machine({ onPath: TERRAFORM, version: { status: 0, stdout } });
    expect(ok(checkTerraform(config({ profile: "article" }), v('{"terraform_version":"1.2.8"}')))).toBeDefined();
    expect(ok(checkTerraform(config({ backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1", dynamodbTable: "locks" } }), v('{"terraform_version":"1.9.8"}')))).toBeDefined();
  });

  it("reports a binary that does not run", () => {
    expect(problem(checkTerraform(config(), machine({ onPath: TERRAFORM, version: { status: 1, stdout: "" } })))).toMatch(/^doctor error: terraform: "\/opt\/bin\/terraform version -json" failed: exit code 1 \(check that installation; /);
    expect(problem(checkTerraform(config(), machine({ onPath: TERRAFORM, version: { status: null, stdout: "", error: "spawnSync /opt/bin/terraform EACCES" } }))))
      .toMatch(/failed: spawnSync \/opt\/bin\/terraform EACCES/);
  });

  it("reads the version from JSON, or from the banner of versions without -json", () => {
    expect(parseTerraformVersion('{"terraform_version":"1.11.4","platform":"linux_amd64"}')).toBe("1.11.4");
    expect(parseTerraformVersion("Terraform v0.12.31\n")).toBe("0.12.31");
    expect(parseTerraformVersion("not a version")).toBeUndefined();
    expect(compareVersions("1.10.0", "1.9.9")).toBeGreaterThan(0);
    expect(compareVersions("1.5.0-beta1", "1.5.0")).toBe(0);
    expect(compareVersions("1.2.7", "1.2.8")).toBeLessThan(0);
  });

  it.each([
    ["production", {}],
    ["dev", { profile: "dev" }],
    ["article", { profile: "article" }],
    ["s3 with the lock file", { backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1" } }],
    ["s3 with DynamoDB", { backend: { type: "s3", bucket: "acme-state", key: "k", region: "us-east-1", dynamodbTable: "locks" } }],
  ])("requires what the synthesized stack requires (%s)", (_, raw) => {
    expect(synthesize(raw).tf.terraform.required_version).toBe(`>= ${requiredTerraformVersion(config(raw))}`);
  });
});

describe("AWS credentials", () => {
  const check = (m: Machine, raw: Record<string, unknown> = {}) => checkAwsCredentials(config(raw), machine(m));

  it("takes keys from the environment", () => {
    expect(ok(check({ env: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" } }))).toBe("AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    expect(ok(check({ env: { AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "t" } }))).toMatch(/with AWS_SESSION_TOKEN$/);
  });

  it.each([
    [{ AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" }, "doctor error: AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not (set both, plus AWS_SESSION_TOKEN for temporary keys, or unset AWS_ACCESS_KEY_ID to use a profile)"],
    [{ AWS_SECRET_ACCESS_KEY: "s" }, "doctor error: AWS credentials: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not (set both, plus AWS_SESSION_TOKEN for temporary keys, or unset AWS_SECRET_ACCESS_KEY to use a profile)"],
  ])("refuses half a key pair in the environment: %j", (env, line) => {
    expect(problem(check({ env }))).toBe(line);
  });

  it("says where it looked and how to fix it when there is nothing", () => {
    expect(problem(check({}))).toBe(
      `doctor error: AWS credentials: none found in the environment, ${home}/.aws/config or ${home}/.aws/credentials ` +
      "(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; or create a profile with aws configure or aws configure sso, and set AWS_PROFILE unless it is the default; " +
      "or run on EC2, ECS or EKS with a role attached)",
    );
  });

  it("does not count a default profile that only sets the region", () => {
    write({ ".aws/config": "[default]\nregion = eu-west-3\n" });
    expect(problem(check({}))).toMatch(/^doctor error: AWS credentials: none found/);
  });

  it("reads the default profile's keys from the credentials file", () => {
    write({ ".aws/credentials": "# comment\n[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n" });
    expect(ok(check({}))).toBe('AWS credentials: profile "default", access keys');
  });

  it("reads AWS_PROFILE as [profile x] in the config file and [x] in the credentials file, not the other way round", () => {
    write({ ".aws/config": "[profile ops]\nregion = eu-west-3\n[dev]\ncredential_process = /bin/true\n", ".aws/credentials": "[ops]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n[profile dev]\naws_access_key_id = x\n" });
    expect(ok(check({ env: { AWS_PROFILE: "ops" } }))).toBe('AWS credentials: profile "ops", access keys');
    expect(problem(check({ env: { AWS_PROFILE: "dev" } }))).toBe(
      `doctor error: AWS credentials: AWS_PROFILE is "dev", but there is no [profile dev] in ${home}/.aws/config nor [dev] in ${home}/.aws/credentials ` +
      "(create it with aws configure --profile dev or aws configure sso --profile dev, or unset AWS_PROFILE)",
    );
  });

  it("refuses a missing AWS_PROFILE even when keys are in the environment, as the SDKs do", () => {
    expect(problem(check({ env: { AWS_PROFILE: "gone", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" } }))).toMatch(/AWS_PROFILE is "gone", but there is no/);
  });

  it("refuses an AWS_PROFILE without credentials", () => {
    write({ ".aws/config": "[profile bare]\nregion = eu-west-3\n" });
    expect(problem(check({ env: { AWS_PROFILE: "bare" } }))).toMatch(/^doctor error: AWS credentials: AWS_PROFILE is "bare", a profile without credentials \(give it access keys with aws configure --profile bare, /);
  });

  it("honours AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE", () => {
    write({ "elsewhere/creds": "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n" });
    expect(ok(check({ env: { AWS_SHARED_CREDENTIALS_FILE: path.join(home, "elsewhere/creds"), AWS_CONFIG_FILE: path.join(home, "nowhere") } }))).toBe('AWS credentials: profile "default", access keys');
  });

  it.each([
    ["an IAM Identity Center session", "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
      'profile "sso", IAM Identity Center (if the session expired: aws sso login --profile sso)'],
    ["legacy SSO settings", "[profile sso]\nsso_start_url = https://corp.awsapps.com/start\nsso_account_id = 111122223333\n", 'profile "sso", IAM Identity Center (if the session expired: aws sso login --profile sso)'],
    ["credential_process", "[profile sso]\ncredential_process = /usr/local/bin/creds --json\n", 'profile "sso", credential_process'],
    ["a role assumed from another profile", "[profile sso]\nrole_arn = arn:aws:iam::111122223333:role/deploy\nsource_profile = base\n[profile base]\ncredential_process = /bin/creds\n",
      'profile "sso", role arn:aws:iam::111122223333:role/deploy assumed from profile "base", credential_process'],
    ["a role with credential_source", "[profile sso]\nrole_arn = arn:aws:iam::111122223333:role/deploy\ncredential_source = Ec2InstanceMetadata\n",
      'profile "sso", role arn:aws:iam::111122223333:role/deploy assumed with credential_source Ec2InstanceMetadata'],
  ])("accepts %s", (_, configFile, source) => {
    write({ ".aws/config": configFile });
    expect(ok(check({ env: { AWS_PROFILE: "sso" } }))).toBe(`AWS credentials: ${source}`);
  });

  it.each([
    ["an sso_session without its section", "[profile p]\nsso_session = corp\n", /uses sso_session "corp", but .* has no \[sso-session corp\] \(run aws configure sso\)$/],
    ["a role without a source", "[profile p]\nrole_arn = arn:aws:iam::111122223333:role/deploy\n", /has role_arn but neither source_profile nor credential_source \(add source_profile/],
    ["a missing source_profile", "[profile p]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nope\n", /profile "p" has source_profile "nope", which does not exist/],
    ["a source_profile loop", "[profile p]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = q\n[profile q]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = p\n", /source_profile loops: p -> q -> p/],
    ["a key id without its secret", "[profile p]\naws_access_key_id = AKIAEXAMPLE\n", /profile "p" has aws_access_key_id but no aws_secret_access_key \(add aws_secret_access_key, e\.g\. with aws configure --profile p\)$/],
  ])("refuses %s", (_, configFile, pattern) => {
    write({ ".aws/config": configFile });
    expect(problem(check({ env: { AWS_PROFILE: "p" } }))).toMatch(pattern);
  });

  it("skips sub-settings and comments in the shared files", () => {
    expect(parseIni("; c\n[default]\ns3 =\n  max_concurrent_requests = 20\nregion=eu-west-3\n[profile  x ]\n# c\nKey = v = w\n")).toEqual(
      new Map([["default", { s3: "", region: "eu-west-3" }], ["profile x", { key: "v = w" }]]),
    );
  });

  it("takes a web identity token, and refuses half of one or an unreadable file", () => {
    write({ token: "eyJ..." });
    const token = path.join(home, "token");
    expect(ok(check({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: token, AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" } }))).toBe("AWS credentials: web identity token, role arn:aws:iam::1:role/ci");
    expect(problem(check({ env: { AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" } }))).toMatch(/AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not/);
    expect(problem(check({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: `${token}-gone`, AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" } }))).toMatch(/token-gone cannot be read/);
  });

  it("takes container credentials and, on EC2, the instance's role", () => {
    expect(ok(check({ env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/x" } }))).toBe("AWS credentials: container credentials (ECS task role or EKS Pod Identity)");
    expect(ok(check({ env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" } }))).toMatch(/container credentials/);
    expect(ok(check({ system: { "/sys/devices/virtual/dmi/id/sys_vendor": "Amazon EC2\n" } }))).toMatch(/^AWS credentials: the EC2 instance's role, from the instance metadata service \(not checked/);
    expect(ok(check({ system: { "/sys/hypervisor/uuid": "ec2e1916-9099-7caf-fd21-012345abcdef\n" } }))).toMatch(/EC2 instance's role/);
    expect(runsOnEc2((file) => (file === "/sys/devices/virtual/dmi/id/sys_vendor" ? "QEMU\n" : undefined))).toBe(false);
  });

  it("needs none here when HCP Terraform runs remotely", () => {
    expect(ok(check({}, { backend: { type: "cloud", organization: "acme", workspace: "sso" } }))).toMatch(/^AWS credentials: none on this machine \(HCP Terraform remote runs/);
  });
});

describe("region", () => {
  it("is the config's, and says when the environment's region or the state bucket's differs", () => {
    expect(ok(checkRegion(config(), {}))).toBe("region: us-east-1");
    expect(ok(checkRegion(config(), { AWS_REGION: "us-east-1" }))).toBe("region: us-east-1");
    expect(ok(checkRegion(config({ region: "eu-west-3", backend: { type: "s3", bucket: "acme-state", key: "k", region: "eu-central-1" } }), { AWS_DEFAULT_REGION: "us-west-2" })))
      .toBe("region: eu-west-3 (AWS_DEFAULT_REGION=us-west-2 does not apply: the config's region does; the state bucket is in eu-central-1)");
  });
});

describe("backend", () => {
  const S3 = { type: "s3", bucket: "acme-state", key: "sso/terraform.tfstate", region: "eu-west-3" };
  const CLOUD = { type: "cloud", organization: "acme", workspace: "sso-prod" };

  it("describes local state", () => {
    expect(ok(checkBackend(config(), machine()))).toBe("backend: local state file terraform.keycloak-ec2.tfstate in the project directory");
  });

  it("uses the AWS credentials for s3, or the profile it names, which must exist and hold credentials", () => {
    expect(ok(checkBackend(config({ backend: S3 }), machine()))).toBe("backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by the S3 lock file, with the AWS credentials above");
    expect(problem(checkBackend(config({ backend: { ...S3, profile: "state", dynamodbTable: "locks" } }), machine()))).toBe(
      `doctor error: backend.profile: "state" is not a profile in ${home}/.aws/config or ${home}/.aws/credentials (create it with aws configure --profile state, or leave backend.profile out to use the default credentials)`,
    );
    write({ ".aws/config": "[profile state]\nregion = eu-west-3\n[profile keys]\ncredential_process = /bin/creds\n" });
    expect(problem(checkBackend(config({ backend: { ...S3, profile: "state" } }), machine()))).toMatch(/^doctor error: backend\.profile: profile "state" has no credentials \(give it/);
    expect(ok(checkBackend(config({ backend: { ...S3, profile: "keys", dynamodbTable: "locks" } }), machine())))
      .toBe('backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by DynamoDB table locks, with profile "keys", credential_process');
  });

  it("needs a token for HCP Terraform", () => {
    expect(problem(checkBackend(config({ backend: CLOUD }), machine()))).toBe("doctor error: backend: no HCP Terraform token for app.terraform.io (run terraform login, or set TF_TOKEN_app_terraform_io)");
    expect(problem(checkBackend(config({ backend: { ...CLOUD, hostname: "tfe.acme.example" } }), machine()))).toBe(
      "doctor error: backend: no HCP Terraform token for tfe.acme.example (run terraform login tfe.acme.example, or set TF_TOKEN_tfe_acme_example)",
    );
  });

  it.each([
    ["TF_TOKEN_<host>", { env: { TF_TOKEN_app_terraform_io: "t" } }, {}, "TF_TOKEN_app_terraform_io"],
    ["terraform login's file", {}, { ".terraform.d/credentials.tfrc.json": '{ "credentials": { "app.terraform.io": { "token": "t" } } }' }, "HOME/.terraform.d/credentials.tfrc.json"],
    ["a credentials block in ~/.terraformrc", {}, { ".terraformrc": 'credentials "app.terraform.io" {\n  token = "t"\n}\n' }, "HOME/.terraformrc"],
    ["a credentials helper", {}, { ".terraformrc": 'credentials_helper "vault" {\n  args = []\n}\n' }, "the credentials helper of HOME/.terraformrc"],
  ])("finds the token in %s", (_, m: Machine, files, source) => {
    write(files);
    expect(ok(checkBackend(config({ backend: CLOUD }), machine(m)))).toBe(`backend: HCP Terraform app.terraform.io, organization acme, workspace sso-prod (token from ${source.replace("HOME", home)})`);
  });

  it("reads TF_CLI_CONFIG_FILE and the dash-escaped variable name", () => {
    write({ "cli.tfrc": 'credentials "tfe-1.acme.example" { token = "t" }\n' });
    const backend = { ...CLOUD, hostname: "tfe-1.acme.example", workspace: undefined, workspaceTags: ["sso"] };
    expect(ok(checkBackend(config({ backend }), machine({ env: { TF_CLI_CONFIG_FILE: path.join(home, "cli.tfrc") } }))))
      .toBe(`backend: HCP Terraform tfe-1.acme.example, organization acme, workspaces tagged sso (token from ${home}/cli.tfrc)`);
    expect(ok(checkBackend(config({ backend }), machine({ env: { TF_TOKEN_tfe__1_acme_example: "t" } })))).toMatch(/token from TF_TOKEN_tfe__1_acme_example/);
  });
});

describe("SSH", () => {
  it("is closed by default (Session Manager)", () => {
    expect(ok(checkSsh(config()))).toBe("SSH: closed (log in with Session Manager)");
  });

  it("needs a key pair when sshCidrs opens port 22", () => {
    expect(problem(checkSsh(config({ sshCidrs: ["203.0.113.7/32"] })))).toBe(
      "doctor error: keyName: sshCidrs opens port 22 but no key pair is named (set keyName to an existing EC2 key pair in us-east-1, or set sshCidrs to [] and use Session Manager)",
    );
    expect(problem(checkSsh(config({ profile: "article" })))).toBe(
      "doctor error: keyName: sshCidrs opens port 22 but no key pair is named (set keyName to an existing EC2 key pair in us-east-1: it is the guide's keyname variable)",
    );
    expect(ok(checkSsh(config({ sshCidrs: ["203.0.113.7/32"], keyName: "ops" })))).toBe('SSH: key pair "ops" (must exist in us-east-1) from 203.0.113.7/32');
  });
});

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
      ],
    });
  });
});

describe("npm run doctor (compiled, on this machine)", () => {
  /** This machine's PATH without any directory holding a terraform binary. */
  const pathWithoutTerraform = (process.env.PATH ?? "").split(path.delimiter).filter((dir) => dir && !fs.existsSync(path.join(dir, "terraform"))).join(path.delimiter);

  beforeAll(() => {
    if (!fs.existsSync(DOCTOR)) throw new Error(`${DOCTOR} is missing: run npm run build (npm test does)`);
  });

  function doctor(env: NodeJS.ProcessEnv, args: string[] = []) {
    const result = spawnSync(process.execPath, [DOCTOR, ...args], { cwd: home, encoding: "utf8", env });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("fails with exactly the terraform and credentials problems, one line each, exit 2, no stack trace", () => {
    const { code, stdout, stderr } = doctor({ HOME: home, PATH: pathWithoutTerraform });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    // An EC2 machine has credentials from its instance role, as far as the doctor can tell without calling AWS.
    const expected = [expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH \(.*releases\.hashicorp\.com/)];
    if (!runsOnEc2(systemInputs().readFile)) expected.push(expect.stringMatching(/^doctor error: AWS credentials: none found in the environment, /));
    expect(stderr.trimEnd().split("\n")).toEqual(expected);
  });

  it("prints a summary and exits 0 when everything is there", () => {
    const bin = path.join(home, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "terraform"), "#!/bin/sh\necho '{\"terraform_version\": \"1.9.8\"}'\n", { mode: 0o755 });
    const { code, stdout, stderr } = doctor({ HOME: home, PATH: bin, AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" }, ["--profile", "dev"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toEqual([
      "deployment: keycloak-ec2, profile dev (default config)",
      `terraform: 1.9.8 at ${bin}/terraform (this stack needs >= 1.5.0)`,
      "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      "region: us-east-1",
      "backend: local state file terraform.keycloak-ec2.tfstate in the project directory",
      "SSH: closed (log in with Session Manager)",
    ]);
  });

  it("rejects a bad config before checking anything", () => {
    const { code, stderr } = doctor({ HOME: home, PATH: pathWithoutTerraform }, ["--profile", "prod"]);
    expect(code).toBe(2);
    expect(stderr).toBe('config error: --profile: "prod" is not one of article, dev, production (did you mean "production"?)\n');
  });
});
