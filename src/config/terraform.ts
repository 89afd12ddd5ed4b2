import { KeycloakEc2Config } from "./schema";

/**
 * The oldest Terraform the stack accepts (its `required_version`, and what doctor checks): the guide's 1.2.8 for
 * the article profile; 1.5 for dev and production; 1.10 for S3 state locked with a lock file (`use_lockfile`).
 * cdktf 0.21 itself needs Terraform 1.2 or later.
 */
export function requiredTerraformVersion(config: KeycloakEc2Config): string {
  if (config.profile === "article") return "1.2.8";
  return config.backend.type === "s3" && config.backend.useLockfile ? "1.10.0" : "1.5.0";
}
