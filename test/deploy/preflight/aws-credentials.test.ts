import * as path from "node:path";
import { checkAwsCredentials, runsOnEc2 } from "../../../src/deploy/preflight/aws-credentials";
import { config, Machine, ok, problem, useFakeHome } from "./machine";

const { home, write, machine } = useFakeHome();

describe("AWS credentials", () => {
  const check = (m: Machine, raw: Record<string, unknown> = {}) => checkAwsCredentials(config(raw), machine(m));

  it("takes keys from the environment", () => {
    expect(ok(check({ env: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" } }))).toBe(
      "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
    expect(
      ok(check({ env: { AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "t" } })),
    ).toMatch(/with AWS_SESSION_TOKEN$/);
  });

  it.each([
    [
      { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" },
      "doctor error: AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not (set both, plus AWS_SESSION_TOKEN for temporary keys, or unset AWS_ACCESS_KEY_ID to use a profile)",
    ],
    [
      { AWS_SECRET_ACCESS_KEY: "s" },
      "doctor error: AWS credentials: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not (set both, plus AWS_SESSION_TOKEN for temporary keys, or unset AWS_SECRET_ACCESS_KEY to use a profile)",
    ],
  ])("refuses half a key pair in the environment: %j", (env, line) => {
    expect(problem(check({ env }))).toBe(line);
  });

  it("says where it looked and how to fix it when there is nothing", () => {
    expect(problem(check({}))).toBe(
      `doctor error: AWS credentials: none found in the environment, ${home()}/.aws/config or ${home()}/.aws/credentials ` +
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
    write({
      ".aws/config": "[profile ops]\nregion = eu-west-3\n[dev]\ncredential_process = /bin/true\n",
      ".aws/credentials":
        "[ops]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n[profile dev]\naws_access_key_id = x\n",
    });
    expect(ok(check({ env: { AWS_PROFILE: "ops" } }))).toBe('AWS credentials: profile "ops", access keys');
    expect(problem(check({ env: { AWS_PROFILE: "dev" } }))).toBe(
      `doctor error: AWS credentials: AWS_PROFILE is "dev", but there is no [profile dev] in ${home()}/.aws/config nor [dev] in ${home()}/.aws/credentials ` +
        "(create it with aws configure --profile dev or aws configure sso --profile dev, or unset AWS_PROFILE)",
    );
  });

  it("refuses a missing AWS_PROFILE even when keys are in the environment, as the SDKs do", () => {
    expect(
      problem(check({ env: { AWS_PROFILE: "gone", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" } })),
    ).toMatch(/AWS_PROFILE is "gone", but there is no/);
  });

  it("refuses an AWS_PROFILE without credentials", () => {
    write({ ".aws/config": "[profile bare]\nregion = eu-west-3\n" });
    expect(problem(check({ env: { AWS_PROFILE: "bare" } }))).toMatch(
      /^doctor error: AWS credentials: AWS_PROFILE is "bare", a profile without credentials \(give it access keys with aws configure --profile bare, /,
    );
  });

  it("honours AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE", () => {
    write({ "elsewhere/creds": "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n" });
    expect(
      ok(
        check({
          env: {
            AWS_SHARED_CREDENTIALS_FILE: path.join(home(), "elsewhere/creds"),
            AWS_CONFIG_FILE: path.join(home(), "nowhere"),
          },
        }),
      ),
    ).toBe('AWS credentials: profile "default", access keys');
  });

  it.each([
    [
      "an IAM Identity Center session",
      "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
      'profile "sso", IAM Identity Center (if the session expired: aws sso login --profile sso)',
    ],
    [
      "legacy SSO settings",
      "[profile sso]\nsso_start_url = https://corp.awsapps.com/start\nsso_account_id = 111122223333\n",
      'profile "sso", IAM Identity Center (if the session expired: aws sso login --profile sso)',
    ],
    [
      "credential_process",
      "[profile sso]\ncredential_process = /usr/local/bin/creds --json\n",
      'profile "sso", credential_process',
    ],
    [
      "a role assumed from another profile",
      "[profile sso]\nrole_arn = arn:aws:iam::111122223333:role/deploy\nsource_profile = base\n[profile base]\ncredential_process = /bin/creds\n",
      'profile "sso", role arn:aws:iam::111122223333:role/deploy assumed from profile "base", credential_process',
    ],
    [
      "a role with credential_source",
      "[profile sso]\nrole_arn = arn:aws:iam::111122223333:role/deploy\ncredential_source = Ec2InstanceMetadata\n",
      'profile "sso", role arn:aws:iam::111122223333:role/deploy assumed with credential_source Ec2InstanceMetadata',
    ],
  ])("accepts %s", (_, configFile, source) => {
    write({ ".aws/config": configFile });
    expect(ok(check({ env: { AWS_PROFILE: "sso" } }))).toBe(`AWS credentials: ${source}`);
  });

  it.each([
    [
      "an sso_session without its section",
      "[profile p]\nsso_session = corp\n",
      /uses sso_session "corp", but .* has no \[sso-session corp\] \(run aws configure sso\)$/,
    ],
    [
      "a role without a source",
      "[profile p]\nrole_arn = arn:aws:iam::111122223333:role/deploy\n",
      /has role_arn but neither source_profile nor credential_source \(add source_profile/,
    ],
    [
      "a missing source_profile",
      "[profile p]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nope\n",
      /profile "p" has source_profile "nope", which does not exist/,
    ],
    [
      "a source_profile loop",
      "[profile p]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = q\n[profile q]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = p\n",
      /source_profile loops: p -> q -> p/,
    ],
    [
      "a key id without its secret",
      "[profile p]\naws_access_key_id = AKIAEXAMPLE\n",
      /profile "p" has aws_access_key_id but no aws_secret_access_key \(add aws_secret_access_key, e\.g\. with aws configure --profile p\)$/,
    ],
  ])("refuses %s", (_, configFile, pattern) => {
    write({ ".aws/config": configFile });
    expect(problem(check({ env: { AWS_PROFILE: "p" } }))).toMatch(pattern);
  });

  it("takes a web identity token, and refuses half of one or an unreadable file", () => {
    write({ token: "eyJ..." });
    const token = path.join(home(), "token");
    expect(ok(check({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: token, AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" } }))).toBe(
      "AWS credentials: web identity token, role arn:aws:iam::1:role/ci",
    );
    expect(problem(check({ env: { AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" } }))).toMatch(
      /AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not/,
    );
    expect(
      problem(check({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: `${token}-gone`, AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" } })),
    ).toMatch(/token-gone cannot be read/);
  });

  it("takes container credentials and, on EC2, the instance's role", () => {
    expect(ok(check({ env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/x" } }))).toBe(
      "AWS credentials: container credentials (ECS task role or EKS Pod Identity)",
    );
    expect(ok(check({ env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" } }))).toMatch(
      /container credentials/,
    );
    expect(ok(check({ system: { "/sys/devices/virtual/dmi/id/sys_vendor": "Amazon EC2\n" } }))).toMatch(
      /^AWS credentials: the EC2 instance's role, from the instance metadata service \(not checked/,
    );
    expect(ok(check({ system: { "/sys/hypervisor/uuid": "ec2e1916-9099-7caf-fd21-012345abcdef\n" } }))).toMatch(
      /EC2 instance's role/,
    );
    expect(runsOnEc2((file) => (file === "/sys/devices/virtual/dmi/id/sys_vendor" ? "QEMU\n" : undefined))).toBe(false);
  });

  it("needs none here when HCP Terraform runs remotely", () => {
    expect(ok(check({}, { backend: { type: "cloud", organization: "acme", workspace: "sso" } }))).toMatch(
      /^AWS credentials: none on this machine \(HCP Terraform remote runs/,
    );
  });
});
