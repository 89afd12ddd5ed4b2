import { ENV, LoadedConfig } from "../config/load";
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
}

export interface CdktfRunOptions {
  /** `--yes`: approve the plan without asking. */
  readonly yes: boolean;
  readonly outputsFile: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The cdktf command line and environment for a wrapper command. The app cdktf runs (`node dist/main.js`) cannot take
 * flags, so the config in force is handed over as KEYCLOAK_EC2_* variables: it synthesizes exactly what was checked.
 */
export function cdktfRun(
  command: LifecycleCommand,
  loaded: LoadedConfig,
  { yes, outputsFile, env }: CdktfRunOptions,
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
  return { args, env: childEnv };
}

/** CI systems set CI (true, 1, or a name); "false" and "0" mean not CI. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI) && !/^(false|0)$/i.test(env.CI!);
}

/**
 * Why a run that needs approval cannot ask for it, or undefined: without a terminal (CI, a pipe) cdktf would wait
 * for an answer forever.
 */
export function approvalProblem(
  command: LifecycleCommand,
  yes: boolean,
  env: NodeJS.ProcessEnv,
  stdinIsTty: boolean,
): string | undefined {
  if (!needsApproval(command) || yes || (stdinIsTty && !isCi(env))) return undefined;
  const why = isCi(env) ? `CI=${env.CI} is set` : "standard input is not a terminal";
  return problemLine(
    command,
    "--yes",
    `not given, and ${why}, so nobody can approve the plan and cdktf would wait forever`,
    `${command === "deploy" ? "review the plan with npm run diff, then" : "when you are sure,"} run npm run ${command} -- --yes`,
  );
}
