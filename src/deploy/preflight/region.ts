import { KeycloakEc2Config } from "../../config/schema";
import { Finding } from "./finding";

/** The config always names a region (validated); the environment's region does not apply, which is worth saying. */
export function checkRegion(config: KeycloakEc2Config, env: NodeJS.ProcessEnv): Finding {
  const notes: string[] = [];
  const variable = env.AWS_REGION ? "AWS_REGION" : env.AWS_DEFAULT_REGION ? "AWS_DEFAULT_REGION" : undefined;
  if (variable && env[variable] !== config.region)
    notes.push(`${variable}=${env[variable]} does not apply: the config's region does`);
  if (config.backend.type === "s3" && config.backend.region !== config.region)
    notes.push(`the state bucket is in ${config.backend.region}`);
  return { ok: `region: ${config.region}${notes.length ? ` (${notes.join("; ")})` : ""}` };
}
