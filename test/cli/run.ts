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

/**
 * A generous time limit for a test that spawns processes or waits on servers, so that a loaded machine passes. It is
 * also every test's default (jest.config.js, testTimeout): passing it explicitly says that the test waits.
 */
export const SLOW_TEST_MS = 60_000;

/**
 * Makes `<dir>/bin` holding a fake `terraform` that reports `version`; returns that directory, for a PATH. Any other
 * run is recorded as one line in `<dir>/bin/terraform.log` (see `terraformCalls`) and exits with
 * $FAKE_TERRAFORM_EXIT, else 0.
 */
export function fakeTerraformBin(dir: string, version = "1.9.8"): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, "terraform"),
    [
      "#!/bin/sh",
      `if [ "$1" = version ]; then echo '{"terraform_version": "${version}"}'; exit 0; fi`,
      `echo "cwd=$(pwd -P) args=$* CHECKPOINT_DISABLE=$CHECKPOINT_DISABLE" >> "${path.join(bin, "terraform.log")}"`,
      'exit "${FAKE_TERRAFORM_EXIT:-0}"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return bin;
}

/** The runs of the fake terraform in `bin` other than `version`, one line each: `cwd=... args=... CHECKPOINT_DISABLE=...`. */
export function terraformCalls(bin: string): string[] {
  const log = path.join(bin, "terraform.log");
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trimEnd().split("\n") : [];
}
