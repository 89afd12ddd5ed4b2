import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { s3Sdk } from "./aws-sdk";
import { problemLine, UserError } from "../errors";

/**
 * Whether the running instance applied the configuration of the last deploy. Keycloak answering proves little after a
 * change: the previous version answers too while Systems Manager re-runs the boot. The boot reports what it last did
 * to the deployment's bucket (src/boot/files/keycloak-boot.sh, report_status), with the hash of the bundle it ran;
 * Terraform's boot_bundle_sha256 output is the hash of the bundle the apply delivered.
 */

/** Where the report is, and the bundle it must name: from the deployment's outputs. */
export interface BootStatusTarget {
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
  readonly bundleSha256: string;
}

/** The boot's report, as report_status writes it. */
export interface BootStatus {
  readonly state: "applied" | "failed";
  readonly keycloakVersion: string;
  readonly realm: string;
  readonly bundleSha256: string;
  readonly message: string;
  readonly at: string;
  /** The proxy's ACME certificate as the boot found it ("issued by ..., expires ..." or "pending: <reason>"); empty
   * in the other TLS modes, absent in reports of older boots. */
  readonly certificate?: string;
}

/** The target in a deployment's outputs, or undefined for a deployment made before the boot reported. */
export function bootStatusTarget(outputs: Readonly<Record<string, unknown>>): BootStatusTarget | undefined {
  const { region, backup_bucket: bucket, boot_status_key: key, boot_bundle_sha256: bundleSha256 } = outputs;
  if ([region, bucket, key, bundleSha256].every((value) => typeof value === "string" && value !== "")) {
    return { region, bucket, key, bundleSha256 } as BootStatusTarget;
  }
  return undefined;
}

/** The report, undefined while there is none; an error for anything else (no credentials, access denied). */
export async function readBootStatus(target: BootStatusTarget, s3?: S3Client): Promise<BootStatus | undefined> {
  const { GetObjectCommand, S3Client } = await s3Sdk();
  const client = s3 ?? new S3Client({ region: target.region });
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }));
    return JSON.parse((await answer.Body?.transformToString()) ?? "") as BootStatus;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

export interface BootStatusWaitOptions {
  readonly timeoutMs: number;
  readonly write: (text: string) => void;
  /** @default 5000 */
  readonly intervalMs?: number;
  readonly s3?: S3Client;
}

/**
 * Polls the report until it names the delivered bundle: applied, it says what runs; failed, a UserError with the
 * boot's reason (exit 1). Out of time, a UserError too. When the report cannot be read at all (no credentials here,
 * access denied), it says so and returns: the check is an addition to the wait, not a condition of it.
 */
export async function waitForBootStatus(target: BootStatusTarget, options: BootStatusWaitOptions): Promise<void> {
  const { timeoutMs, write, intervalMs = 5000, s3 } = options;
  const uri = `s3://${target.bucket}/${target.key}`;
  const start = Date.now();
  let lastLine = "";
  for (;;) {
    let status: BootStatus | undefined;
    try {
      status = await readBootStatus(target, s3);
    } catch (error) {
      write(
        `cannot read the boot's report at ${uri} (${(error as Error).message}): not checking what the instance applied\n`,
      );
      return;
    }
    if (status?.bundleSha256 === target.bundleSha256) {
      if (status.state === "applied") {
        write(
          `the instance applied this configuration at ${status.at}: Keycloak ${status.keycloakVersion}, realm ${status.realm}\n`,
        );
        if (status.certificate) write(`its certificate from the ACME CA: ${status.certificate}\n`);
        return;
      }
      throw new UserError(
        problemLine(
          "wait",
          "boot",
          `the instance failed to apply this configuration at ${status.at}: ${status.message}`,
          'its whole log is in the association\'s output under ssm/ in the bucket, or journalctl on the instance (docs/operations.md, "Seeing what an apply did")',
        ),
        1,
      );
    }
    const line = status
      ? `waiting for the instance to apply this configuration (it last ${status.state} another one, at ${status.at})`
      : "waiting for the instance's first report";
    if (line !== lastLine) write(`${line}\n`);
    lastLine = line;
    if (Date.now() - start + intervalMs >= timeoutMs) {
      throw new UserError(
        problemLine(
          "wait",
          "boot",
          `no report of this configuration at ${uri} after ${Math.round(timeoutMs / 1000)} s`,
          'Systems Manager may still be running the boot: run npm run wait again, or see the association\'s runs (docs/operations.md, "Seeing what an apply did")',
        ),
        1,
      );
    }
    await sleep(intervalMs);
  }
}
