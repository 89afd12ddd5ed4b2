import * as fs from "node:fs";
import * as path from "node:path";
import { Node as JsonNode, ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { configProblem, UserError } from "../errors";
import { Overrides, validateConfig, ValidatedConfig } from "./validate";

/** Environment variables, for runs where flags cannot be passed (`npx cdktf synth`, the deploy wrappers). */
export const ENV = {
  config: "KEYCLOAK_EC2_CONFIG",
  profile: "KEYCLOAK_EC2_PROFILE",
  region: "KEYCLOAK_EC2_REGION",
} as const;

/** The file read when neither `--config` nor KEYCLOAK_EC2_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = "keycloak.config.json";

export interface LoadedConfig extends ValidatedConfig {
  /** The file the config came from, or undefined for the defaults alone. */
  readonly file?: string;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** Turns the parser's tree into a value, refusing duplicate keys (JSON.parse would silently keep the last). */
function toValue(node: JsonNode, text: string, file: string, where: string, problems: string[]): unknown {
  switch (node.type) {
    case "object": {
      const object: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children!;
        const key = keyNode.value as string;
        const field = where ? `${where}.${key}` : key;
        if (Object.prototype.hasOwnProperty.call(object, key)) {
          problems.push(
            configProblem(field, `given twice, again at ${file}:${lineAndColumn(text, keyNode.offset)}`, "keep one"),
          );
        }
        object[key] = valueNode ? toValue(valueNode, text, file, field, problems) : undefined;
      }
      return object;
    }
    case "array":
      return (node.children ?? []).map((child, i) => toValue(child, text, file, `${where}[${i}]`, problems));
    default:
      return node.value;
  }
}

/** What the parser found there, quoted for a message: `"region"`, `"yes"`; empty at the end of the file. */
function found(text: string, error: ParseError): string {
  const token = text
    .slice(error.offset, error.offset + Math.max(error.length, 1))
    .split("\n")[0]
    .trim();
  const short = token.length > 20 ? `${token.slice(0, 20)}...` : token;
  if (!short) return "";
  return short.startsWith('"') ? short : `"${short}"`;
}

const QUOTE_FIX = 'write text in "double quotes", and true, false and null in lower case';
const VALUE_FIX = 'write a value: "text", a number, true, false, null, [...] or { ... }';

/** A parser error in words, and its fix: `CommaExpected` -> "expected a comma". */
function describeSyntaxError(text: string, error: ParseError): { readonly problem: string; readonly fix: string } {
  const at = found(text, error);
  const before = at ? ` before ${at}` : " at the end of the file";
  switch (printParseErrorCode(error.error)) {
    case "InvalidSymbol":
      return { problem: `unexpected ${at || "character"}`, fix: QUOTE_FIX };
    case "InvalidNumberFormat":
    case "UnexpectedEndOfNumber":
      return {
        problem: `${at || "a number"} is not a JSON number`,
        fix: "write numbers such as 20 or 0.5, no leading zero",
      };
    case "PropertyNameExpected":
      return { problem: `expected a field name${before}`, fix: 'write "field": value, the name in "double quotes"' };
    case "ValueExpected":
      return { problem: `expected a value${before}`, fix: VALUE_FIX };
    case "ColonExpected":
      return { problem: `expected a colon${before}`, fix: 'write "field": value' };
    case "CommaExpected":
      return { problem: `expected a comma${before}`, fix: "separate the entries of an object or a list with commas" };
    case "CloseBraceExpected":
      return { problem: `expected "}"${before}`, fix: 'close each { with a "}"' };
    case "CloseBracketExpected":
      return { problem: `expected "]"${before}`, fix: 'close each [ with a "]"' };
    case "EndOfFileExpected":
      return {
        problem: `unexpected ${at || "text"} after the end of the config`,
        fix: "keep one JSON object in the file",
      };
    case "InvalidCommentToken":
    case "UnexpectedEndOfComment":
      return { problem: "a comment, which JSON does not allow", fix: "remove the comment" };
    case "UnexpectedEndOfString":
      return { problem: "a string that does not end on its line", fix: 'close it with a " on the same line' };
    case "InvalidUnicode":
      return { problem: `${at} is not a Unicode escape`, fix: "write \\u and four hexadecimal digits, e.g. \\u00e9" };
    case "InvalidEscapeCharacter":
      return { problem: `${at} is not a JSON escape`, fix: "write a backslash as \\\\, e.g. in a Windows path" };
    case "InvalidCharacter":
      return { problem: "a control character inside a string", fix: "write a tab as \\t and a line break as \\n" };
    default:
      return { problem: "not valid JSON", fix: "fix the JSON syntax" };
  }
}

/** The comma before `offset` when only white space separates them: a trailing comma, which JSON does not allow. */
function trailingComma(text: string, offset: number): number | undefined {
  const match = /,\s*$/.exec(text.slice(0, offset));
  return match && /^\s*[}\]]/.test(text.slice(offset)) ? match.index : undefined;
}

/**
 * The first syntax error of a file, in words, with the file as the user named it, line and column. Only the first:
 * what the parser reports after it mostly follows from it (a trailing comma alone makes two errors).
 */
function syntaxProblem(text: string, errors: readonly ParseError[], tree: JsonNode | undefined, shown: string): string {
  const first = [...errors].sort((a, b) => a.offset - b.offset)[0] ?? { error: 4, offset: 0, length: 0 };
  const code = printParseErrorCode(first.error);
  const where = `${shown}:${lineAndColumn(text, first.offset)}`;
  const comma =
    code === "PropertyNameExpected" || code === "ValueExpected" ? trailingComma(text, first.offset) : undefined;
  if (comma !== undefined)
    return configProblem(
      `${shown}:${lineAndColumn(text, comma)}`,
      "invalid JSON: a comma after the last entry",
      "remove this comma, JSON allows none before } or ]",
    );
  if (text.trim() === "")
    return configProblem(
      shown,
      "the file is empty",
      'write a JSON object such as { "profile": "production" }, or leave the file out',
    );
  if (tree && first.offset >= tree.offset + tree.length && text.slice(first.offset).trim() !== "")
    return configProblem(
      where,
      `invalid JSON: ${found(text, first) || "text"} after the end of the config`,
      "keep one JSON object in the file",
    );
  const leadingZero = /(?<![\d.eE+-])-?0$/.test(text.slice(0, first.offset)) && /^\d/.test(text.slice(first.offset));
  if (code === "CommaExpected" && leadingZero)
    return configProblem(where, "invalid JSON: a number with a leading zero", "write 20, not 020");
  const { problem, fix } = describeSyntaxError(text, first);
  return configProblem(where, `invalid JSON: ${problem}`, fix);
}

/**
 * Reads a JSON config file; a syntax error is reported with the file as the user named it (`shown`), line and
 * column. A UTF-8 byte order mark, which some Windows editors write, is skipped.
 */
export function readConfigFile(file: string, namedBy: string, shown = file): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === "ENOENT"
        ? `file not found${shown === file ? "" : `, looked for ${file}`}`
        : code === "EISDIR"
          ? "is a directory"
          : `cannot be read, ${code ?? String(error)}`;
    throw new UserError(
      configProblem(namedBy, `${shown}: ${what}`, "check the path, or leave it out to use the defaults"),
    );
  }
  if (text.startsWith("\ufeff")) text = text.slice(1);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length || !tree) throw new UserError(syntaxProblem(text, errors, tree, shown));
  const problems: string[] = [];
  const value = toValue(tree, text, shown, "", problems);
  if (problems.length) throw new UserError(problems);
  return value;
}

/** What a command was told on its command line about the config (`--config`, `--profile`, `--region`). */
export interface ConfigFlags {
  readonly config?: string;
  readonly profile?: string;
  readonly region?: string;
}

export interface ConfigSources {
  readonly flags: ConfigFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

function override(flags: ConfigFlags, env: NodeJS.ProcessEnv, flag: "profile" | "region"): Overrides["profile"] {
  const flagValue = flags[flag];
  if (flagValue !== undefined) return { value: flagValue, origin: `--${flag}` };
  const envValue = env[ENV[flag]];
  return envValue ? { value: envValue, origin: ENV[flag] } : undefined;
}

/**
 * The config in force: `--config FILE`, else $KEYCLOAK_EC2_CONFIG, else keycloak.config.json in the working
 * directory if present, else the defaults; `--profile`/`--region` (or their environment variables) override the file.
 */
export function loadConfig({ flags, env, cwd }: ConfigSources): LoadedConfig {
  const fromFlag = flags.config;
  const fromEnv = env[ENV.config] || undefined;
  const named = fromFlag ?? fromEnv;
  let file: string | undefined;
  let shown: string | undefined;
  let raw: unknown = {};
  if (named !== undefined) {
    // A relative path is relative to the working directory; messages show it as the user wrote it.
    file = path.resolve(cwd, named);
    shown = named;
    raw = readConfigFile(file, fromFlag !== undefined ? "--config" : ENV.config, shown);
  } else if (fs.existsSync(path.join(cwd, DEFAULT_CONFIG_FILE))) {
    file = path.join(cwd, DEFAULT_CONFIG_FILE);
    shown = DEFAULT_CONFIG_FILE;
    raw = readConfigFile(file, DEFAULT_CONFIG_FILE, shown);
  }
  const validated = validateConfig(
    raw,
    { profile: override(flags, env, "profile"), region: override(flags, env, "region") },
    shown,
  );
  return { ...validated, file };
}
