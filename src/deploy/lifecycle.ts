import { ENV, LoadedConfig } from "../config/load";
import { KeycloakEc2Config } from "../config/schema";
import { problemLine } from "../errors";

/**
 * The deploy, diff, destroy and output wrappers around the cdktf CLI, as pure functions: which arguments and
 * environment cdktf gets, and when a run is refused. The command itself is src/cli/lifecycle.ts.
 */

export const LIFECYCLE_COMMANDS = ["deploy", "diff", "destroy", "output"] as const;
export type LifecycleCommand = (typeof LIFECYCLE_COMMANDS)[number];

export function isLifecycleCommand(word: string | undefined): word is LifecycleCommand {
  return (LIFECYCLE_COMMANDS as readonly (string | undefined)[]).includes(word);
}

/** The commands that change infrastructure: cdktf asks for approval before applying their plan. */
export function needsApproval(command: LifecycleCommand): boolean {
  return command === "deploy" || command === "destroy";
}

export interface CdktfRun {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The stack cdktf runs on: the one directory of `cdktf.out/stacks` its synthesis may replace. */
  readonly stack: string;
}

export interface CdktfRunOptions {
  /** `--yes`: approve the plan without asking. */
  readonly yes: boolean;
  readonly outputsFile: string;
  readonly env: NodeJS.ProcessEnv;
  /** Whether cdktf's standard output is a terminal (not a log, a pipe, or captured by the wrapper). */
  readonly terminal: boolean;
}

/**
 * Whether cdktf's UI (Ink 3) takes the environment for a CI system, and so prints its output plainly: each line
 * once, and a live element such as a spinner only in its final state. Ink decides it once, from the `is-ci`
 * package: `CI` set to anything but "false", or CONTINUOUS_INTEGRATION, BUILD_NUMBER or RUN_ID set.
 */
export function cdktfSeesCi(env: NodeJS.ProcessEnv): boolean {
  if (env.CI === "false") return false;
  return Boolean(env.CI || env.CONTINUOUS_INTEGRATION || env.BUILD_NUMBER || env.RUN_ID);
}

/**
 * The cdktf command line and environment for a wrapper command. The app cdktf runs (`node dist/main.js`) cannot take
 * flags, so the config in force is handed over as KEYCLOAK_EC2_* variables: it synthesizes exactly what was checked.
 */
export function cdktfRun(
  command: LifecycleCommand,
  loaded: LoadedConfig,
  { yes, outputsFile, env, terminal }: CdktfRunOptions,
): CdktfRun {
  const { config, file } = loaded;
  const args = [command, config.name];
  if (command === "deploy" || command === "output") args.push("--outputs-file", outputsFile);
  if (yes && needsApproval(command)) args.push("--auto-approve");
  const childEnv: NodeJS.ProcessEnv = { ...env, [ENV.profile]: config.profile, [ENV.region]: config.region };
  if (file) childEnv[ENV.config] = file;
  else delete childEnv[ENV.config];
  // cdktf and terraform ask HashiCorp's checkpoint service for updates on every run, which stalls offline; a value
  // the user set is kept.
  childEnv.CHECKPOINT_DISABLE ??= "1";
  // Off a terminal, cdktf's UI would still redraw its spinner many times a second, each frame a new line in a log:
  // as a CI run, it prints each line once.
  if (!terminal && !cdktfSeesCi(childEnv)) childEnv.CI = "1";
  return { args, env: childEnv, stack: config.name };
}

/** CI systems set CI (true, 1, or a name); "false" and "0" mean not CI. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI) && !/^(false|0)$/i.test(env.CI!);
}

/** The terminals a command runs on: who could answer a question, and see it. */
export interface Terminal {
  /** Whether standard input is a terminal: someone can type an answer. */
  readonly stdin: boolean;
  /** Whether standard output is a terminal. Off one, cdktf prints plainly, without its interactive prompts. */
  readonly stdout: boolean;
}

/**
 * Why nobody can answer a question the command would ask, or undefined: in CI, without a terminal to type on, or
 * (for cdktf, `stdoutMatters`) without one to show the question on.
 */
export function whyNoAnswer(env: NodeJS.ProcessEnv, terminal: Terminal, stdoutMatters: boolean): string | undefined {
  if (isCi(env)) return `CI=${env.CI} is set`;
  if (!terminal.stdin) return "standard input is not a terminal";
  if (stdoutMatters && !terminal.stdout)
    return "standard output is not a terminal (cdktf then prints plainly, without its approval prompt)";
  return undefined;
}

/**
 * Why a destroy is refused before Terraform plans it, or undefined: with `dataProtection` on, Terraform would refuse
 * the whole destroy on the data volume's (the database's) `prevent_destroy`, after minutes of planning.
 */
export function destroyRefusal(command: LifecycleCommand, config: KeycloakEc2Config): string | undefined {
  if (command !== "destroy" || config.profile === "article" || !config.dataProtection) return undefined;
  return problemLine(
    "destroy",
    "dataProtection",
    `is on for ${config.name}: Terraform refuses to destroy its ${dataOf(config)} and backup bucket, and so destroys nothing`,
    `to delete everything with the data, set "dataProtection": false and run npm run destroy again; to keep the ${config.profile === "cluster" ? "database" : "volume"} and the bucket and remove the rest, see docs/operations.md, "Destroying"`,
  );
}

/** What an allowed destroy does to the data, said before cdktf shows its plan ("" for other commands). */
export function destroyNotice(command: LifecycleCommand, config: KeycloakEc2Config): string {
  if (command !== "destroy" || config.profile === "article") return "";
  const backups = config.profile === "cluster" ? "" : " with its backups; the daily snapshots stay";
  return `dataProtection is off: the destroy deletes the ${dataOf(config)} (it leaves a final snapshot, kept until you delete it) and the bucket${backups} (docs/operations.md, "Destroying")\n`;
}

/** Where a deployment's data is: the single instance's data volume, or the cluster's database. */
const dataOf = (config: KeycloakEc2Config) => (config.profile === "cluster" ? "database" : "data volume");

/**
 * Why a run that needs approval cannot ask for it, or undefined: without a terminal (CI, a pipe) cdktf would wait
 * for an answer forever.
 */
export function approvalProblem(
  command: LifecycleCommand,
  yes: boolean,
  env: NodeJS.ProcessEnv,
  terminal: Terminal,
): string | undefined {
  if (!needsApproval(command) || yes) return undefined;
  const why = whyNoAnswer(env, terminal, true);
  if (!why) return undefined;
  return problemLine(
    command,
    "--yes",
    `not given, and ${why}, so nobody can approve the plan and cdktf would wait forever`,
    `${command === "deploy" ? "review the plan with npm run diff, then" : "when you are sure,"} run npm run ${command} -- --yes`,
  );
}
