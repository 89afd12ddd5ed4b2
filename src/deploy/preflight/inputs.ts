/**
 * What the doctor's checks read of the machine. Each check reads it only through `PreflightInputs`, so tests give it
 * any environment; nothing in the checks calls AWS or the network.
 */
export interface PreflightInputs {
  readonly env: NodeJS.ProcessEnv;
  /** The home directory of `~/.aws` and `~/.terraform.d`. */
  readonly home: string;
  /** The full path of an executable found on PATH, as `which` prints it, or undefined. */
  readonly which: (command: string) => string | undefined;
  /** A file's text, or undefined when it cannot be read. */
  readonly readFile: (file: string) => string | undefined;
  /** The project directory, where a local state file lives. @default - the state is not read */
  readonly projectDir?: string;
  /** Runs a program (no shell) to completion. */
  readonly run: (program: string, args: readonly string[]) => CommandResult;
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  /** Why it could not run (spawn error, time-out), if so. */
  readonly error?: string;
}
