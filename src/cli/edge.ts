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
export type Command = (
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
) => void | Promise<void>;

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
 * Runs a command to its end and returns its exit code: 0, or a UserError's, whose lines go to `io.stderr`. Anything
 * else is a bug and is rethrown with its stack trace. What runMain does with the process's own arguments; tests call
 * it with theirs.
 */
export async function runToExitCode(
  command: Command,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
): Promise<number> {
  try {
    await command(argv, env, cwd, io);
    return 0;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    for (const line of error.problems) io.stderr(`${line}\n`);
    return error.exitCode;
  }
}

/** Runs `command` with this process's arguments, environment, directory and streams (a command file's main). */
export function runMain(command: Command): void {
  // A bug rejects: Node prints it with its stack trace and exits 1.
  void runToExitCode(command, process.argv.slice(2), process.env, process.cwd(), processIO()).then((code) => {
    process.exitCode = code;
  });
}
