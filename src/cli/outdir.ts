import * as fs from "node:fs";
import * as path from "node:path";

/**
 * cdktf.out, where the stacks are synthesized and Terraform runs (`stacks/<name>`), and what of it outlives a
 * synthesis. Kept apart from the synth command so that the cdktf wrapper uses it without loading cdktf's constructs.
 */

/** Where `npm run synth` writes, as `cdktf synth` would. */
export const DEFAULT_OUTDIR = "cdktf.out";

/**
 * Terraform's working files in a stack's directory: `.terraform` (the backend it was initialized with, providers,
 * modules) and the provider lock file. Without them Terraform forgets the previous backend and cannot migrate
 * its state.
 */
export const TERRAFORM_WORKING_FILES = [".terraform", ".terraform.lock.hcl"] as const;

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves each stack directory of `from` into `to` (two `stacks` directories). A stack that `to` does not have moves
 * whole; one it has (synthesized again) gets the Terraform working files it lacks. Nothing is left in `from`.
 */
function moveStacks(from: string, to: string): void {
  if (!exists(from)) return;
  for (const name of fs.readdirSync(from)) {
    const target = path.join(to, name);
    if (!exists(target)) {
      fs.mkdirSync(to, { recursive: true });
      fs.renameSync(path.join(from, name), target);
      continue;
    }
    for (const file of TERRAFORM_WORKING_FILES) {
      const source = path.join(from, name, file);
      if (exists(source) && !exists(path.join(target, file))) fs.renameSync(source, path.join(target, file));
    }
  }
}

/**
 * Moves what a previous output `from` holds of its stacks into the new output `to`: Terraform's working files of
 * each stack synthesized again, and the whole directory of every other stack (another name or profile, which
 * Terraform may have initialized on its own backend).
 */
export function carryTerraformFiles(from: string, to: string): void {
  moveStacks(path.join(from, "stacks"), path.join(to, "stacks"));
}

/** Where the lifecycle commands keep the other stacks of `outdir` while cdktf runs: beside it, out of cdktf's reach. */
export function keptStacksDir(outdir: string): string {
  return `${outdir}.kept`;
}

/** Puts back into `outdir` the stacks a lifecycle command kept aside, also those of a run that was killed. */
export function restoreKeptStacks(outdir: string): void {
  const kept = keptStacksDir(outdir);
  if (!exists(kept)) return;
  moveStacks(kept, path.join(outdir, "stacks"));
  fs.rmSync(kept, { recursive: true, force: true });
}

/**
 * Runs `run`, a cdktf command on the stack `stack`, with the other stacks of `outdir` kept aside: after its synthesis
 * the cdktf CLI removes the directory of every stack it did not synthesize, and with it the backend Terraform was
 * initialized with there. They are put back when the run ends, however it ends.
 */
export async function keepingOtherStacks<T>(outdir: string, stack: string, run: () => Promise<T>): Promise<T> {
  restoreKeptStacks(outdir);
  const stacks = path.join(outdir, "stacks");
  const others = exists(stacks) ? fs.readdirSync(stacks).filter((name) => name !== stack) : [];
  if (others.length) fs.mkdirSync(keptStacksDir(outdir));
  for (const name of others) fs.renameSync(path.join(stacks, name), path.join(keptStacksDir(outdir), name));
  try {
    return await run();
  } finally {
    restoreKeptStacks(outdir);
  }
}
