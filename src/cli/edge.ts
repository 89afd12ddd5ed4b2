import { UserError } from "../errors";

/** Where a command writes: results on stdout, warnings and progress on stderr. */
export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The terminal's width when stdout is one (progress is then rewritten in place). @default - not a terminal */
  readonly terminalColumns?: number;
  /** Whether standard input is a terminal (a person can answer a prompt). @default false */
  readonly stdinIsTty?: boolean;
}

/**
 * A command: everything it reads from the process comes in as arguments, so tests run it in-process. A user mistake
 * is thrown as a UserError; anything else is a bug.
 */
export type Command = (argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, io: CommandIO) => void | Promise<void>;

/** The process's own streams, as a CommandIO. */
export function processIO(): CommandIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    terminalColumns: process.stdout.isTTY ? process.stdout.columns : undefined,
    stdinIsTty: Boolean(process.stdin.isTTY),
  };
}

/**
 * Runs a command's body: a UserError becomes its lines on stderr and its exit code; anything else is a bug and
 * keeps its stack trace.
 */
export function runCommand(body: () => void | Promise<void>): void {
  const fail = (error: unknown) => {
    if (error instanceof UserError) {
      for (const line of error.problems) process.stderr.write(`${line}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  };
  try {
    const result = body();
    if (result instanceof Promise) result.catch(fail);
  } catch (error) {
    fail(error);
  }
}

/** Runs `command` with this process's arguments, environment, directory and streams (a command file's main). */
export function runMain(command: Command): void {
  runCommand(() => command(process.argv.slice(2), process.env, process.cwd(), processIO()));
}
