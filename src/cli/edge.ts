import { UserError } from "../errors";

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
