import * as readline from "node:readline/promises";
import { parseFlags } from "./args";
import { projectRoot } from "./cdktf";
import { commandConfig, CONFIG_FLAG_HELP, CONFIG_USAGE } from "./config";
import { CommandIO, runMain } from "./edge";
import { CommandHelp, flagSpecOf, helpOrVersion } from "./help";
import {
  backupNow,
  BackupTarget,
  backupTarget,
  credentialsProblem,
  formatBackups,
  listBackups,
  logicalBackupRefusal,
  parseRestoreSource,
  restoreFrom,
  s3Uri,
  stageRestoreSource,
} from "../deploy/backup";
import { whyNoAnswer } from "../deploy/lifecycle";
import { outputsFilePath, readOutputs } from "../deploy/outputs";
import { systemInputs } from "../deploy/preflight/system";
import { KeycloakEc2Config } from "../config/schema";
import { problemLine, UserError } from "../errors";

export const BACKUP_HELP: CommandHelp = {
  usage: [`npm run backup -- ${CONFIG_USAGE}`, `npm run backup -- --list ${CONFIG_USAGE}`],
  description:
    "Takes a logical backup of the production deployment's database now: runs keycloak-backup.sh backup manual on " +
    "the instance through SSM Run Command (pg_dump, then a copy to the deployment's backup bucket), prints its " +
    "progress on stderr and, when done, the backup's S3 URI on stdout. --list lists the backups in the bucket " +
    "instead, oldest first, with their size and date. The instance, region and bucket come from <name>.outputs.json " +
    "(npm run output); the AWS credentials from the SDK's default chain (environment, AWS_PROFILE, SSO, role). " +
    "The dev profile keeps its data on the data volume, which the EBS snapshots cover: it has no logical backup.",
  flags: [
    { name: "list", text: "list the backups in the bucket, oldest first, instead of taking one" },
    ...CONFIG_FLAG_HELP,
  ],
  example: "npm run backup -- --config keycloak.prod.json",
};

export const RESTORE_HELP: CommandHelp = {
  usage: [`npm run restore -- --from SOURCE [--yes] ${CONFIG_USAGE}`],
  description:
    "Replaces the production deployment's database with a logical backup: runs keycloak-backup.sh restore on the " +
    "instance through SSM Run Command, which restores the dump into a new database while Keycloak runs, then stops " +
    "Keycloak, swaps the databases (the replaced one is kept as keycloak_previous) and starts Keycloak again. SOURCE " +
    "is a backup's name (npm run backup -- --list), an s3:// URI, or a path to a local pg_dump file (with a '/': " +
    "./keycloak.dump). A local file, or an object outside the deployment's prefix (another deployment's backup), is " +
    "first copied with your credentials to <prefix>/restore-<time>-<name> in the deployment's bucket, the only place " +
    "the instance may read. Asks you to type the deployment's name unless --yes is given.",
  flags: [
    { name: "from", value: "SOURCE", text: "the backup: a name under the prefix, s3://BUCKET/KEY, or ./FILE.dump" },
    {
      name: "yes",
      text: "replace the database without asking; needed in CI and without a terminal",
    },
    ...CONFIG_FLAG_HELP,
  ],
  example: "npm run restore -- --from 20250131T031500Z-daily.dump",
};

/** What the commands of this file take besides `(argv, env, cwd, io)`; tests replace them. */
export interface BackupCommandOptions {
  /** The project directory, holding the outputs file. @default - projectRoot() */
  readonly root?: string;
  /** Pause between two polls of the SSM command. @default DEFAULT_POLL_MS */
  readonly pollMs?: number;
  /** Asks a question on the terminal and returns the answer. @default - readline on the process's stdin/stderr */
  readonly ask?: (question: string) => Promise<string>;
  /** The time of a restore's staged copy. @default - now */
  readonly now?: () => Date;
}

/** The question on the process's terminal: stderr, which stays free of results. */
async function askOnTerminal(question: string): Promise<string> {
  const terminal = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

/** The deployment's target, once the profile has a logical backup and this machine has AWS credentials. */
function deploymentTarget(
  config: KeycloakEc2Config,
  command: string,
  root: string,
): { target: BackupTarget; outputsFile: string } {
  const refusal = logicalBackupRefusal(config, command);
  if (refusal) throw refusal;
  const outputsFile = outputsFilePath(root, config.name);
  return { target: backupTarget(readOutputs(outputsFile, config.name), outputsFile, config.name), outputsFile };
}

function requireCredentials(config: KeycloakEc2Config, env: NodeJS.ProcessEnv, command: string): void {
  const problem = credentialsProblem(config, systemInputs(env), command);
  if (problem) throw new UserError(problem);
}

/**
 * `npm run backup -- [--list] [--profile P] [--config F] [--region R]`: takes a logical backup now and prints its S3
 * URI on stdout, or lists the backups in the bucket.
 */
export async function backupCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
  options: BackupCommandOptions = {},
): Promise<void> {
  const info = helpOrVersion(argv, BACKUP_HELP);
  if (info) return io.stdout(info);
  const flags = parseFlags(argv, flagSpecOf(BACKUP_HELP.flags), { yes: "npm run backup asks nothing" });
  const { config } = commandConfig(flags, env, cwd, io);
  const { target } = deploymentTarget(config, "backup", options.root ?? projectRoot());
  requireCredentials(config, env, "backup");
  if (flags.list === true) {
    const backups = await listBackups(target, "backup");
    for (const line of formatBackups(backups)) io.stdout(`${line}\n`);
    const where = s3Uri(target.bucket, `${target.prefix}/`);
    io.stderr(
      backups.length
        ? `backup: ${backups.length} backup${backups.length === 1 ? "" : "s"} under ${where}, newest last; npm run restore -- --from NAME restores one\n`
        : `backup: no backups under ${where} yet; npm run backup takes one\n`,
    );
    return;
  }
  const uri = await backupNow(target, { command: "backup", write: io.stderr, pollMs: options.pollMs });
  io.stdout(`${uri}\n`);
}

/**
 * `npm run restore -- --from SOURCE [--yes] [--profile P] [--config F] [--region R]`: replaces the deployment's
 * database with a backup, after the deployment's name is typed (or --yes).
 */
export async function restoreCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
  options: BackupCommandOptions = {},
): Promise<void> {
  const info = helpOrVersion(argv, RESTORE_HELP);
  if (info) return io.stdout(info);
  const flags = parseFlags(argv, flagSpecOf(RESTORE_HELP.flags), { "auto-approve": "write --yes" });
  const { config } = commandConfig(flags, env, cwd, io);
  const refusal = logicalBackupRefusal(config, "restore");
  if (refusal) throw refusal;
  if (typeof flags.from !== "string") {
    throw new UserError(
      problemLine(
        "restore",
        "--from",
        "not given",
        "name the backup: npm run restore -- --from NAME (npm run backup -- --list shows them)",
      ),
    );
  }
  const source = parseRestoreSource(flags.from, cwd);
  const { target } = deploymentTarget(config, "restore", options.root ?? projectRoot());
  const yes = flags.yes === true;
  if (!yes) {
    const why = whyNoAnswer(env, { stdin: io.stdinIsTty ?? false, stdout: io.terminalColumns !== undefined }, false);
    if (why) {
      throw new UserError(
        problemLine(
          "restore",
          "--yes",
          `not given, and ${why}, so nobody can confirm replacing the database of ${config.name}`,
          `when you are sure, run npm run restore -- --from ${flags.from} --yes`,
        ),
      );
    }
  }
  requireCredentials(config, env, "restore");
  if (!yes) {
    const ask = options.ask ?? askOnTerminal;
    const answer = await ask(
      `This replaces the database of ${config.name} (instance ${target.instanceId}, ${target.region}) with ${flags.from}; ` +
        `Keycloak stops for the swap. Type the deployment name (${config.name}) to confirm: `,
    );
    if (answer.trim() !== config.name) {
      throw new UserError(
        problemLine(
          "restore",
          "confirmation",
          `"${answer.trim()}" is not "${config.name}"`,
          "nothing was changed; run it again to restore",
        ),
      );
    }
  }
  const uri = await stageRestoreSource(source, target, { command: "restore", write: io.stderr, now: options.now?.() });
  const last = await restoreFrom(uri, target, { command: "restore", write: io.stderr, pollMs: options.pollMs });
  io.stdout(`restored ${uri} into ${config.name} (${target.instanceId})${last ? `: ${last}` : ""}\n`);
}

/** `node dist/src/cli/backup.js backup|restore ...`: the package.json scripts name the command first. */
export function backupMain(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, io: CommandIO): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "backup") return backupCommand(rest, env, cwd, io);
  if (command === "restore") return restoreCommand(rest, env, cwd, io);
  throw new UserError(problemLine("flag", command ?? "(none)", "not a command", "use backup or restore"));
}

if (require.main === module) {
  // The SDK warns on every run under Node 20 that its releases after January 2027 need Node 22: not the user's
  // concern (package.json pins the SDK; engines says Node 20 works).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runMain(backupMain);
}
