import { UserError } from "../src/errors";

/** The problem lines of the UserError that `run` throws; [] when it throws none. Any other error is rethrown. */
export function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (error instanceof UserError) return error.problems;
    throw error;
  }
}
