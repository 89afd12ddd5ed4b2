import { configProblem } from "../errors";
import { nearest } from "../text/nearest";
import type { Profile } from "./profiles";

/** Collects every problem of a config so that the user sees them all at once. */
export class Problems {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];

  add(field: string, problem: string, fix: string): undefined {
    this.lines.push(configProblem(field, problem, fix));
    return undefined;
  }

  warn(field: string, message: string): void {
    this.warnings.push(`config warning: ${field}: ${message}`);
  }
}

/** What a field's reader knows besides its raw value. */
export interface ReadContext {
  readonly problems: Problems;
  /** The profile in force (read first: defaults and some rules depend on it). */
  readonly profile: Profile;
  /** The deployment's name (read second: some defaults are made from it). */
  readonly name: string;
}

/**
 * One configuration field, declared once: how the README documents it and how a raw JSON value becomes the value in
 * force. `read` reports problems to the context and returns the default when the value is absent or wrong, so that
 * every problem of a file is found in one pass.
 */
export interface Field<T> {
  /** README: the type as users write it. */
  readonly type: string;
  /** README: the default, in words. */
  readonly defaultText: string;
  /** README: what the field means. */
  readonly doc: string;
  readonly read: (raw: unknown, at: string, context: ReadContext) => T;
  /** An object field's own fields: the README lists these instead of the object. */
  readonly fields?: FieldTable;
  /** README: give an object field a row of its own too, before its fields' (when it takes a value of its own). */
  readonly ownRow?: boolean;
}

export type FieldTable = Readonly<Record<string, Field<unknown>>>;

/** The values a table of fields reads into. */
export type ValuesOf<F extends FieldTable> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** How a value looks in an error message. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return String(value);
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const join = (at: string, key: string) => (at ? `${at}.${key}` : key);

/** Reports keys that are not fields here, with the nearest known one. */
export function checkKeys(
  object: Record<string, unknown>,
  at: string,
  allowed: readonly string[],
  problems: Problems,
): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const hint = nearest(key, allowed);
    problems.add(
      join(at, key),
      "unknown field",
      hint ? `did you mean "${hint}"?` : `known fields here: ${allowed.join(", ")}`,
    );
  }
}

/** Terraform would read `${` and `%{` in a value as a template: no config string may hold them. */
export function templateProblem(text: string): string | undefined {
  return /[$%]\{/.test(text) ? `"${text}" holds "\${" or "%{", which Terraform reads as a template` : undefined;
}

/** A check of a string against one of AWS's name rules: a pattern and a length in Unicode characters. */
export function nameRule(pattern: RegExp, max: number, rule: string) {
  return (text: string): string | undefined => {
    const length = [...text].length;
    if (length === 0) return "is empty";
    if (length > max) return `is ${length} characters long, more than ${max}`;
    if (!pattern.test(text)) return `"${text}" ${rule}`;
    return undefined;
  };
}

/** A raw string, or undefined after reporting why it is not one. */
export function readString(
  raw: unknown,
  at: string,
  problems: Problems,
  check?: (text: string) => string | undefined,
  fix = "see the README's configuration table",
): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string")
    return problems.add(at, `must be a string, got ${describe(raw)}`, 'write it in "quotes"');
  const template = templateProblem(raw);
  if (template) return problems.add(at, template, 'remove "${" and "%{"');
  const problem = check?.(raw);
  if (problem) return problems.add(at, problem, fix);
  return raw;
}

/** A raw list of strings, each checked (and unique); undefined after reporting any problem. */
export function readStringList(
  raw: unknown,
  at: string,
  problems: Problems,
  checkItem: (item: string, itemAt: string) => void,
): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) return problems.add(at, `must be a list, got ${describe(raw)}`, 'write ["..."]');
  const before = problems.lines.length;
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const itemAt = `${at}[${i}]`;
    if (typeof item !== "string")
      return problems.add(itemAt, `must be a string, got ${describe(item)}`, 'write it in "quotes"');
    if (seen.has(item)) return problems.add(itemAt, `"${item}" is listed twice`, "list it once");
    seen.add(item);
    const template = templateProblem(item);
    if (template) return problems.add(itemAt, template, 'remove "${" and "%{"');
    checkItem(item, itemAt);
  });
  return problems.lines.length === before ? (raw as string[]) : undefined;
}

/** The raw value of one of `allowed`, with the nearest suggested otherwise. */
export function readOneOf<T extends string>(
  raw: unknown,
  at: string,
  allowed: readonly T[],
  problems: Problems,
): T | undefined {
  const text = readString(raw, at, problems);
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  const hint = nearest(text, allowed);
  return problems.add(
    at,
    `"${text}" is not one of ${allowed.join(", ")}`,
    hint ? `did you mean "${hint}"?` : `use one of ${allowed.join(", ")}`,
  );
}

interface Documented<T> {
  readonly doc: string;
  readonly defaultText: string;
  /** The value when the field is absent (or wrong). */
  readonly default: (context: ReadContext) => T;
}

/** A string field. */
export function stringField<T extends string | undefined>(
  spec: Documented<T> & {
    readonly type?: string;
    readonly check?: (text: string, context: ReadContext) => string | undefined;
    readonly fix?: string;
    readonly normalize?: (text: string) => string;
  },
): Field<T | string> {
  return {
    type: spec.type ?? "string",
    doc: spec.doc,
    defaultText: spec.defaultText,
    read: (raw, at, context) => {
      const text = readString(raw, at, context.problems, spec.check && ((t) => spec.check!(t, context)), spec.fix);
      return text === undefined ? spec.default(context) : (spec.normalize?.(text) ?? text);
    },
  };
}

/** A field that is one of a few words. */
export function oneOfField<T extends string>(allowed: readonly T[], spec: Documented<T>): Field<T> {
  return {
    type: allowed.map((value) => `\`"${value}"\``).join(" \\| "),
    doc: spec.doc,
    defaultText: spec.defaultText,
    read: (raw, at, context) => readOneOf(raw, at, allowed, context.problems) ?? spec.default(context),
  };
}

export function booleanField(spec: Documented<boolean>): Field<boolean> {
  return {
    type: "boolean",
    doc: spec.doc,
    defaultText: spec.defaultText,
    read: (raw, at, context) => {
      if (raw === undefined) return spec.default(context);
      if (typeof raw === "boolean") return raw;
      context.problems.add(at, `must be true or false, got ${describe(raw)}`, "write true or false without quotes");
      return spec.default(context);
    },
  };
}

export function integerField(
  spec: Documented<number> & {
    readonly type: string;
    readonly min: number;
    readonly max: number;
    readonly unit: string;
    readonly example: number;
  },
): Field<number> {
  return {
    type: spec.type,
    doc: spec.doc,
    defaultText: spec.defaultText,
    read: (raw, at, context) => {
      if (raw === undefined) return spec.default(context);
      if (typeof raw === "number" && Number.isInteger(raw) && raw >= spec.min && raw <= spec.max) return raw;
      context.problems.add(
        at,
        `must be a whole number of ${spec.unit} from ${spec.min} to ${spec.max}, got ${describe(raw)}`,
        `write e.g. ${spec.example}`,
      );
      return spec.default(context);
    },
  };
}

/** A list of strings, each checked by `checkItem` (which reports through the context). */
export function stringListField(
  spec: Documented<readonly string[]> & {
    readonly type: string;
    readonly checkItem: (item: string, at: string, context: ReadContext) => void;
    readonly check?: (list: readonly string[], at: string, context: ReadContext) => boolean;
  },
): Field<readonly string[]> {
  return {
    type: spec.type,
    doc: spec.doc,
    defaultText: spec.defaultText,
    read: (raw, at, context) => {
      const list = readStringList(raw, at, context.problems, (item, itemAt) => spec.checkItem(item, itemAt, context));
      if (list === undefined || (spec.check && !spec.check(list, at, context))) return spec.default(context);
      return list;
    },
  };
}

/** Reads every field of a table from a raw object (absent fields take their defaults). */
export function readTable<F extends FieldTable>(
  fields: F,
  raw: Record<string, unknown>,
  at: string,
  context: ReadContext,
): ValuesOf<F> {
  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) values[key] = field.read(raw[key], join(at, key), context);
  return values as ValuesOf<F>;
}

/** An object of fields; `check` adds rules across them. */
export function objectField<F extends FieldTable>(
  fields: F,
  spec: { readonly doc: string; readonly check?: (value: ValuesOf<F>, at: string, context: ReadContext) => void },
): Field<ValuesOf<F>> {
  return {
    type: "object",
    doc: spec.doc,
    defaultText: "",
    fields,
    read: (raw, at, context) => {
      let object: Record<string, unknown> = {};
      if (isJsonObject(raw)) object = raw;
      else if (raw !== undefined) context.problems.add(at, `must be an object, got ${describe(raw)}`, "write { ... }");
      checkKeys(object, at, Object.keys(fields), context.problems);
      const value = readTable(fields, object, at, context);
      spec.check?.(value, at, context);
      return value;
    },
  };
}
