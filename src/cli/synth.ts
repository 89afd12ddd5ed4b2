import * as fs from "node:fs";
import * as path from "node:path";

/** Where `npm run synth` writes, as `cdktf synth` would. */
export const DEFAULT_OUTDIR = "cdktf.out";

/**
 * Synthesizes into a fresh directory beside `cdktf.out` and swaps it in only when synthesis succeeded, so a failed
 * run leaves the previous output whole and never a half-written one. Under the cdktf CLI (CDKTF_OUTDIR set) the
 * CLI owns the output directory and this simply synthesizes there.
 */
export function synthesizeAtomically(synthesize: (outdir: string) => void, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
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
