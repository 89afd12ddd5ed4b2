import { KeycloakEc2Config } from "../../config/schema";
import { emptyProfileFix, readSharedFiles, resolveProfile } from "./aws-shared-config";
import { doctorProblem, Finding } from "./finding";
import { PreflightInputs } from "./inputs";

/**
 * Whether this machine is an EC2 instance (Nitro: the DMI vendor; Xen: the hypervisor uuid). Read from sysfs rather
 * than by asking the instance metadata service, which off EC2 answers only with a time-out.
 */
export function runsOnEc2(readFile: PreflightInputs["readFile"]): boolean {
  return (
    /^Amazon EC2/.test(readFile("/sys/devices/virtual/dmi/id/sys_vendor") ?? "") ||
    /^ec2/i.test(readFile("/sys/hypervisor/uuid") ?? "")
  );
}

/**
 * The credentials the AWS provider would use, in the SDKs' order: environment keys, the profile (AWS_PROFILE or
 * `default`), a web identity token, the container's, the EC2 instance's. Only what can be seen locally is checked:
 * an expired SSO session or a revoked key shows at deploy time, and on EC2 whether the instance has a role at all.
 */
export function checkAwsCredentials(config: KeycloakEc2Config, inputs: PreflightInputs): Finding {
  const { env, readFile } = inputs;
  const what = "AWS credentials";
  const ok = (source: string): Finding => ({ ok: `${what}: ${source}` });
  if (Boolean(env.AWS_ACCESS_KEY_ID) !== Boolean(env.AWS_SECRET_ACCESS_KEY)) {
    const [given, missing] = env.AWS_ACCESS_KEY_ID
      ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
      : ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"];
    return doctorProblem(
      what,
      `${given} is set but ${missing} is not`,
      `set both, plus AWS_SESSION_TOKEN for temporary keys, or unset ${given} to use a profile`,
    );
  }
  const files = readSharedFiles(inputs);
  const named = env.AWS_PROFILE;
  const profile = resolveProfile(files, named || "default");
  // The SDKs fail on a named profile that does not exist, even when keys in the environment would do.
  if (named && profile.kind === "absent") {
    return doctorProblem(
      what,
      `AWS_PROFILE is "${named}", but there is no [profile ${named}] in ${files.configFile} nor [${named}] in ${files.credentialsFile}`,
      `create it with aws configure --profile ${named} or aws configure sso --profile ${named}, or unset AWS_PROFILE`,
    );
  }
  if (env.AWS_ACCESS_KEY_ID)
    return ok(
      `environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY${env.AWS_SESSION_TOKEN ? " with AWS_SESSION_TOKEN" : ""}`,
    );
  if (profile.kind === "problem") return doctorProblem(what, profile.problem, profile.fix);
  if (profile.kind === "found") return ok(profile.source);
  if (named)
    return doctorProblem(what, `AWS_PROFILE is "${named}", a profile without credentials`, emptyProfileFix(named));
  if (Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE) !== Boolean(env.AWS_ROLE_ARN)) {
    const [given, missing] = env.AWS_ROLE_ARN
      ? ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
      : ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"];
    return doctorProblem(
      what,
      `${given} is set but ${missing} is not`,
      "set both for web identity federation, as GitHub Actions OIDC and EKS IRSA do, or unset it",
    );
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) {
    if (readFile(env.AWS_WEB_IDENTITY_TOKEN_FILE) === undefined) {
      return doctorProblem(
        what,
        `AWS_WEB_IDENTITY_TOKEN_FILE ${env.AWS_WEB_IDENTITY_TOKEN_FILE} cannot be read`,
        "point it at the token file your platform writes",
      );
    }
    return ok(`web identity token, role ${env.AWS_ROLE_ARN}`);
  }
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    return ok("container credentials (ECS task role or EKS Pod Identity)");
  if (runsOnEc2(readFile))
    return ok(
      "the EC2 instance's role, from the instance metadata service (not checked: attach a role if it has none)",
    );
  // HCP Terraform runs plans remotely with the workspace's own AWS variables: none are needed here then.
  if (config.backend.type === "cloud")
    return ok(
      "none on this machine (HCP Terraform remote runs use the workspace's variables; local execution mode needs them here)",
    );
  return doctorProblem(
    what,
    `none found in the environment, ${files.configFile} or ${files.credentialsFile}`,
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; or create a profile with aws configure or aws configure sso, and set AWS_PROFILE unless it is the default; " +
      "or run on EC2, ECS or EKS with a role attached",
  );
}
