import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommandIO, runToExitCode } from "../../src/cli/edge";

/** What a command run printed and exited with, as a spawned process would show it. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions extends Pick<CommandIO, "stdinIsTty" | "terminalColumns"> {
  readonly cwd: string;
  /** @default {} */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command in-process, as runMain runs it in a process of its own, recording what it prints. */
export async function runInProcess(
  command: Command,
  argv: readonly string[],
  { cwd, env = {}, ...terminal }: RunOptions,
): Promise<CommandRun> {
  let stdout = "";
  let stderr = "";
  const io: CommandIO = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), ...terminal };
  const code = await runToExitCode(command, argv, env, cwd, io);
  return { code, stdout, stderr };
}

/** Makes `<dir>/bin` holding a fake `terraform` that reports `version`; returns that directory, for a PATH. */
export function fakeTerraformBin(dir: string, version = "1.9.8"): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, "terraform"), `#!/bin/sh\necho '{"terraform_version": "${version}"}'\n`, {
    mode: 0o755,
  });
  return bin;
}
