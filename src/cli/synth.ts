import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { parseFlags } from "./args";
import { commandConfig, CONFIG_FLAG_HELP, CONFIG_FLAGS, CONFIG_USAGE } from "./config";
import { Command } from "./edge";
import { CommandHelp, helpOrVersion } from "./help";
import { carryTerraformFiles, DEFAULT_OUTDIR, restoreKeptStacks } from "./outdir";
import { KeycloakEc2Config } from "../config/schema";
import { deployedChangeWarnings } from "../deploy/changes";
import { stackFor } from "../stacks";

export { DEFAULT_OUTDIR };

/** The cdktf app: one stack for the deployment, synthesized into `outdir`. Returns the stack's JSON file. */
export function synthesizeStack(config: KeycloakEc2Config, outdir: string): string {
  // Stack traces in construct metadata cost time for every construct and nothing here reads them.
  const app = new App({ outdir, stackTraces: false });
  stackFor(app, config);
  app.synth();
  return stackFile(outdir, config.name);
}

/** `<outdir>/stacks/<name>/cdk.tf.json`: where cdktf writes a stack, and where Terraform then runs. */
export function stackFile(outdir: string, name: string): string {
  return path.join(outdir, "stacks", name, "cdk.tf.json");
}

/**
 * Synthesizes into a fresh directory beside `cdktf.out` and swaps it in only when synthesis succeeded, so a failed
 * run leaves the previous output whole and never a half-written one. What the previous output holds of its stacks
 * moves over to the new one: Terraform's working files (`.terraform`, `.terraform.lock.hcl`) of the stack
 * synthesized again, which hold the backend Terraform was initialized with (it needs it to migrate state to a new
 * one), and every other stack's directory whole. Under the cdktf CLI (CDKTF_OUTDIR set) the CLI owns the output
 * directory and this simply synthesizes there. Returns the output directory.
 */
export function synthesizeAtomically(
  synthesize: (outdir: string) => void,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string {
  if (env.CDKTF_OUTDIR) {
    synthesize(env.CDKTF_OUTDIR);
    return env.CDKTF_OUTDIR;
  }
  const target = path.join(cwd, DEFAULT_OUTDIR);
  const staging = fs.mkdtempSync(`${target}.tmp-`);
  try {
    synthesize(staging);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  restoreKeptStacks(target);
  const previous = `${staging}-previous`;
  if (fs.existsSync(target)) {
    carryTerraformFiles(target, staging);
    fs.renameSync(target, previous);
  }
  fs.renameSync(staging, target);
  fs.rmSync(previous, { recursive: true, force: true });
  return target;
}

export const SYNTH_HELP: CommandHelp = {
  usage: [`npm run synth -- ${CONFIG_USAGE}`],
  description:
    "Synthesizes the stack of the config in force into cdktf.out/stacks/<name>/cdk.tf.json, the Terraform JSON that " +
    "npm run deploy (cdktf) or terraform applies, and prints the file, the profile and the region. Needs no AWS " +
    "account and no terraform. A failed run leaves the previous output whole; Terraform's working files in it " +
    "(.terraform, .terraform.lock.hcl) are kept, and so are the directories of other stacks (other names).",
  flags: CONFIG_FLAG_HELP,
  example: "npm run synth -- --profile dev --region eu-west-3",
};

/**
 * `npm run synth -- [--profile P] [--config F] [--region R]`, and the app `cdktf synth|deploy|...` runs through
 * cdktf.json, where flags cannot reach it (the config file and KEYCLOAK_EC2_* variables do). On its own it prints
 * what it wrote; under the cdktf CLI it prints nothing, the CLI reports.
 */
export const synthCommand: Command = (argv, env, cwd, io) => {
  const info = helpOrVersion(argv, SYNTH_HELP);
  if (info) return io.stdout(info);
  const { config } = commandConfig(parseFlags(argv, CONFIG_FLAGS), env, cwd, io);
  for (const warning of deployedChangeWarnings(config, cwd)) io.stderr(`${warning}\n`);
  const outdir = synthesizeAtomically((dir) => synthesizeStack(config, dir), env, cwd);
  if (!env.CDKTF_OUTDIR) {
    const file = path.relative(cwd, stackFile(outdir, config.name));
    io.stdout(`wrote ${file} (profile ${config.profile}, region ${config.region})\n`);
  }
};
