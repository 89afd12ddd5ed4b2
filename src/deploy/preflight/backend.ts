import * as path from "node:path";
import { KeycloakEc2Config, S3BackendConfig } from "../../config/schema";
import { emptyProfileFix, readSharedFiles, resolveProfile } from "./aws-shared-config";
import { doctorProblem, Finding } from "./finding";
import { PreflightInputs } from "./inputs";

/**
 * Where an HCP Terraform / Terraform Enterprise token for `host` is, in Terraform's order: TF_TOKEN_<host> (dots as
 * underscores, dashes optionally as double underscores), a `credentials "<host>"` block or a credentials helper in the
 * CLI config file, then `terraform login`'s credentials.tfrc.json.
 */
export function terraformTokenSource(host: string, { env, home, readFile }: PreflightInputs): string | undefined {
  const variables = [...new Set([host.replace(/\./g, "_"), host.replace(/-/g, "__").replace(/\./g, "_")])].map(
    (h) => `TF_TOKEN_${h}`,
  );
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

/** S3: the AWS credentials checked above, or the shared-config profile `backend.profile` names. */
function checkS3Backend(backend: S3BackendConfig, inputs: PreflightInputs): Finding {
  const locks = [
    backend.useLockfile ? "the S3 lock file" : "",
    backend.dynamodbTable ? `DynamoDB table ${backend.dynamodbTable}` : "",
  ].filter(Boolean);
  const summary = `backend: s3://${backend.bucket}/${backend.key} in ${backend.region}, locked by ${locks.join(" and ") || "nothing"}`;
  // Without a profile the backend uses the credentials checked above; a named one must resolve by itself.
  if (!backend.profile) return { ok: `${summary}, with the AWS credentials above` };
  const files = readSharedFiles(inputs);
  const outcome = resolveProfile(files, backend.profile);
  switch (outcome.kind) {
    case "absent":
      return doctorProblem(
        "backend.profile",
        `"${backend.profile}" is not a profile in ${files.configFile} or ${files.credentialsFile}`,
        `create it with aws configure --profile ${backend.profile}, or leave backend.profile out to use the default credentials`,
      );
    case "empty":
      return doctorProblem(
        "backend.profile",
        `profile "${backend.profile}" has no credentials`,
        emptyProfileFix(backend.profile),
      );
    case "problem":
      return doctorProblem("backend.profile", outcome.problem, outcome.fix);
    case "found":
      return { ok: `${summary}, with ${outcome.source}` };
  }
}

/** What the state backend needs on this machine: nothing (local), AWS credentials (s3), a token (cloud). */
export function checkBackend(config: KeycloakEc2Config, inputs: PreflightInputs): Finding {
  const backend = config.backend;
  switch (backend.type) {
    case "local":
      return {
        ok: `backend: local state file ${backend.path ?? `terraform.${config.name}.tfstate`} in the project directory`,
      };
    case "s3":
      return checkS3Backend(backend, inputs);
    case "cloud": {
      const host = backend.hostname ?? "app.terraform.io";
      const source = terraformTokenSource(host, inputs);
      if (!source) {
        return doctorProblem(
          "backend",
          `no HCP Terraform token for ${host}`,
          `run terraform login${backend.hostname ? ` ${host}` : ""}, or set TF_TOKEN_${host.replace(/\./g, "_")}`,
        );
      }
      const workspace = backend.workspace
        ? `workspace ${backend.workspace}`
        : `workspaces tagged ${backend.workspaceTags!.join(", ")}`;
      return {
        ok: `backend: HCP Terraform ${host}, organization ${backend.organization}, ${workspace} (token from ${source})`,
      };
    }
  }
}
