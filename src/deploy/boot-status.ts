import { setTimeout as sleep } from "node:timers/promises";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { S3Client } from "@aws-sdk/client-s3";
import { autoScalingSdk, s3Sdk } from "./aws-sdk";
import { problemLine, UserError } from "../errors";

/**
 * Whether the running instance applied the configuration of the last deploy. Keycloak answering proves little after a
 * change: the previous version answers too while Systems Manager re-runs the boot (or, in a cluster, while the
 * instance refresh has not yet replaced the old nodes). The boot reports what it last did to the deployment's bucket
 * (src/boot/files/keycloak-boot.sh, report_status), with the hash of the bundle it ran; Terraform's
 * boot_bundle_sha256 output is the hash of the bundle the apply delivered.
 */

/** Where the reports are, and the bundle they must name: from the deployment's outputs. */
export type BootStatusTarget = InstanceStatusTarget | ClusterStatusTarget;

interface StatusTargetBase {
  readonly region: string;
  readonly bucket: string;
  readonly bundleSha256: string;
}

/** One instance: one report. */
export interface InstanceStatusTarget extends StatusTargetBase {
  readonly kind: "instance";
  readonly key: string;
}

/** A cluster: a report per node, `<prefix><instance id>.json`; every node in service of the group must name the
 * bundle. */
export interface ClusterStatusTarget extends StatusTargetBase {
  readonly kind: "cluster";
  readonly group: string;
  readonly prefix: string;
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

const isText = (value: unknown): value is string => typeof value === "string" && value !== "";

/** The target in a deployment's outputs, or undefined for a deployment made before the boot reported. */
export function bootStatusTarget(outputs: Readonly<Record<string, unknown>>): BootStatusTarget | undefined {
  const { region, backup_bucket: bucket, boot_bundle_sha256: bundleSha256 } = outputs;
  if (!isText(region) || !isText(bucket) || !isText(bundleSha256)) return undefined;
  const { boot_status_key: key, autoscaling_group: group, node_status_prefix: prefix } = outputs;
  if (isText(group) && isText(prefix)) return { kind: "cluster", region, bucket, bundleSha256, group, prefix };
  if (isText(key)) return { kind: "instance", region, bucket, bundleSha256, key };
  return undefined;
}

/** A report, undefined while there is none; an error for anything else (no credentials, access denied). */
async function readReport(client: S3Client, bucket: string, key: string): Promise<BootStatus | undefined> {
  const { GetObjectCommand } = await s3Sdk();
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await answer.Body?.transformToString()) ?? "") as BootStatus;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/** The instance's report, undefined while there is none; an error for anything else. */
export async function readBootStatus(target: InstanceStatusTarget, s3?: S3Client): Promise<BootStatus | undefined> {
  const { S3Client } = await s3Sdk();
  return readReport(s3 ?? new S3Client({ region: target.region }), target.bucket, target.key);
}

export interface BootStatusWaitOptions {
  readonly timeoutMs: number;
  readonly write: (text: string) => void;
  /** @default 5000 */
  readonly intervalMs?: number;
  readonly s3?: S3Client;
  readonly autoScaling?: AutoScalingClient;
}

/**
 * Polls the report (a cluster: every node's) until it names the delivered bundle: applied, it says what runs; failed,
 * a UserError with the boot's reason (exit 1). Out of time, a UserError too. When the report cannot be read at all
 * (no credentials here, access denied), it says so and returns: the check is an addition to the wait, not a
 * condition of it.
 */
export async function waitForBootStatus(target: BootStatusTarget, options: BootStatusWaitOptions): Promise<void> {
  if (target.kind === "cluster") return waitForNodes(target, options);
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

/** An instance of the group, as Auto Scaling lists it. */
interface GroupInstance {
  readonly id: string;
  /** `InService`, `Pending`, `Terminating`, ... */
  readonly state: string;
}

/** What a round of the cluster's check found. */
interface NodesRound {
  readonly instances: readonly GroupInstance[];
  /** The reports of the instances in service, in their order; undefined where a node has none yet. */
  readonly reports: readonly (BootStatus | undefined)[];
  /** The group's latest instance refresh: its status and percentage done, or undefined when it has had none. */
  readonly refresh?: { readonly status: string; readonly percentage?: number; readonly reason?: string };
}

/** Refresh states that will not replace more nodes by themselves (DescribeInstanceRefreshes' Status). */
const ENDED_REFRESH = new Set(["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"]);

async function readNodes(
  target: ClusterStatusTarget,
  clients: { s3: S3Client; autoScaling: AutoScalingClient },
): Promise<NodesRound> {
  const { DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand } = await autoScalingSdk();
  const [groups, refreshes] = await Promise.all([
    clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.group] })),
    clients.autoScaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: target.group, MaxRecords: 1 }),
    ),
  ]);
  const group = groups.AutoScalingGroups?.[0];
  if (!group) throw new Error(`no Auto Scaling group ${target.group}`);
  const instances = (group.Instances ?? [])
    .map((i) => ({ id: i.InstanceId ?? "", state: i.LifecycleState ?? "" }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const inService = instances.filter((i) => i.state === "InService");
  const reports = await Promise.all(
    inService.map((i) => readReport(clients.s3, target.bucket, `${target.prefix}${i.id}.json`)),
  );
  const latest = refreshes.InstanceRefreshes?.[0];
  return {
    instances,
    reports,
    refresh: latest && {
      status: latest.Status ?? "",
      percentage: latest.PercentageComplete,
      reason: latest.StatusReason,
    },
  };
}

/**
 * The cluster's check: every node in service of the group reports the delivered bundle applied. A node that failed
 * to apply it fails the wait, naming the node; so does an instance refresh that ended without replacing the nodes
 * still on an older bundle.
 */
async function waitForNodes(target: ClusterStatusTarget, options: BootStatusWaitOptions): Promise<void> {
  const { timeoutMs, write, intervalMs = 5000 } = options;
  const { S3Client } = await s3Sdk();
  const { AutoScalingClient } = await autoScalingSdk();
  const clients = {
    s3: options.s3 ?? new S3Client({ region: target.region }),
    autoScaling: options.autoScaling ?? new AutoScalingClient({ region: target.region }),
  };
  const where = `the Auto Scaling group ${target.group} and its nodes' reports in s3://${target.bucket}/${target.prefix}`;
  const start = Date.now();
  let lastLine = "";
  for (;;) {
    let round: NodesRound;
    try {
      round = await readNodes(target, clients);
    } catch (error) {
      write(`cannot read ${where} (${(error as Error).message}): not checking what the nodes applied\n`);
      return;
    }
    const inService = round.instances.filter((i) => i.state === "InService");
    const current = round.reports.map((report) => (report?.bundleSha256 === target.bundleSha256 ? report : undefined));
    const failedAt = current.findIndex((report) => report?.state === "failed");
    if (failedAt >= 0) {
      const report = current[failedAt]!;
      throw new UserError(
        problemLine(
          "wait",
          "boot",
          `node ${inService[failedAt].id} failed to apply this configuration at ${report.at}: ${report.message}`,
          `its log: aws ssm start-session --target ${inService[failedAt].id}, then /var/log/cloud-init-output.log; the group goes on replacing failing nodes (docs/operations.md, "Moving up to the cluster")`,
        ),
        1,
      );
    }
    const applied = current.filter((report) => report?.state === "applied") as BootStatus[];
    if (inService.length > 0 && applied.length === inService.length) {
      const last = applied.map((report) => report.at).sort()[applied.length - 1];
      write(
        `the ${inService.length} node(s) in service applied this configuration (the last at ${last}): Keycloak ${applied[0].keycloakVersion}, realm ${applied[0].realm}\n`,
      );
      return;
    }
    const { refresh } = round;
    if (refresh && ENDED_REFRESH.has(refresh.status)) {
      throw new UserError(
        problemLine(
          "wait",
          "boot",
          `the instance refresh of ${target.group} ended ${refresh.status}${refresh.reason ? ` (${refresh.reason})` : ""}, with ${inService.length - applied.length} of ${inService.length} node(s) in service on another configuration`,
          `fix the cause and deploy again, or start one: aws autoscaling start-instance-refresh --auto-scaling-group-name ${target.group}`,
        ),
        1,
      );
    }
    const line = `waiting for the nodes to apply this configuration: ${applied.length} of ${inService.length} in service did${
      refresh?.status === "InProgress" ? `; instance refresh ${refresh.percentage ?? 0} % done` : ""
    }`;
    if (line !== lastLine) write(`${line}\n`);
    lastLine = line;
    if (Date.now() - start + intervalMs >= timeoutMs) {
      const behind = inService.filter((_, i) => current[i] === undefined).map((i) => i.id);
      const seconds = Math.round(timeoutMs / 1000);
      throw new UserError(
        problemLine(
          "wait",
          "boot",
          behind.length
            ? `node(s) ${behind.join(", ")} did not report this configuration after ${seconds} s`
            : `no node of ${target.group} in service after ${seconds} s`,
          `an instance refresh replaces the nodes one at a time, several minutes each: run npm run wait -- --timeout 1800, or follow it with aws autoscaling describe-instance-refreshes --auto-scaling-group-name ${target.group}`,
        ),
        1,
      );
    }
    await sleep(intervalMs);
  }
}
