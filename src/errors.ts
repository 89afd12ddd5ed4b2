/**
 * A mistake of the user's (config, flags, environment, missing tool): reported as one line per problem, never as a
 * stack trace. Caught once, at the edge of each command (`src/cli/edge.ts`). Anything else thrown is a bug.
 */
export class UserError extends Error {
  /** Each problem as the full line to print, e.g. `config error: region: ... (...)`. */
  public readonly problems: readonly string[];

  constructor(problems: string | readonly string[], public readonly exitCode = 2) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"));
    this.problems = list;
    this.name = "UserError";
  }
}

/** `config error: <field path>: <what is wrong> (<how to fix>)`. */
export function configProblem(field: string, problem: string, fix: string): string {
  return `config error: ${field}: ${problem} (${fix})`;
}
