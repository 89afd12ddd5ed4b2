import * as fs from "node:fs";
import * as path from "node:path";
import { FlagSpec } from "../cli/args";
import { ENV, LoadedConfig } from "../config/load";
import { CONFIG_FLAGS } from "../cli/config";
import { UserError } from "../errors";

/**
 * The deploy, diff, destroy and output wrappers around the cdktf CLI, as pure functions: which arguments and
 * environment cdktf gets, when a run is refused, where the outputs are kept and how they are shown.
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

export function flagSpecFor(command: LifecycleCommand): FlagSpec {
  return needsApproval(command) ? { ...CONFIG_FLAGS, yes: "switch" } : CONFIG_FLAGS;
}

/** The project directory (the one with cdktf.json), found from this file whether it runs compiled or not. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "cdktf.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no cdktf.json above ${from}`);
  }
}

/** Where deploy and output keep the outputs: outside cdktf.out, which every synth replaces wholesale. */
export function outputsFilePath(root: string, name: string): string {
  return path.join(root, `${name}.outputs.json`);
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
export function cdktfRun(command: LifecycleCommand, loaded: LoadedConfig, { yes, outputsFile, env }: CdktfRunOptions): CdktfRun {
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
export function approvalProblem(command: LifecycleCommand, yes: boolean, env: NodeJS.ProcessEnv, stdinIsTty: boolean): string | undefined {
  if (!needsApproval(command) || yes || (stdinIsTty && !isCi(env))) return undefined;
  const why = isCi(env) ? `CI=${env.CI} is set` : "standard input is not a terminal";
  return `${command} error: --yes: not given, and ${why}, so nobody can approve the plan and cdktf would wait forever ` +
    `(${command === "deploy" ? "review the plan with npm run diff, then" : "when you are sure,"} run npm run ${command} -- --yes)`;
}

/** The outputs of stack `name` in an outputs file written by cdktf (`{ "<stack>": { "<output>": value } }`). */
export function readOutputs(file: string, name: string): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    const what = (error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : "unreadable";
    throw new UserError(`output error: ${file}: ${what} (run npm run deploy, or npm run output to fetch the outputs from the Terraform state)`);
  }
  const outputs = (parsed as Record<string, unknown> | null)?.[name];
  if (typeof outputs !== "object" || outputs === null) {
    throw new UserError(`output error: ${file}: no outputs for stack "${name}" (run npm run output to fetch them from the Terraform state)`);
  }
  return outputs as Record<string, unknown>;
}

/** The outputs worth reading first, in the order a person uses them; any others follow alphabetically. */
const OUTPUT_ORDER = [
  "instance_ip", "instance_dns", "keycloak_url", "admin_console_url", "realm_issuer_url", "admin_password_parameter", "admin_password_command",
  "session_manager_command", "ssh_command",
];

/** `name  value`, one line each, names aligned. (cdktf leaves sensitive outputs out of the file.) */
export function formatOutputs(outputs: Readonly<Record<string, unknown>>): string[] {
  const rank = (name: string) => (OUTPUT_ORDER.includes(name) ? OUTPUT_ORDER.indexOf(name) : OUTPUT_ORDER.length);
  const names = Object.keys(outputs).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const width = Math.max(0, ...names.map((n) => n.length));
  return names.map((name) => {
    const value = outputs[name];
    return `${name.padEnd(width)}  ${typeof value === "string" ? value : JSON.stringify(value)}`;
  });
}

/** The keycloak_url output (dev and production), which the wait polls. */
export function keycloakUrlFrom(outputs: Readonly<Record<string, unknown>>, file: string): string {
  const url = outputs.keycloak_url;
  if (typeof url !== "string") {
    throw new UserError(`output error: keycloak_url: not in ${file} (run npm run output to refresh the file from the Terraform state, or pass --url)`);
  }
  return url;
}
