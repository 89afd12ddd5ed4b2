import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CdktfRun } from "../deploy/lifecycle";
import { problemLine, UserError } from "../errors";
import { DEFAULT_OUTDIR, keepingOtherStacks } from "./outdir";

/** How a cdktf run ended: its exit code, and its printout when captured. */
export interface CdktfExit {
  readonly code: number;
  readonly stdout: string;
}

/** The cdktf the lifecycle commands drive: the project's own CLI, or in tests a fake in its place. */
export interface Cdktf {
  /** The project directory (with cdktf.json): where cdktf runs and where the outputs file is kept. */
  readonly projectRoot: string;
  /** Runs cdktf to its end. With `captureStdout` its printout is returned instead of shown (output prints its own view). */
  readonly run: (run: CdktfRun, captureStdout: boolean) => Promise<CdktfExit>;
}

/** The project directory (the one with cdktf.json), found from this file whether it runs compiled or not. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "cdktf.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no cdktf.json above ${from}`);
  }
}

/**
 * The project's own cdktf CLI (`node_modules/.bin/cdktf`), run in the project directory. The other stacks of
 * cdktf.out are kept aside while it runs: its synthesis removes every stack directory it did not make, and with it
 * the backend Terraform was initialized with there.
 */
export function projectCdktf(root: string = projectRoot()): Cdktf {
  return {
    projectRoot: root,
    run: ({ args, env, stack }, captureStdout) => {
      const cdktf = path.join(root, "node_modules", ".bin", "cdktf");
      if (!fs.existsSync(cdktf))
        return Promise.reject(
          new UserError(problemLine(args[0], "cdktf", `${cdktf} not found`, `run npm ci in ${root}`)),
        );
      // The link's target with this very node: no `node` needed on PATH for its `#!/usr/bin/env node` line.
      const program = fs.realpathSync(cdktf);
      return keepingOtherStacks(path.join(root, DEFAULT_OUTDIR), stack, () =>
        runToEnd(process.execPath, [program, ...args], { cwd: root, env, captureStdout }),
      );
    },
  };
}

/**
 * Runs a program to its end with this process's terminal (it may ask questions), capturing its stdout if asked.
 * Ctrl-C reaches the child as well (same process group), which stops Terraform cleanly: this process ignores it and
 * waits to report. A child ended by Ctrl-C counts as exit code 130.
 */
export function runToEnd(
  program: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly captureStdout?: boolean },
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["inherit", options.captureStdout ? "pipe" : "inherit", "inherit"],
    });
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    child.on("error", (error) => {
      process.off("SIGINT", ignore);
      reject(error);
    });
    child.on("close", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve({ code: code ?? (signal === "SIGINT" ? 130 : 1), stdout });
    });
  });
}
