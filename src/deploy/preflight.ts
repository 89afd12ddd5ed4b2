import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requiredTerraformVersion } from "../config/terraform";
import { problemLine } from "../errors";
import { KeycloakEc2Config, S3BackendConfig } from "../config/schema";

/**
 * The doctor's checks: what must hold on this machine before cdktf can deploy (a terraform binary recent enough, AWS
 * credentials, the backend's credentials, a key pair when SSH is open). Each check reads the machine only through
 * `PreflightInputs`, so tests give it any environment; nothing here calls AWS or the network.
 */
export interface PreflightInputs {
  readonly env: NodeJS.ProcessEnv;
  /** The home directory of `~/.aws` and `~/.terraform.d`. */
  readonly home: string;
  /** The full path of an executable found on PATH, as `which` prints it, or undefined. */
  readonly which: (command: string) => string | undefined;
  /** A file's text, or undefined when it cannot be read. */
  readonly readFile: (file: string) => string | undefined;
  /** Runs a program (no shell) to completion. */
  readonly run: (program: string, args: readonly string[]) => CommandResult;
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  /** Why it could not run (spawn error, time-out), if so. */
  readonly error?: string;
}

/** One check's outcome: a summary line, or a problem line. */
export type Finding = { readonly ok: string } | { readonly problem: string };

export interface PreflightReport {
  /** One line each, `doctor error: <what>: <problem> (<fix>)`. */
  readonly problems: readonly string[];
  /** What was found, one line per check, when nothing is wrong. */
  readonly summary: readonly string[];
}

/** `doctor error: <what>: <problem> (<fix>)`, the doctor's counterpart of `configProblem`. */
export function doctorProblem(what: string, problem: string, fix: string): Finding {
  return { problem: problemLine("doctor", what, problem, fix) };
}

/** Runs every check; all problems are reported at once. */
export function preflight(config: KeycloakEc2Config, inputs: PreflightInputs): PreflightReport {
  const findings = [
    checkTerraform(config, inputs),
    checkAwsCredentials(config, inputs),
    checkRegion(config, inputs.env),
    checkBackend(config, inputs),
    checkSsh(config),
  ];
  return {
    problems: findings.flatMap((f) => ("problem" in f ? [f.problem] : [])),
    summary: findings.flatMap((f) => ("ok" in f ? [f.ok] : [])),
  };
}

// --- terraform -----------------------------------------------------------------------------------------------------


/** What to install: the stack's minimum, from HashiCorp or as OpenTofu (cdktf runs $TERRAFORM_BINARY_NAME). */
function installTerraform(minimum: string): string {
  return `this stack needs Terraform ${minimum} or a later 1.x: install it from HashiCorp's apt repository, see https://developer.hashicorp.com/terraform/install, ` +
    `or the zip at https://releases.hashicorp.com/terraform/; or use OpenTofu ${minimum} or later with TERRAFORM_BINARY_NAME=tofu`;
}

/** `1.11.4` from `terraform version -json` (Terraform and OpenTofu), or from the plain `Terraform v0.12.31` banner. */
export function parseTerraformVersion(stdout: string): string | undefined {
  let text = stdout;
  try {
    const json = JSON.parse(stdout) as { terraform_version?: unknown };
    if (typeof json.terraform_version === "string") text = json.terraform_version;
  } catch {
    // Versions before 0.13 have no -json: they print the banner, which the pattern below still reads.
  }
  return /(\d+\.\d+\.\d+)/.exec(text)?.[1];
}

/** Compares dotted versions numerically (a pre-release suffix counts as its release). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map((part) => parseInt(part, 10)));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

export function checkTerraform(config: KeycloakEc2Config, { env, which, run }: PreflightInputs): Finding {
  const binary = env.TERRAFORM_BINARY_NAME || "terraform";
  const named = env.TERRAFORM_BINARY_NAME ? `TERRAFORM_BINARY_NAME "${binary}"` : `"${binary}"`;
  const minimum = requiredTerraformVersion(config);
  const found = which(binary);
  if (!found) return doctorProblem("terraform", `${named} not found on PATH`, installTerraform(minimum));
  const result = run(found, ["version", "-json"]);
  const version = result.status === 0 ? parseTerraformVersion(result.stdout) : undefined;
  if (!version) {
    const why = result.error ?? (result.status === 0 ? "printed no version" : `exit code ${result.status}`);
    return doctorProblem("terraform", `"${found} version -json" failed: ${why}`, `check that installation; ${installTerraform(minimum)}`);
  }
  if (compareVersions(version, minimum) < 0) {
    return doctorProblem("terraform", `${found} is version ${version}, older than ${minimum}`, installTerraform(minimum));
  }
  return { ok: `terraform: ${version} at ${found} (this stack needs >= ${minimum})` };
}

// --- AWS credentials -----------------------------------------------------------------------------------------------

/** An INI file as the AWS CLI and SDKs read it: section name -> keys (lower-case) -> values. */
export type Ini = ReadonlyMap<string, Readonly<Record<string, string>>>;

/**
 * Parses `~/.aws/config` and `~/.aws/credentials`. Comments are whole lines starting with # or ;. An indented line
 * after `key =` with no value is a sub-setting (`s3 =\n  max_concurrent_requests = 20`) and is skipped.
 */
export function parseIni(text: string): Ini {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let inSubSettings = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      const name = header[1].replace(/\s+/g, " ");
      current = sections.get(name) ?? {};
      sections.set(name, current);
      inSubSettings = false;
      continue;
    }
    if (inSubSettings && /^\s/.test(raw)) continue;
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!pair || !current) continue;
    current[pair[1].toLowerCase()] = pair[2];
    inSubSettings = pair[2] === "";
  }
  return sections;
}

interface SharedFiles {
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly config: Ini;
  readonly credentials: Ini;
}

function readSharedFiles({ env, home, readFile }: PreflightInputs): SharedFiles {
  const expand = (file: string) => (file.startsWith("~/") ? path.join(home, file.slice(2)) : file);
  const configFile = expand(env.AWS_CONFIG_FILE || path.join(home, ".aws", "config"));
  const credentialsFile = expand(env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, ".aws", "credentials"));
  return {
    configFile,
    credentialsFile,
    config: parseIni(readFile(configFile) ?? ""),
    credentials: parseIni(readFile(credentialsFile) ?? ""),
  };
}

/** A profile's settings: `[profile x]` (or `[default]`) in the config file, overlaid by `[x]` in the credentials file. */
function profileSettings(files: SharedFiles, name: string): Readonly<Record<string, string>> | undefined {
  const inConfig = files.config.get(`profile ${name}`) ?? (name === "default" ? files.config.get("default") : undefined);
  const inCredentials = files.credentials.get(name);
  return inConfig || inCredentials ? { ...inConfig, ...inCredentials } : undefined;
}

/** How a profile yields credentials: `found` (the source, for the summary), a `problem`, `absent`, or `empty`. */
type ProfileOutcome =
  | { readonly kind: "found"; readonly source: string }
  | { readonly kind: "problem"; readonly problem: string; readonly fix: string }
  | { readonly kind: "absent" }
  | { readonly kind: "empty" };

function emptyProfileFix(name: string): string {
  return `give it access keys with aws configure --profile ${name}, an IAM Identity Center session with aws configure sso --profile ${name}, ` +
    "a credential_process, or role_arn with source_profile";
}

/** Follows a profile the way the SDKs do (role chains through source_profile), without calling AWS. */
function resolveProfile(files: SharedFiles, name: string, chain: readonly string[] = []): ProfileOutcome {
  const settings = profileSettings(files, name);
  if (!settings) return { kind: "absent" };
  const label = `profile "${name}"`;
  const problem = (text: string, fix: string): ProfileOutcome => ({ kind: "problem", problem: text, fix });
  const hasKeys = Boolean(settings.aws_access_key_id && settings.aws_secret_access_key);
  if (settings.role_arn) {
    const source = settings.source_profile;
    if (source === name) {
      return hasKeys ? { kind: "found", source: `${label}, role ${settings.role_arn} assumed with its own keys` }
        : problem(`${label} is its own source_profile but has no keys`, "add aws_access_key_id and aws_secret_access_key, or name another source_profile");
    }
    if (source !== undefined) {
      if (chain.includes(source)) return problem(`source_profile loops: ${[...chain, name, source].join(" -> ")}`, "end the chain at a profile with credentials");
      const inner = resolveProfile(files, source, [...chain, name]);
      if (inner.kind === "absent") return problem(`${label} has source_profile "${source}", which does not exist`, "create that profile or fix the name");
      if (inner.kind === "empty") return problem(`${label} has source_profile "${source}", which has no credentials`, emptyProfileFix(source));
      if (inner.kind === "problem") return inner;
      return { kind: "found", source: `${label}, role ${settings.role_arn} assumed from ${inner.source}` };
    }
    if (settings.credential_source) return { kind: "found", source: `${label}, role ${settings.role_arn} assumed with credential_source ${settings.credential_source}` };
    if (settings.web_identity_token_file) return { kind: "found", source: `${label}, role ${settings.role_arn} assumed with a web identity token` };
    return problem(`${label} has role_arn but neither source_profile nor credential_source`,
      "add source_profile = <a profile with credentials>, or credential_source = Ec2InstanceMetadata, EcsContainer or Environment");
  }
  if (settings.sso_session !== undefined) {
    if (!files.config.has(`sso-session ${settings.sso_session}`)) {
      return problem(`${label} uses sso_session "${settings.sso_session}", but ${files.configFile} has no [sso-session ${settings.sso_session}]`, "run aws configure sso");
    }
    return { kind: "found", source: `${label}, IAM Identity Center (if the session expired: aws sso login --profile ${name})` };
  }
  if (settings.sso_start_url) return { kind: "found", source: `${label}, IAM Identity Center (if the session expired: aws sso login --profile ${name})` };
  if (settings.credential_process) return { kind: "found", source: `${label}, credential_process` };
  if (hasKeys) return { kind: "found", source: `${label}, access keys` };
  if (settings.aws_access_key_id || settings.aws_secret_access_key) {
    const [given, missing] = settings.aws_access_key_id ? ["aws_access_key_id", "aws_secret_access_key"] : ["aws_secret_access_key", "aws_access_key_id"];
    return problem(`${label} has ${given} but no ${missing}`, `add ${missing}, e.g. with aws configure --profile ${name}`);
  }
  return { kind: "empty" };
}

/**
 * Whether this machine is an EC2 instance (Nitro: the DMI vendor; Xen: the hypervisor uuid). Read from sysfs rather
 * than by asking the instance metadata service, which off EC2 answers only with a time-out.
 */
export function runsOnEc2(readFile: PreflightInputs["readFile"]): boolean {
  return /^Amazon EC2/.test(readFile("/sys/devices/virtual/dmi/id/sys_vendor") ?? "") || /^ec2/i.test(readFile("/sys/hypervisor/uuid") ?? "");
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
    const [given, missing] = env.AWS_ACCESS_KEY_ID ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] : ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"];
    return doctorProblem(what, `${given} is set but ${missing} is not`, `set both, plus AWS_SESSION_TOKEN for temporary keys, or unset ${given} to use a profile`);
  }
  const files = readSharedFiles(inputs);
  const named = env.AWS_PROFILE;
  const profile = resolveProfile(files, named || "default");
  // The SDKs fail on a named profile that does not exist, even when keys in the environment would do.
  if (named && profile.kind === "absent") {
    return doctorProblem(what, `AWS_PROFILE is "${named}", but there is no [profile ${named}] in ${files.configFile} nor [${named}] in ${files.credentialsFile}`,
      `create it with aws configure --profile ${named} or aws configure sso --profile ${named}, or unset AWS_PROFILE`);
  }
  if (env.AWS_ACCESS_KEY_ID) return ok(`environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY${env.AWS_SESSION_TOKEN ? " with AWS_SESSION_TOKEN" : ""}`);
  if (profile.kind === "problem") return doctorProblem(what, profile.problem, profile.fix);
  if (profile.kind === "found") return ok(profile.source);
  if (named) return doctorProblem(what, `AWS_PROFILE is "${named}", a profile without credentials`, emptyProfileFix(named));
  if (Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE) !== Boolean(env.AWS_ROLE_ARN)) {
    const [given, missing] = env.AWS_ROLE_ARN ? ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"] : ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"];
    return doctorProblem(what, `${given} is set but ${missing} is not`, "set both for web identity federation, as GitHub Actions OIDC and EKS IRSA do, or unset it");
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) {
    if (readFile(env.AWS_WEB_IDENTITY_TOKEN_FILE) === undefined) {
      return doctorProblem(what, `AWS_WEB_IDENTITY_TOKEN_FILE ${env.AWS_WEB_IDENTITY_TOKEN_FILE} cannot be read`, "point it at the token file your platform writes");
    }
    return ok(`web identity token, role ${env.AWS_ROLE_ARN}`);
  }
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return ok("container credentials (ECS task role or EKS Pod Identity)");
  if (runsOnEc2(readFile)) return ok("the EC2 instance's role, from the instance metadata service (not checked: attach a role if it has none)");
  // HCP Terraform runs plans remotely with the workspace's own AWS variables: none are needed here then.
  if (config.backend.type === "cloud") return ok("none on this machine (HCP Terraform remote runs use the workspace's variables; local execution mode needs them here)");
  return doctorProblem(what, `none found in the environment, ${files.configFile} or ${files.credentialsFile}`,
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; or create a profile with aws configure or aws configure sso, and set AWS_PROFILE unless it is the default; " +
    "or run on EC2, ECS or EKS with a role attached");
}

// --- region, backend, SSH ------------------------------------------------------------------------------------------

/** The config always names a region (validated); the environment's region does not apply, which is worth saying. */
export function checkRegion(config: KeycloakEc2Config, env: NodeJS.ProcessEnv): Finding {
  const notes: string[] = [];
  const variable = env.AWS_REGION ? "AWS_REGION" : env.AWS_DEFAULT_REGION ? "AWS_DEFAULT_REGION" : undefined;
  if (variable && env[variable] !== config.region) notes.push(`${variable}=${env[variable]} does not apply: the config's region does`);
  if (config.backend.type === "s3" && config.backend.region !== config.region) notes.push(`the state bucket is in ${config.backend.region}`);
  return { ok: `region: ${config.region}${notes.length ? ` (${notes.join("; ")})` : ""}` };
}

/**
 * Where an HCP Terraform / Terraform Enterprise token for `host` is, in Terraform's order: TF_TOKEN_<host> (dots as
 * underscores, dashes optionally as double underscores), a `credentials "<host>"` block or a credentials helper in the
 * CLI config file, then `terraform login`'s credentials.tfrc.json.
 */
export function terraformTokenSource(host: string, { env, home, readFile }: PreflightInputs): string | undefined {
  const variables = [...new Set([host.replace(/\./g, "_"), host.replace(/-/g, "__").replace(/\./g, "_")])].map((h) => `TF_TOKEN_${h}`);
  const variable = variables.find((v) => env[v]);
  if (variable) return variable;
  const cliConfig = env.TF_CLI_CONFIG_FILE || path.join(home, ".terraformrc");
  const text = readFile(cliConfig) ?? "";
  const quoted = host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (new RegExp(`credentials\\s+"${quoted}"\\s*\\{[^}]*\\btoken\\s*=`).test(text)) return cliConfig;
  if (/^\s*credentials_helper\s+"/m.test(text)) return `the credentials helper of ${cliConfig}`;
  const tokenFile = path.join(home, ".terraform.d", "credentials.tfrc.json");
  try {
    const json = JSON.parse(readFile(tokenFile) ?? "") as { credentials?: Record<string, { token?: unknown }> };
    if (typeof json.credentials?.[host]?.token === "string") return tokenFile;
  } catch {
    // Missing or not JSON: no token from this file.
  }
  return undefined;
}

function checkS3Backend(backend: S3BackendConfig, inputs: PreflightInputs): Finding {
  const locks = [backend.useLockfile ? "the S3 lock file" : "", backend.dynamodbTable ? `DynamoDB table ${backend.dynamodbTable}` : ""].filter(Boolean);
  const summary = `backend: s3://${backend.bucket}/${backend.key} in ${backend.region}, locked by ${locks.join(" and ") || "nothing"}`;
  // Without a profile the backend uses the credentials checked above; a named one must resolve by itself.
  if (!backend.profile) return { ok: `${summary}, with the AWS credentials above` };
  const files = readSharedFiles(inputs);
  const outcome = resolveProfile(files, backend.profile);
  switch (outcome.kind) {
    case "absent":
      return doctorProblem("backend.profile", `"${backend.profile}" is not a profile in ${files.configFile} or ${files.credentialsFile}`,
        `create it with aws configure --profile ${backend.profile}, or leave backend.profile out to use the default credentials`);
    case "empty":
      return doctorProblem("backend.profile", `profile "${backend.profile}" has no credentials`, emptyProfileFix(backend.profile));
    case "problem":
      return doctorProblem("backend.profile", outcome.problem, outcome.fix);
    case "found":
      return { ok: `${summary}, with ${outcome.source}` };
  }
}

export function checkBackend(config: KeycloakEc2Config, inputs: PreflightInputs): Finding {
  const backend = config.backend;
  switch (backend.type) {
    case "local":
      return { ok: `backend: local state file ${backend.path ?? `terraform.${config.name}.tfstate`} in the project directory` };
    case "s3":
      return checkS3Backend(backend, inputs);
    case "cloud": {
      const host = backend.hostname ?? "app.terraform.io";
      const source = terraformTokenSource(host, inputs);
      if (!source) {
        return doctorProblem("backend", `no HCP Terraform token for ${host}`,
          `run terraform login${backend.hostname ? ` ${host}` : ""}, or set TF_TOKEN_${host.replace(/\./g, "_")}`);
      }
      const workspace = backend.workspace ? `workspace ${backend.workspace}` : `workspaces tagged ${backend.workspaceTags!.join(", ")}`;
      return { ok: `backend: HCP Terraform ${host}, organization ${backend.organization}, ${workspace} (token from ${source})` };
    }
  }
}

export function checkSsh(config: KeycloakEc2Config): Finding {
  if (config.sshCidrs.length === 0) return { ok: config.profile === "article" ? "SSH: closed" : "SSH: closed (log in with Session Manager)" };
  if (!config.keyName) {
    return doctorProblem("keyName", `sshCidrs opens port 22 but no key pair is named`, config.profile === "article"
      ? `set keyName to an existing EC2 key pair in ${config.region}: it is the guide's keyname variable`
      : `set keyName to an existing EC2 key pair in ${config.region}, or set sshCidrs to [] and use Session Manager`);
  }
  return { ok: `SSH: key pair "${config.keyName}" (must exist in ${config.region}) from ${config.sshCidrs.join(", ")}` };
}

// --- this machine --------------------------------------------------------------------------------------------------

/** An executable file at `file`. */
function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The real machine: its environment, PATH lookup, files, and a bounded `spawnSync`. */
export function systemInputs(env: NodeJS.ProcessEnv = process.env): PreflightInputs {
  return {
    env,
    home: env.HOME || os.homedir(),
    which: (command) =>
      command.includes("/") ? (isExecutable(command) ? path.resolve(command) : undefined)
        : (env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command)).find(isExecutable),
    readFile: (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    },
    // `terraform version` asks HashiCorp's checkpoint service about updates, which stalls offline.
    run: (program, args) => {
      const result = spawnSync(program, args, { encoding: "utf8", timeout: 30_000, env: { ...env, CHECKPOINT_DISABLE: "1" } });
      return { status: result.status, stdout: result.stdout ?? "", error: result.error?.message };
    },
  };
}
