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
            configProblem(field, `given twice (again at ${file}:${lineAndColumn(text, keyNode.offset)})`, "keep one"),
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

/** Reads a JSON config file; a syntax error is reported with file, line and column. */
export function readConfigFile(file: string, namedBy: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory" : `cannot be read (${code})`;
    throw new UserError(
      configProblem(namedBy, `${file}: ${what}`, "check the path, or leave it out to use the defaults"),
    );
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length || !tree) {
    throw new UserError(
      errors.map((e) =>
        configProblem(
          `${file}:${lineAndColumn(text, e.offset)}`,
          `invalid JSON: ${printParseErrorCode(e.error)}`,
          "fix the JSON syntax",
        ),
      ),
    );
  }
  const problems: string[] = [];
  const value = toValue(tree, text, file, "", problems);
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
  let raw: unknown = {};
  if (named !== undefined) {
    file = path.resolve(cwd, named);
    raw = readConfigFile(file, fromFlag !== undefined ? "--config" : ENV.config);
  } else if (fs.existsSync(path.join(cwd, DEFAULT_CONFIG_FILE))) {
    file = path.join(cwd, DEFAULT_CONFIG_FILE);
    raw = readConfigFile(file, DEFAULT_CONFIG_FILE);
  }
  const validated = validateConfig(raw, {
    profile: override(flags, env, "profile"),
    region: override(flags, env, "region"),
  });
  return { ...validated, file };
}
