import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { parseFlags } from "./args";
import { commandConfig, CONFIG_FLAGS } from "./config";
import { Command } from "./edge";
import { KeycloakEc2Config } from "../config/schema";
import { stackFor } from "../stacks";

/** Where `npm run synth` writes, as `cdktf synth` would. */
export const DEFAULT_OUTDIR = "cdktf.out";

/** The cdktf app: one stack for the deployment, synthesized into `outdir`. Returns the stack's JSON file. */
export function synthesizeStack(config: KeycloakEc2Config, outdir: string): string {
  const app = new App({ outdir });
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
 * run leaves the previous output whole and never a half-written one. Under the cdktf CLI (CDKTF_OUTDIR set) the
 * CLI owns the output directory and this simply synthesizes there.
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
  const previous = `${staging}-previous`;
  if (fs.existsSync(target)) fs.renameSync(target, previous);
  fs.renameSync(staging, target);
  fs.rmSync(previous, { recursive: true, force: true });
  return target;
}

/**
 * `npm run synth -- [--profile P] [--config F] [--region R]`, and the app `cdktf synth|deploy|...` runs through
 * cdktf.json, where flags cannot reach it (the config file and KEYCLOAK_EC2_* variables do).
 */
export const synthCommand: Command = (argv, env, cwd, io) => {
  const { config } = commandConfig(parseFlags(argv, CONFIG_FLAGS), env, cwd, io);
  synthesizeAtomically((outdir) => synthesizeStack(config, outdir), env, cwd);
};
