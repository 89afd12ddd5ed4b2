import * as path from "node:path";
import { KeycloakEc2Config, Profile } from "../../config/schema";
import { doctorProblem, Finding } from "./finding";
import { PreflightInputs } from "./inputs";

/** Resources (`type.name`) that only the cluster makes; its security groups come first in an apply, so a failed
 * first apply already shows one. */
const CLUSTER_ONLY = [
  "aws_security_group.network_lb",
  "aws_autoscaling_group.hosts_group",
  "aws_db_subnet_group.database_subnet_group",
];
/** Resources that only a single instance (dev, production) makes, its security group first. */
const INSTANCE_ONLY = [
  "aws_security_group.network_security_group",
  "aws_instance.host_instance",
  "aws_ebs_volume.data_volume",
];

/**
 * The profile whose stack left these resources in a state, by resources only that profile has; undefined when
 * none tells (an empty state, or one holding only the secrets that several profiles generate).
 */
export function profileInState(state: unknown): Profile | undefined {
  const resources = (state as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources) || resources.length === 0) return undefined;
  const has = (address: string) => resources.some((r) => r?.mode === "managed" && `${r.type}.${r.name}` === address);
  if (has("aws_instance.ec2")) return "article";
  if (CLUSTER_ONLY.some(has)) return "cluster";
  if (!INSTANCE_ONLY.some(has)) return undefined;
  return has("aws_ssm_parameter.secrets_db_password_parameter") ? "production" : "dev";
}

/**
 * A deployment of one profile is never planned over the state of another: with the same name, `--profile dev`
 * against a production state would destroy its database secret, and the article profile its instance. Read where
 * it can be without credentials: a local state file (S3 and HCP Terraform states are not read here).
 */
export function checkStateProfile(config: KeycloakEc2Config, { readFile, projectDir }: PreflightInputs): Finding {
  if (config.backend.type !== "local") return { ok: "state: not read here (remote backend)" };
  if (projectDir === undefined) return { ok: "state: not read (no project directory)" };
  const file = config.backend.path ?? `terraform.${config.name}.tfstate`;
  const text = readFile(path.join(projectDir, file));
  if (text === undefined) return { ok: `state: ${file} does not exist yet (a new deployment)` };
  let found: Profile | undefined;
  try {
    found = profileInState(JSON.parse(text));
  } catch {
    return doctorProblem(
      "state",
      `${file} is not JSON`,
      "restore it from terraform.tfstate.backup or your backup before any deploy",
    );
  }
  if (found === undefined || found === config.profile)
    return { ok: `state: ${file}${found ? `, a ${found} deployment` : ""}` };
  return otherProfileProblem(config, file, found);
}

/** The refusal of a deployment whose state (`where`) holds one of another profile. */
export function otherProfileProblem(config: KeycloakEc2Config, where: string, found: Profile): Finding {
  return doctorProblem(
    "profile",
    `${where} holds a ${found} deployment of "${config.name}", and the ${config.profile} profile would replace it and its data`,
    `give this deployment its own name, or run npm run destroy -- --profile ${found} first if that is what you want`,
  );
}
