import * as fs from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { s3Sdk, ssmSdk } from "./aws-sdk";
import { checkAwsCredentials } from "./preflight/aws-credentials";
import { PreflightInputs } from "./preflight/inputs";
import { KeycloakEc2Config } from "../config/schema";
import { problemLine, UserError } from "../errors";

/**
 * Logical backups of the running deployment, from the operator's machine: `keycloak-backup.sh` (src/boot/files) does
 * the work on the instance, run through SSM Run Command with the operator's credentials; S3 holds the dumps under the
 * deployment's prefix, which is all the instance role may read. Where the instance and the bucket are comes from the
 * deployment's outputs file. Nothing here parses flags: src/cli/backup.ts does, and passes values in.
 */

/** The script on the instance (the boot installs every file of src/boot/files in this directory). */
export const BACKUP_SCRIPT = "/opt/keycloak-ec2/keycloak-backup.sh";
/** Pause between two GetCommandInvocation calls. */
export const DEFAULT_POLL_MS = 2000;
/** How long SSM may take to deliver the command to the agent (SendCommand's TimeoutSeconds). */
export const DELIVERY_TIMEOUT_SECONDS = 300;
/** How long the script may run on the instance (AWS-RunShellScript's executionTimeout). */
export const EXECUTION_TIMEOUT_SECONDS = 3600;
/** One PutObject carries at most 5 GiB. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;
/** The lines of the script's error output shown when it fails. */
const ERROR_TAIL_LINES = 10;
/** How long GetCommandInvocation may say the invocation does not exist yet, right after SendCommand. */
const INVOCATION_APPEAR_MS = 30_000;
/** A progress line at least this often while the status stays the same. */
const HEARTBEAT_MS = 30_000;

/** Where a deployment's logical backups are, and the instance that takes them: its outputs. */
export interface BackupTarget {
  /** The deployment's name (config `name`): what a restore asks to type. */
  readonly name: string;
  readonly instanceId: string;
  readonly region: string;
  readonly bucket: string;
  /** Key prefix of the backups, without a trailing slash. */
  readonly prefix: string;
}

/** The pieces of a restore SOURCE, once checked. */
export type RestoreSource =
  /** A pg_dump file on this machine, uploaded first. */
  | { readonly kind: "file"; readonly file: string; readonly size: number }
  /** An S3 object: used where it is if under the deployment's prefix, copied there first otherwise. */
  | { readonly kind: "s3"; readonly bucket: string; readonly key: string }
  /** A backup's name under the deployment's prefix. */
  | { readonly kind: "name"; readonly name: string };

/** One logical backup in the bucket. */
export interface BackupObject {
  /** Its key below the prefix: what `restore --from` takes. */
  readonly name: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** A backup's name, a path segment under the prefix: what keycloak-backup.sh itself accepts as a name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** An S3 key (or prefix) as this tool accepts it: segments of letters, digits and `._=+-`; nothing a shell reads. */
const KEY = /^[A-Za-z0-9._=+-]+(?:\/[A-Za-z0-9._=+-]+)*$/;
/** An S3 bucket name (the general-purpose rules, dots allowed). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

const isKey = (key: string) => KEY.test(key) && !key.split("/").some((part) => part === "." || part === "..");

/**
 * Why the profile has no logical backup, or undefined for production. `command` names the refusing command.
 */
export function logicalBackupRefusal(config: KeycloakEc2Config, command: string): UserError | undefined {
  if (config.profile === "production") return undefined;
  const [problem, fix] = {
    dev: [
      '"dev" has no logical backup: Keycloak keeps its data in H2 on the data volume, which the daily EBS snapshots cover',
      "restore the data volume from a snapshot, docs/operations.md; the production profile has npm run backup and npm run restore",
    ],
    article: [
      '"article" has no logical backup: the guide\'s stack runs no Keycloak and has no backup bucket',
      "the production profile has npm run backup and npm run restore",
    ],
    cluster: [
      '"cluster" keeps its database on RDS, whose automated backups and snapshots cover it',
      "use aws rds create-db-snapshot, or restore to a point in time (RDS console or aws rds restore-db-instance-to-point-in-time)",
    ],
  }[config.profile];
  return new UserError(problemLine(command, "profile", problem, fix));
}

/** One output of the outputs file, checked against `pattern`. */
function output(outputs: Readonly<Record<string, unknown>>, file: string, key: string, pattern: RegExp): string {
  const value = outputs[key];
  if (typeof value !== "string" || value === "") {
    throw new UserError(
      problemLine(
        "output",
        key,
        `not in ${file}`,
        "run npm run output to refresh the file from the Terraform state; if it still lacks it, run npm run deploy, which adds the backup bucket",
      ),
    );
  }
  if (!pattern.test(value) || (key === "backup_prefix" && !isKey(value))) {
    throw new UserError(
      problemLine(
        "output",
        key,
        `"${value}" in ${file} is not what the stack outputs`,
        "run npm run output to refresh the file from the Terraform state",
      ),
    );
  }
  return value;
}

/** The deployment's instance, region, bucket and prefix, from its outputs (as readOutputs gives them). */
export function backupTarget(outputs: Readonly<Record<string, unknown>>, file: string, name: string): BackupTarget {
  return {
    name,
    instanceId: output(outputs, file, "instance_id", INSTANCE_ID),
    region: output(outputs, file, "region", REGION),
    bucket: output(outputs, file, "backup_bucket", BUCKET),
    prefix: output(outputs, file, "backup_prefix", KEY),
  };
}

/**
 * Whether this machine has AWS credentials for the SDK's default chain, in the doctor's words, reworded as
 * `<command> error: AWS credentials: ...`; undefined if it has. Unlike the doctor, an HCP Terraform backend does not
 * excuse their absence: the calls are made from here.
 */
export function credentialsProblem(
  config: KeycloakEc2Config,
  inputs: PreflightInputs,
  command: string,
): string | undefined {
  const finding = checkAwsCredentials({ ...config, backend: { type: "local" } }, inputs);
  return "problem" in finding ? finding.problem.replace(/^doctor error:/, `${command} error:`) : undefined;
}

/** `s3://bucket/key`. */
export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/**
 * Checks a restore SOURCE strictly, before anything is sent: an `s3://bucket/key` URI; a path to a local file (it
 * has a `/`, so `./x.dump` for one in `cwd`); or else a backup's name under the deployment's prefix. Keys and names
 * take letters, digits and `._=+-` only, so nothing that a shell reads ever reaches the instance.
 */
export function parseRestoreSource(text: string, cwd: string): RestoreSource {
  const refuse = (problem: string, fix: string) => new UserError(problemLine("restore", "--from", problem, fix));
  if (text.startsWith("s3://")) {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(text);
    if (!match || !BUCKET.test(match[1]) || !isKey(match[2]) || match[2].endsWith("/")) {
      throw refuse(
        `"${text}" is not an S3 object URI this tool accepts`,
        "write s3://BUCKET/KEY, the key made of letters, digits, '.', '_', '=', '+', '-' and '/'; copy an object with other characters to such a key first",
      );
    }
    return { kind: "s3", bucket: match[1], key: match[2] };
  }
  if (text.includes("/")) {
    const file = path.resolve(cwd, text);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw refuse(`no file ${file}`, "give the path of a pg_dump custom-format file, or a backup's name");
    }
    if (!stat.isFile() || stat.size === 0)
      throw refuse(`${file} is not a non-empty file`, "give the path of a pg_dump custom-format file");
    if (stat.size > MAX_UPLOAD_BYTES) {
      throw refuse(
        `${file} is larger than 5 GiB, the most one upload carries`,
        "copy it into the bucket with aws s3 cp, then restore it by its s3:// URI",
      );
    }
    return { kind: "file", file, size: stat.size };
  }
  if (!NAME.test(text) || text === "." || text === "..") {
    throw refuse(
      `"${text}" is not a backup name, an s3:// URI or a file path`,
      "give a name that npm run backup -- --list shows (letters, digits, '.', '_', '-'), s3://BUCKET/KEY, or a path such as ./keycloak.dump",
    );
  }
  return { kind: "name", name: text };
}

/** A UTC time as keycloak-backup.sh names its dumps: 20250131T235959Z. */
export function compactTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** The key a local file or a foreign object is copied to: `<prefix>/restore-<time>-<basename>`. */
export function stagingKey(target: BackupTarget, source: string, now: Date): string {
  const base = path.posix
    .basename(source.replace(/\\/g, "/"))
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^[._-]+/, "");
  return `${target.prefix}/restore-${compactTime(now)}-${base || "backup.dump"}`;
}

/** The shell command SSM runs: the arguments were checked against KEY/NAME, and are single-quoted besides. */
export function scriptCommand(args: readonly string[]): string {
  for (const arg of args) {
    if (!/^[A-Za-z0-9._=+:/-]+$/.test(arg)) throw new Error(`unsafe argument for ${BACKUP_SCRIPT}: ${arg}`);
  }
  // A plain word (the subcommand, the label) as it is; anything else (a URI) single-quoted.
  return [BACKUP_SCRIPT, ...args.map((arg) => (/^[a-z]+$/.test(arg) ? arg : `'${arg}'`))].join(" ");
}

/** Whether an error came from AWS or from reaching it (as opposed to a bug): it is then reported in one line. */
function isAwsError(error: unknown): error is Error & { $metadata?: { httpStatusCode?: number }; code?: string } {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { $metadata?: unknown; code?: unknown };
  return (
    e.$metadata !== undefined ||
    e.name === "CredentialsProviderError" ||
    e.name === "TokenProviderError" ||
    e.name === "TimeoutError" ||
    (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code))
  );
}

/** What an action must be allowed on, where the IAM policy names a resource. */
const ACCESS_SCOPE: Readonly<Record<string, (target: BackupTarget) => string>> = {
  "ssm:SendCommand": (t) => ` on instance ${t.instanceId} and document AWS-RunShellScript`,
  "ssm:GetCommandInvocation": () => " (its resource is *)",
  "s3:ListBucket": (t) => ` on bucket ${t.bucket} (prefix ${t.prefix}/)`,
  "s3:PutObject": (t) => ` on s3://${t.bucket}/${t.prefix}/*`,
};

/**
 * One line for an AWS error: its code, what it means here and what to do. `action` is the IAM action of the call
 * (`ssm:SendCommand`); `command` the command that made it.
 */
export function awsProblem(error: unknown, command: string, action: string, target: BackupTarget): UserError {
  if (!isAwsError(error)) throw error;
  const code = error.name === "Error" && error.code ? error.code : error.name;
  const status = error.$metadata?.httpStatusCode;
  const message = (error.message || "").split("\n")[0];
  const line = (problem: string, fix: string, exitCode = 2) =>
    new UserError(problemLine(command, action, `${code}: ${problem}`, fix), exitCode);
  switch (code) {
    case "AccessDenied":
    case "AccessDeniedException":
      return line(
        "your AWS identity may not do this",
        `allow ${action}${ACCESS_SCOPE[action]?.(target) ?? ""} to the identity aws sts get-caller-identity shows`,
      );
    case "InvalidInstanceId":
      return line(
        `instance ${target.instanceId} is not online in Session Manager`,
        "a first boot takes a few minutes: check aws ssm describe-instance-information; if the instance was replaced, npm run output refreshes its id",
      );
    case "CredentialsProviderError":
    case "TokenProviderError":
      return line(message || "no usable AWS credentials", "run aws sso login, or set AWS_PROFILE or the AWS_* keys");
    case "ExpiredToken":
    case "ExpiredTokenException":
    case "InvalidClientTokenId":
    case "UnrecognizedClientException":
    case "SignatureDoesNotMatch":
    case "InvalidAccessKeyId":
      return line("AWS refused the credentials", "refresh them (aws sso login, or new keys) and run it again");
    case "NoSuchBucket":
      return line(
        `bucket ${target.bucket} does not exist`,
        "run npm run output to refresh the outputs; npm run deploy creates the bucket",
      );
    case "NoSuchKey":
    case "NotFound":
      return line("no such object", "check the name; npm run backup -- --list shows the deployment's backups");
    default:
      if (status === 403) return line(message || "forbidden", `allow ${action} to your AWS identity`);
      return line(
        message || "failed",
        status === undefined || status >= 500 ? "run it again in a moment" : "see the AWS documentation of this call",
        status === undefined || status >= 500 ? 1 : 2,
      );
  }
}

export interface RunOptions {
  /** Progress lines (a newline each). */
  readonly write: (text: string) => void;
  /** @default DEFAULT_POLL_MS */
  readonly pollMs?: number;
  /** The command's name in messages. */
  readonly command: string;
  /** The SSM client. @default - one for the target's region, from the SDK's default chain */
  readonly ssm?: SSMClient;
}

/** What a script run on the instance ended with. */
export interface ScriptResult {
  readonly commandId: string;
  readonly stdout: string;
  readonly stderr: string;
}

const lastLines = (text: string, count: number) => text.trimEnd().split("\n").filter(Boolean).slice(-count);

/** Statuses after which the invocation changes no more. */
const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut"]);

/**
 * Runs `keycloak-backup.sh ARGS...` on the instance (SSM SendCommand, AWS-RunShellScript) and polls
 * GetCommandInvocation until it ends, printing a line per change of status. Anything but Success is a UserError with
 * exit code 1 whose lines show the script's last error lines and how to read the whole output.
 */
export async function runScript(
  target: BackupTarget,
  args: readonly string[],
  options: RunOptions,
): Promise<ScriptResult> {
  const { write, command, pollMs = DEFAULT_POLL_MS } = options;
  const { GetCommandInvocationCommand, SendCommandCommand, SSMClient } = await ssmSdk();
  const ssm = options.ssm ?? new SSMClient({ region: target.region });
  const commandLine = scriptCommand(args);
  const shown = `keycloak-backup.sh ${args.join(" ")}`;
  let commandId: string;
  try {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [target.instanceId],
        Parameters: { commands: [commandLine], executionTimeout: [String(EXECUTION_TIMEOUT_SECONDS)] },
        Comment: `keycloak-ec2 ${command} (npm run ${command})`,
        TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
      }),
    );
    commandId = sent.Command?.CommandId ?? "";
  } catch (error) {
    throw awsProblem(error, command, "ssm:SendCommand", target);
  }
  if (!commandId) throw new Error("SendCommand answered without a CommandId");
  const fullOutput = `aws ssm get-command-invocation --region ${target.region} --command-id ${commandId} --instance-id ${target.instanceId}`;
  write(`${command}: running ${shown} on ${target.instanceId} (SSM command ${commandId})\n`);

  const start = Date.now();
  const deadline = start + (DELIVERY_TIMEOUT_SECONDS + EXECUTION_TIMEOUT_SECONDS + 60) * 1000;
  let lastState: string | undefined;
  let lastPrinted = start;
  for (;;) {
    await sleep(pollMs);
    const elapsed = Date.now() - start;
    let invocation;
    try {
      invocation = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: target.instanceId }),
      );
    } catch (error) {
      // SSM takes a moment to record the invocation of a command it has just accepted.
      if ((error as Error).name === "InvocationDoesNotExist" && elapsed < INVOCATION_APPEAR_MS) continue;
      throw awsProblem(error, command, "ssm:GetCommandInvocation", target);
    }
    const status = invocation.Status ?? "Pending";
    const details =
      invocation.StatusDetails && invocation.StatusDetails !== status ? ` (${invocation.StatusDetails})` : "";
    const state = `${status}${details}`;
    if (state !== lastState || Date.now() - lastPrinted >= HEARTBEAT_MS) {
      write(`${command}: ${Math.round(elapsed / 1000)} s, ${state}\n`);
      lastState = state;
      lastPrinted = Date.now();
    }
    if (!TERMINAL.has(status)) {
      if (Date.now() >= deadline) {
        throw new UserError(
          problemLine(
            command,
            `SSM command ${commandId}`,
            `still ${state} after ${Math.round(elapsed / 1000)} s`,
            `see ${fullOutput}`,
          ),
          1,
        );
      }
      continue;
    }
    const stdout = invocation.StandardOutputContent ?? "";
    const stderr = invocation.StandardErrorContent ?? "";
    if (status === "Success") return { commandId, stdout, stderr };
    const exit =
      invocation.ResponseCode !== undefined && invocation.ResponseCode >= 0
        ? `, exit code ${invocation.ResponseCode}`
        : "";
    const tail = lastLines(stderr, ERROR_TAIL_LINES);
    const shownTail = tail.length ? tail : lastLines(stdout, ERROR_TAIL_LINES);
    throw new UserError(
      [
        problemLine(
          command,
          `SSM command ${commandId}`,
          `${shown} on ${target.instanceId} ended ${state}${exit}${shownTail.length ? "; its last lines follow" : ", printing nothing"}`,
          `the whole output: ${fullOutput}`,
        ),
        ...shownTail.map((text) => `  ${text}`),
      ],
      1,
    );
  }
}

/** Takes a logical backup now (`keycloak-backup.sh backup manual`); returns the S3 URI the script printed last. */
export async function backupNow(target: BackupTarget, options: RunOptions): Promise<string> {
  const result = await runScript(target, ["backup", "manual"], options);
  const uri = lastLines(result.stdout, 1)[0];
  if (!uri) {
    throw new UserError(
      problemLine(
        options.command,
        `SSM command ${result.commandId}`,
        "the backup script succeeded but printed no location",
        `see aws ssm get-command-invocation --region ${target.region} --command-id ${result.commandId} --instance-id ${target.instanceId}`,
      ),
      1,
    );
  }
  return uri;
}

export interface StageOptions {
  readonly write: (text: string) => void;
  readonly command: string;
  /** @default - now */
  readonly now?: Date;
  /** @default - one for the target's region, from the SDK's default chain */
  readonly s3?: S3Client;
}

/**
 * The S3 URI under the deployment's prefix that holds `source`, for the instance role to read. A name or an object
 * already there is used as it is; a local file is uploaded, and any other object copied (server-side, with the
 * operator's credentials), to `<prefix>/restore-<time>-<basename>`.
 */
export async function stageRestoreSource(
  source: RestoreSource,
  target: BackupTarget,
  options: StageOptions,
): Promise<string> {
  const { write, command, now = new Date() } = options;
  if (source.kind === "name") return s3Uri(target.bucket, `${target.prefix}/${source.name}`);
  if (source.kind === "s3" && source.bucket === target.bucket && source.key.startsWith(`${target.prefix}/`))
    return s3Uri(source.bucket, source.key);
  const { CopyObjectCommand, PutObjectCommand, S3Client } = await s3Sdk();
  const s3 = options.s3 ?? new S3Client({ region: target.region });
  if (source.kind === "file") {
    const key = stagingKey(target, source.file, now);
    write(`${command}: uploading ${source.file} (${formatSize(source.size)}) to ${s3Uri(target.bucket, key)}\n`);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: key,
          Body: fs.createReadStream(source.file),
          ContentLength: source.size,
        }),
      );
    } catch (error) {
      throw awsProblem(error, command, "s3:PutObject", target);
    }
    return s3Uri(target.bucket, key);
  }
  const key = stagingKey(target, source.key, now);
  const from = s3Uri(source.bucket, source.key);
  write(`${command}: copying ${from} to ${s3Uri(target.bucket, key)}, where the instance can read it\n`);
  try {
    await s3.send(
      new CopyObjectCommand({
        Bucket: target.bucket,
        Key: key,
        CopySource: `${source.bucket}/${source.key.split("/").map(encodeURIComponent).join("/")}`,
      }),
    );
  } catch (error) {
    throw awsProblem(
      error,
      command,
      `s3:GetObject on ${from} and s3:PutObject on ${s3Uri(target.bucket, `${target.prefix}/*`)}`,
      target,
    );
  }
  return s3Uri(target.bucket, key);
}

/**
 * Restores the backup at `uri` (under the deployment's prefix) into the running deployment: `keycloak-backup.sh
 * restore <uri>`, which replaces database keycloak and restarts Keycloak. Returns the script's last log line.
 */
export async function restoreFrom(uri: string, target: BackupTarget, options: RunOptions): Promise<string> {
  if (!uri.startsWith(s3Uri(target.bucket, `${target.prefix}/`)) || !isKey(uri.slice(`s3://${target.bucket}/`.length)))
    throw new Error(`not a backup under the deployment's prefix: ${uri}`);
  const result = await runScript(target, ["restore", uri], options);
  return lastLines(result.stderr, 1)[0] ?? "";
}

/** The backups under the deployment's prefix (every page of ListObjectsV2), oldest first. */
export async function listBackups(target: BackupTarget, command: string, s3?: S3Client): Promise<BackupObject[]> {
  const { ListObjectsV2Command, S3Client } = await s3Sdk();
  const client = s3 ?? new S3Client({ region: target.region });
  const prefix = `${target.prefix}/`;
  const found: BackupObject[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, ContinuationToken: token }),
      );
    } catch (error) {
      throw awsProblem(error, command, "s3:ListBucket", target);
    }
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key === prefix) continue;
      found.push({
        name: object.Key.slice(prefix.length),
        size: object.Size ?? 0,
        lastModified: object.LastModified ?? new Date(0),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || a.name.localeCompare(b.name));
}

/** `1.5 MiB`. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** One line per backup, `name  size  date`, aligned, in the order given. */
export function formatBackups(backups: readonly BackupObject[]): string[] {
  const rows = backups.map((b) => [b.name, formatSize(b.size), b.lastModified.toISOString().replace(/\.\d+Z$/, "Z")]);
  const nameWidth = Math.max(0, ...rows.map((r) => r[0].length));
  const sizeWidth = Math.max(0, ...rows.map((r) => r[1].length));
  return rows.map(([name, size, date]) => `${name.padEnd(nameWidth)}  ${size.padStart(sizeWidth)}  ${date}`);
}
