import * as path from "node:path";
import { PreflightInputs } from "./inputs";

/**
 * The AWS shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`), read as the AWS CLI and SDKs
 * read them, and profiles resolved from them, for the credentials check and the S3 backend's `profile`.
 */

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

/** Both files, by path (for messages) and as read. */
export interface SharedFiles {
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly config: Ini;
  readonly credentials: Ini;
}

/** Reads both files where the SDKs look: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, else `~/.aws`. */
export function readSharedFiles({ env, home, readFile }: PreflightInputs): SharedFiles {
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
  const inConfig =
    files.config.get(`profile ${name}`) ?? (name === "default" ? files.config.get("default") : undefined);
  const inCredentials = files.credentials.get(name);
  return inConfig || inCredentials ? { ...inConfig, ...inCredentials } : undefined;
}

/** How a profile yields credentials: `found` (the source, for the summary), a `problem`, `absent`, or `empty`. */
export type ProfileOutcome =
  | { readonly kind: "found"; readonly source: string }
  | { readonly kind: "problem"; readonly problem: string; readonly fix: string }
  | { readonly kind: "absent" }
  | { readonly kind: "empty" };

/** How to give a profile credentials. */
export function emptyProfileFix(name: string): string {
  return (
    `give it access keys with aws configure --profile ${name}, an IAM Identity Center session with aws configure sso --profile ${name}, ` +
    "a credential_process, or role_arn with source_profile"
  );
}

/** Follows a profile the way the SDKs do (role chains through source_profile), without calling AWS. */
export function resolveProfile(files: SharedFiles, name: string, chain: readonly string[] = []): ProfileOutcome {
  const settings = profileSettings(files, name);
  if (!settings) return { kind: "absent" };
  const label = `profile "${name}"`;
  const problem = (text: string, fix: string): ProfileOutcome => ({ kind: "problem", problem: text, fix });
  const hasKeys = Boolean(settings.aws_access_key_id && settings.aws_secret_access_key);
  if (settings.role_arn) {
    const source = settings.source_profile;
    if (source === name) {
      return hasKeys
        ? { kind: "found", source: `${label}, role ${settings.role_arn} assumed with its own keys` }
        : problem(
            `${label} is its own source_profile but has no keys`,
            "add aws_access_key_id and aws_secret_access_key, or name another source_profile",
          );
    }
    if (source !== undefined) {
      if (chain.includes(source))
        return problem(
          `source_profile loops: ${[...chain, name, source].join(" -> ")}`,
          "end the chain at a profile with credentials",
        );
      const inner = resolveProfile(files, source, [...chain, name]);
      if (inner.kind === "absent")
        return problem(
          `${label} has source_profile "${source}", which does not exist`,
          "create that profile or fix the name",
        );
      if (inner.kind === "empty")
        return problem(`${label} has source_profile "${source}", which has no credentials`, emptyProfileFix(source));
      if (inner.kind === "problem") return inner;
      return { kind: "found", source: `${label}, role ${settings.role_arn} assumed from ${inner.source}` };
    }
    if (settings.credential_source)
      return {
        kind: "found",
        source: `${label}, role ${settings.role_arn} assumed with credential_source ${settings.credential_source}`,
      };
    if (settings.web_identity_token_file)
      return { kind: "found", source: `${label}, role ${settings.role_arn} assumed with a web identity token` };
    return problem(
      `${label} has role_arn but neither source_profile nor credential_source`,
      "add source_profile = <a profile with credentials>, or credential_source = Ec2InstanceMetadata, EcsContainer or Environment",
    );
  }
  if (settings.sso_session !== undefined) {
    if (!files.config.has(`sso-session ${settings.sso_session}`)) {
      return problem(
        `${label} uses sso_session "${settings.sso_session}", but ${files.configFile} has no [sso-session ${settings.sso_session}]`,
        "run aws configure sso",
      );
    }
    return {
      kind: "found",
      source: `${label}, IAM Identity Center (if the session expired: aws sso login --profile ${name})`,
    };
  }
  if (settings.sso_start_url)
    return {
      kind: "found",
      source: `${label}, IAM Identity Center (if the session expired: aws sso login --profile ${name})`,
    };
  if (settings.credential_process) return { kind: "found", source: `${label}, credential_process` };
  if (hasKeys) return { kind: "found", source: `${label}, access keys` };
  if (settings.aws_access_key_id || settings.aws_secret_access_key) {
    const [given, missing] = settings.aws_access_key_id
      ? ["aws_access_key_id", "aws_secret_access_key"]
      : ["aws_secret_access_key", "aws_access_key_id"];
    return problem(
      `${label} has ${given} but no ${missing}`,
      `add ${missing}, e.g. with aws configure --profile ${name}`,
    );
  }
  return { kind: "empty" };
}
