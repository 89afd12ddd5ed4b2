import { problemLine, UserError } from "../errors";
import { nearest } from "../text/nearest";

/** What a command accepts: each flag's name (without `--`) and whether it takes a value. */
export type FlagSpec = Readonly<Record<string, "value" | "switch">>;

export type ParsedFlags = Readonly<Record<string, string | true | undefined>>;

/**
 * Parses `--name value`, `--name=value` and `--switch`. Every problem (unknown flag, missing value, stray word,
 * flag given twice) is reported at once as `flag error: --name: ... (...)`. `hints` says what to do instead of a
 * flag the command does not take but a user may well try (`--yes` on diff, cdktf's `--auto-approve`), by its name
 * without the dashes.
 */
export function parseFlags(
  argv: readonly string[],
  spec: FlagSpec,
  hints: Readonly<Record<string, string>> = {},
): ParsedFlags {
  const flags: Record<string, string | true> = {};
  const problems: string[] = [];
  const known = Object.keys(spec).map((name) => `--${name}`);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const match = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    if (!match) {
      problems.push(problemLine("flag", word, "unexpected argument", `flags are ${known.join(", ")}`));
      continue;
    }
    const [, name, inline] = match;
    const kind = spec[name];
    if (!kind) {
      const near = nearest(`--${name}`, known);
      const hint = Object.prototype.hasOwnProperty.call(hints, name)
        ? `${hints[name]}; `
        : near
          ? `did you mean ${near}? `
          : "";
      problems.push(problemLine("flag", `--${name}`, "unknown flag", `${hint}flags are ${known.join(", ")}`));
      // Its value, if it has one, is not a second problem.
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) i++;
      continue;
    }
    if (name in flags) problems.push(problemLine("flag", `--${name}`, "given more than once", "give it once"));
    if (kind === "switch") {
      if (inline !== undefined)
        problems.push(problemLine("flag", `--${name}`, "takes no value", `write --${name} alone`));
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i++;
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("--"))) {
      problems.push(problemLine("flag", `--${name}`, "needs a value", `write --${name} VALUE`));
      if (inline === undefined && value?.startsWith("--")) i--;
      continue;
    }
    flags[name] = value;
  }
  if (problems.length) throw new UserError(problems);
  return flags;
}
