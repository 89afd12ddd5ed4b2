import { requiredTerraformVersion } from "../../config/terraform";
import { KeycloakEc2Config } from "../../config/schema";
import { doctorProblem, Finding } from "./finding";
import { PreflightInputs } from "./inputs";

/** What to install: the stack's minimum, from HashiCorp or as OpenTofu (cdktf runs $TERRAFORM_BINARY_NAME). */
function installTerraform(minimum: string): string {
  return (
    `this stack needs Terraform ${minimum} or a later 1.x: install it from HashiCorp's apt repository, see https://developer.hashicorp.com/terraform/install, ` +
    `or the zip at https://releases.hashicorp.com/terraform/; or use OpenTofu ${minimum} or later with TERRAFORM_BINARY_NAME=tofu`
  );
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

/** `terraform` (or $TERRAFORM_BINARY_NAME, as cdktf runs it) on PATH, at least the stack's required_version. */
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
    return doctorProblem(
      "terraform",
      `"${found} version -json" failed: ${why}`,
      `check that installation; ${installTerraform(minimum)}`,
    );
  }
  if (compareVersions(version, minimum) < 0) {
    return doctorProblem(
      "terraform",
      `${found} is version ${version}, older than ${minimum}`,
      installTerraform(minimum),
    );
  }
  return { ok: `terraform: ${version} at ${found} (this stack needs >= ${minimum})` };
}
