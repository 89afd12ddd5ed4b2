import type { S3Client } from "@aws-sdk/client-s3";
import { KeycloakEc2Config } from "../config/schema";
import { s3Sdk } from "./aws-sdk";
import { Finding } from "./preflight/finding";
import { otherProfileProblem, profileInState } from "./preflight/state-profile";

/**
 * The profile check of the doctor (./preflight/state-profile.ts) for a state in S3, which needs credentials: deploy,
 * diff and destroy have them. A state the credentials cannot read is said and not checked (Terraform's own init
 * then says why); an HCP Terraform state is not read (its API needs the workspace's token and id).
 */
export async function checkRemoteStateProfile(config: KeycloakEc2Config, s3?: S3Client): Promise<Finding> {
  const backend = config.backend;
  if (backend.type !== "s3") return { ok: "state: not read here" };
  const where = `s3://${backend.bucket}/${backend.key}`;
  const { GetObjectCommand, S3Client } = await s3Sdk();
  const client =
    s3 ?? new S3Client({ region: backend.region, ...(backend.profile ? { profile: backend.profile } : {}) });
  let text: string;
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: backend.bucket, Key: backend.key }));
    text = (await answer.Body?.transformToString()) ?? "";
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "NoSuchKey") return { ok: `state: ${where} does not exist yet (a new deployment)` };
    return { ok: `state: ${where} not read (${name ?? (error as Error).message}): its profile is not checked` };
  }
  let found;
  try {
    found = profileInState(JSON.parse(text));
  } catch {
    return { ok: `state: ${where} is not JSON: its profile is not checked` };
  }
  if (found === undefined || found === config.profile)
    return { ok: `state: ${where}${found ? `, a ${found} deployment` : ""}` };
  return otherProfileProblem(config, where, found);
}
