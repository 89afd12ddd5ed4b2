import { KeycloakEc2Config } from "../../config/schema";
import { checkAwsCredentials } from "./aws-credentials";
import { checkBackend } from "./backend";
import { PreflightInputs } from "./inputs";
import { checkRegion } from "./region";
import { checkSsh } from "./ssh";
import { checkTerraform } from "./terraform";

/**
 * The doctor's checks: what must hold on this machine before cdktf can deploy (a terraform binary recent enough, AWS
 * credentials, the backend's credentials, a key pair when SSH is open), one check per file of this folder.
 */

export interface PreflightReport {
  /** One line each, `doctor error: <what>: <problem> (<fix>)`. */
  readonly problems: readonly string[];
  /** What was found, one line per check, when nothing is wrong. */
  readonly summary: readonly string[];
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
