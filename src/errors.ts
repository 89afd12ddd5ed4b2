/**
 * A mistake of the user's (config, flags, environment, missing tool): reported as one line per problem, never as a
 * stack trace. Caught once, at the edge of each command (`src/cli/edge.ts`). Anything else thrown is a bug.
 */
export class UserError extends Error {
  /** Each problem as the full line to print, e.g. `config error: region: ... (...)`. */
  public readonly problems: readonly string[];

  constructor(
    problems: string | readonly string[],
    public readonly exitCode = 2,
  ) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"));
    this.problems = list;
    this.name = "UserError";
  }
}

/** The one shape of every problem line: `<kind> error: <field or thing>: <what is wrong> (<how to fix>)`. */
export function problemLine(kind: string, field: string, problem: string, fix: string): string {
  return `${kind} error: ${field}: ${problem} (${fix})`;
}

/** `config error: <field path>: <what is wrong> (<how to fix>)`. */
export function configProblem(field: string, problem: string, fix: string): string {
  return problemLine("config", field, problem, fix);
}
