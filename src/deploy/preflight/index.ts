import { KeycloakEc2Config } from "../../config/schema";
import { checkAwsCredentials } from "./aws-credentials";
import { checkBackend } from "./backend";
import { Finding } from "./finding";
import { PreflightInputs } from "./inputs";
import { checkRegion } from "./region";
import { checkSsh } from "./ssh";
import { checkStateProfile } from "./state-profile";
import { checkTerraform } from "./terraform";

/**
 * The doctor's checks: what must hold on this machine before cdktf can deploy (a terraform binary recent enough, AWS
 * credentials, the backend's credentials, a key pair when SSH is open), one check per file of this folder.
 */

export interface PreflightReport {
  /** One line each, `doctor error: <what>: <problem> (<fix>)`. */
  readonly problems: readonly string[];
  /** What passed, one line per check that did (printed whether or not others failed). */
  readonly summary: readonly string[];
}

function report(findings: readonly Finding[]): PreflightReport {
  return {
    problems: findings.flatMap((f) => ("problem" in f ? [f.problem] : [])),
    summary: findings.flatMap((f) => ("ok" in f ? [f.ok] : [])),
  };
}

/** Runs every check; all problems are reported at once. */
export function preflight(config: KeycloakEc2Config, inputs: PreflightInputs): PreflightReport {
  return report([
    checkTerraform(config, inputs),
    checkAwsCredentials(config, inputs),
    checkRegion(config, inputs.env),
    checkBackend(config, inputs),
    checkSsh(config),
    checkStateProfile(config, inputs),
  ]);
}

/**
 * The checks for commands that only read or move the state (output, migrate-state), not the AWS resources:
 * terraform, and what the backend needs on this machine. Local state needs nothing more; S3 state the AWS
 * credentials (or the profile `backend.profile` names, alone); HCP Terraform a token.
 */
export function statePreflight(config: KeycloakEc2Config, inputs: PreflightInputs): PreflightReport {
  const backend = config.backend;
  const access =
    backend.type === "local"
      ? []
      : backend.type === "s3" && !backend.profile
        ? [checkAwsCredentials(config, inputs), checkBackend(config, inputs)]
        : [checkBackend(config, inputs)];
  return report([checkTerraform(config, inputs), ...access]);
}
