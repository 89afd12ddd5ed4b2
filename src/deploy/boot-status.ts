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

export interface BootStatusWaitOptions {
  readonly timeoutMs: number;
  readonly write: (text: string) => void;
  /** @default 5000 */
  readonly intervalMs?: number;
  readonly s3?: S3Client;
  readonly autoScaling?: AutoScalingClient;
}

/** What one look at the reports found: done (the lines that say so), failed, or still waiting (a progress line). */
type Verdict =
  | { readonly kind: "done"; readonly lines: readonly string[] }
  | { readonly kind: "failed"; readonly error: UserError }
  | { readonly kind: "waiting"; readonly line: string };

/** The verdict of a boot that failed: the wait's error, exit code 1. */
const failedWith = (problem: string, fix: string): Verdict => ({
  kind: "failed",
  error: new UserError(problemLine("wait", "boot", problem, fix), 1),
});

/** How a target's reports are read and judged; the polling around it is `pollReports`'. */
interface ReportCheck {
  /** What is read, for "cannot read ...". */
  readonly where: string;
  /** Whose reports, for "not checking what ... applied". */
  readonly who: string;
  /** Added to a read error that is an access denial: the permissions the check needs. */
  readonly permissions?: string;
  look(): Promise<Verdict>;
  /** The error when the time is up, from the last progress line. */
  timedOut(seconds: number, lastLine: string): UserError;
}

/** The clients of a check: the given ones, else the SDK's default chain in the target's region. */
async function clientsFor(target: BootStatusTarget, options: Pick<BootStatusWaitOptions, "s3" | "autoScaling">) {
  const { S3Client } = await s3Sdk();
  const { AutoScalingClient } = await autoScalingSdk();
  return {
    s3: options.s3 ?? new S3Client({ region: target.region }),
    autoScaling: options.autoScaling ?? new AutoScalingClient({ region: target.region }),
  };
}

/** The single instance's check: its one report names the delivered bundle, applied or failed. */
function instanceCheck(target: InstanceStatusTarget, s3: S3Client): ReportCheck {
  const uri = `s3://${target.bucket}/${target.key}`;
  return {
    where: `the boot's report at ${uri}`,
    who: "the instance",
    async look() {
      const status = await readReport(s3, target.bucket, target.key);
      if (status?.bundleSha256 !== target.bundleSha256) {
        const line = status
          ? `waiting for the instance to apply this configuration (it last ${status.state} another one, at ${status.at})`
          : "waiting for the instance's first report";
        return { kind: "waiting", line };
      }
      if (status.state === "applied") {
        return {
          kind: "done",
          lines: [
            `the instance applied this configuration at ${status.at}: Keycloak ${status.keycloakVersion}, realm ${status.realm}`,
            ...(status.certificate ? [`its certificate from the ACME CA: ${status.certificate}`] : []),
          ],
        };
      }
      return failedWith(
        `the instance failed to apply this configuration at ${status.at}: ${status.message}`,
        'its whole log is in the association\'s output under ssm/ in the bucket, or journalctl on the instance (docs/operations.md, "Seeing what an apply did")',
      );
    },
    timedOut: (seconds) =>
      new UserError(
        problemLine(
          "wait",
          "boot",
          `no report of this configuration at ${uri} after ${seconds} s`,
          'Systems Manager may still be running the boot: run npm run wait again, or see the association\'s runs (docs/operations.md, "Seeing what an apply did")',
        ),
        1,
      ),
  };
}

/** The check of a target: one instance, or a cluster's nodes. `since`: the wait's start. */
async function checkFor(
  target: BootStatusTarget,
  options: Pick<BootStatusWaitOptions, "s3" | "autoScaling">,
  since: number,
): Promise<ReportCheck> {
  const clients = await clientsFor(target, options);
  return target.kind === "cluster" ? nodesCheck(target, clients, since) : instanceCheck(target, clients.s3);
}

/**
 * Polls the report (a cluster: every node's) until it names the delivered bundle: applied, it says what runs; failed,
 * a UserError with the boot's reason (exit 1). Out of time, a UserError too. When the first look cannot read the
 * reports at all (no credentials here, access denied), it says so and returns: the check is an addition to the wait,
 * not a condition of it; a later error is retried until the timeout.
 */
export async function waitForBootStatus(target: BootStatusTarget, options: BootStatusWaitOptions): Promise<void> {
  const { timeoutMs, write, intervalMs = 5000 } = options;
  const start = Date.now();
  const check = await checkFor(target, options, start);
  let lastLine = "";
  let checked = false;
  const say = (line: string) => {
    if (line !== lastLine) write(`${line}\n`);
    lastLine = line;
  };
  for (;;) {
    let verdict: Verdict | undefined;
    try {
      verdict = await check.look();
    } catch (error) {
      const denied =
        check.permissions && (error as { name?: string }).name === "AccessDenied" ? `; ${check.permissions}` : "";
      const problem = `cannot read ${check.where} (${(error as Error).message}${denied})`;
      if (!checked) {
        write(`${problem}: not checking what ${check.who} applied\n`);
        return;
      }
      say(`${problem}, retrying`);
    }
    if (verdict) {
      checked = true;
      if (verdict.kind === "failed") throw verdict.error;
      if (verdict.kind === "done") {
        for (const line of verdict.lines) write(`${line}\n`);
        return;
      }
      say(verdict.line);
    }
    if (Date.now() - start + intervalMs >= timeoutMs) throw check.timedOut(Math.round(timeoutMs / 1000), lastLine);
    await sleep(intervalMs);
  }
}

/**
 * The boot's failure, when a look at the reports finds one for the delivered bundle; else undefined (none yet, or
 * the reports cannot be read). For a wait whose Keycloak never answered: the boot may say why.
 */
export async function bootFailure(
  target: BootStatusTarget,
  options: Pick<BootStatusWaitOptions, "s3" | "autoScaling"> = {},
): Promise<UserError | undefined> {
  try {
    const verdict = await (await checkFor(target, options, Date.now())).look();
    return verdict.kind === "failed" ? verdict.error : undefined;
  } catch {
    return undefined;
  }
}

/** An instance of the group, as Auto Scaling lists it. */
interface GroupInstance {
  readonly id: string;
  /** `InService`, `Pending`, `Terminating`, ... */
  readonly state: string;
  /** The launch template version it was launched from. */
  readonly version?: string;
}

/** What a round of the cluster's check found. */
interface NodesRound {
  /** The launch template version the group launches now (an explicit number: ClusterHosts sets latest_version). */
  readonly version?: string;
  /** The group's instances in service or launching (Pending, and Pending:Wait while the boot runs under the launch
   * hook), each with its report (undefined while it has none). */
  readonly nodes: readonly { readonly instance: GroupInstance; readonly report?: BootStatus }[];
  /** The group's latest instance refresh, or undefined when it has had none (in the last six weeks). */
  readonly refresh?: { readonly status: string; readonly percentage?: number; readonly reason?: string };
  /** Reports of nodes leaving the group (Terminating, ...), and those written during the wait by nodes no longer in
   * its list: one whose launch was abandoned is terminated within seconds of its report. */
  readonly gone: readonly { readonly instance: GroupInstance; readonly report?: BootStatus }[];
  /** The group's desired capacity: the nodes in service the wait expects. */
  readonly desired?: number;
}

/** Refresh states in which Auto Scaling is still replacing or watching nodes (DescribeInstanceRefreshes' Status). */
const RUNNING_REFRESH = new Set(["Pending", "InProgress", "Cancelling", "Baking", "RollbackInProgress"]);
/** Pending, Pending:Wait (the launch hook), Pending:Proceed. */
const isLaunching = (state: string) => state.startsWith("Pending");

/** The ids of the nodes that wrote a report under the prefix since `since`. */
async function reportedSince(s3: S3Client, target: ClusterStatusTarget, since: Date): Promise<string[]> {
  const { ListObjectsV2Command } = await s3Sdk();
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: target.bucket, Prefix: target.prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const id = /^(i-[0-9a-f]+)\.json$/.exec((object.Key ?? "").slice(target.prefix.length))?.[1];
      if (id && object.LastModified && object.LastModified >= since) ids.push(id);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return ids;
}

async function readNodes(
  target: ClusterStatusTarget,
  clients: { s3: S3Client; autoScaling: AutoScalingClient },
  since: Date,
): Promise<NodesRound> {
  const { DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand } = await autoScalingSdk();
  const [groups, refreshes] = await Promise.all([
    clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.group] })),
    // The newest first ("sorted by creation timestamp in descending order", DescribeInstanceRefreshes).
    clients.autoScaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: target.group, MaxRecords: 1 }),
    ),
  ]);
  const group = groups.AutoScalingGroups?.[0];
  if (!group) throw new Error(`no Auto Scaling group ${target.group}`);
  const instances = (group.Instances ?? [])
    .map((i) => ({ id: i.InstanceId ?? "", state: i.LifecycleState ?? "", version: i.LaunchTemplate?.Version }))
    .filter((i) => i.state === "InService" || isLaunching(i.state))
    .sort((a, b) => a.id.localeCompare(b.id));
  const listed = new Set((group.Instances ?? []).map((i) => i.InstanceId));
  const leaving = (group.Instances ?? [])
    .filter((i) => i.LifecycleState !== "InService" && !isLaunching(i.LifecycleState ?? ""))
    .map((i) => i.InstanceId ?? "");
  const goneIds = [...leaving, ...(await reportedSince(clients.s3, target, since)).filter((id) => !listed.has(id))];
  const read = (id: string) => readReport(clients.s3, target.bucket, `${target.prefix}${id}.json`);
  const [reports, goneReports] = await Promise.all([
    Promise.all(instances.map((i) => read(i.id))),
    Promise.all(goneIds.map(read)),
  ]);
  const latest = refreshes.InstanceRefreshes?.[0];
  return {
    version: group.LaunchTemplate?.Version,
    desired: group.DesiredCapacity,
    nodes: instances.map((instance, i) => ({ instance, report: reports[i] })),
    gone: goneIds.map((id, i) => ({ instance: { id, state: "Terminated" }, report: goneReports[i] })),
    refresh: latest && {
      status: latest.Status ?? "",
      percentage: latest.PercentageComplete,
      reason: latest.StatusReason,
    },
  };
}

/** Where a round stands. In service: done (on the group's launch template version, this bundle applied), left behind
 * (an older version, or another bundle reported) or booting (no report yet); launching: still under the launch hook.
 * Failed: any node reporting it could not apply this bundle. */
function judgeNodes(target: ClusterStatusTarget, round: NodesRound) {
  const current = (report?: BootStatus) => report?.bundleSha256 === target.bundleSha256;
  // A group without a launch template version (a mixed instances policy, which ClusterHosts never makes) is not
  // compared on it.
  const onVersion = (instance: GroupInstance) => round.version === undefined || instance.version === round.version;
  const inService = round.nodes.filter(({ instance }) => !isLaunching(instance.state));
  const behind = inService.filter(
    ({ instance, report }) => !onVersion(instance) || (report !== undefined && !current(report)),
  );
  const done = inService.filter(
    ({ instance, report }) => onVersion(instance) && current(report) && report!.state === "applied",
  );
  return {
    inService,
    done,
    behind,
    booting: inService.filter((node) => !behind.includes(node) && !done.includes(node)),
    launching: round.nodes.filter(({ instance }) => isLaunching(instance.state)),
    failed: [...round.nodes, ...round.gone].find(({ report }) => current(report) && report!.state === "failed"),
  };
}

/** What the cluster's check needs of the operator's identity (docs/operations.md, the permissions table). */
const NODE_CHECK_PERMISSIONS = (target: ClusterStatusTarget) =>
  `the check needs s3:GetObject on ${target.prefix}* and s3:ListBucket on the bucket (without it S3 answers a report not yet written so), autoscaling:DescribeAutoScalingGroups and DescribeInstanceRefreshes`;

/**
 * The cluster's check: every node in service of the group is on the group's launch template version and reports the
 * delivered bundle applied, as many as the group wants, none is still launching, and no instance refresh is running
 * (a new AMI or instance type replaces the nodes without changing the bundle). A node that failed to apply the bundle
 * fails the wait, naming it (the launch hook keeps such a node out of service, and the group replaces it); so does an
 * instance refresh that ended leaving nodes on an older version.
 */
function nodesCheck(
  target: ClusterStatusTarget,
  clients: { s3: S3Client; autoScaling: AutoScalingClient },
  since: number,
): ReportCheck {
  const progress = "waiting for the nodes to apply this configuration: ";
  return {
    where: `the Auto Scaling group ${target.group} and its nodes' reports in s3://${target.bucket}/${target.prefix}`,
    who: "the nodes",
    permissions: NODE_CHECK_PERMISSIONS(target),
    async look() {
      // Reports from a minute before the wait began on: a node abandoned just before is named too (S3's clock and
      // this machine's may differ a little).
      const round = await readNodes(target, clients, new Date(since - 60_000));
      const { inService, done, behind, booting, launching, failed } = judgeNodes(target, round);
      const { refresh } = round;
      const refreshing = refresh !== undefined && RUNNING_REFRESH.has(refresh.status);
      if (failed) {
        const id = failed.instance.id;
        return failedWith(
          `node ${id} failed to apply this configuration at ${failed.report!.at}: ${failed.report!.message}`,
          `the group terminates it without putting it in service (its launch is abandoned), the nodes in service serve on, and a refresh tries the same configuration on a new node: the end of its boot's log is in s3://${target.bucket}/${target.prefix}${id}.log; fix the configuration and deploy again (cancelling the refresh, aws autoscaling cancel-instance-refresh --auto-scaling-group-name ${target.group}, stops the retries but leaves the group launching this configuration)`,
        );
      }
      // As many in service as the group wants: a node abandoned before the wait saw its report is replaced first.
      const enough = inService.length > 0 && inService.length >= (round.desired ?? 1);
      if (enough && done.length === inService.length && launching.length === 0 && !refreshing) {
        const last = done.map(({ report }) => report!.at).sort()[done.length - 1];
        const { keycloakVersion, realm } = done[0].report!;
        return {
          kind: "done",
          lines: [
            `the ${done.length} node(s) in service applied this configuration (the last at ${last}): Keycloak ${keycloakVersion}, realm ${realm}`,
          ],
        };
      }
      if (behind.length > 0 && refresh !== undefined && !refreshing) {
        return failedWith(
          `the last instance refresh of ${target.group} ended ${refresh.status}${refresh.reason ? ` (${refresh.reason})` : ""}, leaving ${behind.map(({ instance }) => instance.id).join(", ")} on an older configuration`,
          `${refresh.status === "Successful" ? "a refresh skips instances on standby or protected from scale-in; " : ""}fix the cause and deploy again, or start one: aws autoscaling start-instance-refresh --auto-scaling-group-name ${target.group}`,
        );
      }
      const parts = [
        `${done.length} of ${inService.length} in service did`,
        ...(booting.length ? [`${booting.length} booting`] : []),
        ...(behind.length ? [`${behind.length} on an older configuration`] : []),
        ...(launching.length ? [`${launching.length} launching`] : []),
        ...(refreshing ? [`instance refresh ${refresh.status} ${refresh.percentage ?? 0} %`] : []),
      ];
      return { kind: "waiting", line: `${progress}${parts.join(", ")}` };
    },
    timedOut: (seconds, lastLine) =>
      new UserError(
        problemLine(
          "wait",
          "boot",
          `the nodes of ${target.group} did not all apply this configuration within ${seconds} s (last: ${lastLine.startsWith(progress) ? lastLine.slice(progress.length) : lastLine})`,
          `a refresh replaces one node at a time, about ten minutes each: run npm run wait again (it picks up where the refresh is), with --timeout SECONDS for a larger group (deploy takes it too); follow it with aws autoscaling describe-instance-refreshes --auto-scaling-group-name ${target.group}`,
        ),
        1,
      ),
  };
}
