/** Terraform JSON values and bodies as HCL native syntax (unformatted: `exportHcl` runs the formatter). */
import {
  attributeShape,
  blockBody,
  BlockSchema,
  BodySchema,
  fieldShape,
  StringMode,
  stringMode,
  ValueShape,
} from "./schema";
import { heredoc, isWellFormed, quoteTemplate, soleInterpolation, splitTemplate, TemplatePart } from "./template";
import { escapeTemplate } from "../text/template";

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** A value the writer cannot express exactly in HCL; `path` names it, e.g. `resource.aws_instance.ec2.user_data`. */
export class HclExportError extends Error {
  constructor(
    public readonly path: string,
    public readonly reason: string,
  ) {
    super(`cannot write ${path} as HCL: ${reason}`);
    this.name = "HclExportError";
  }
}

export interface RenderContext {
  /** The local-backend path to write for `path` (found at `at`). */
  readonly localPath: (path: string, at: string) => string;
}

/** HCL's identifier syntax (attribute names, bare object keys). */
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u;
/** Bare object keys that would parse as something else. */
const KEYWORDS = new Set(["true", "false", "null", "for", "in", "if"]);
/** A reference or keyword: `aws_instance.ec2`, `aws.use1`, `tags["Name"]`, `all`. */
const REFERENCE = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\.\d+|\[\d+\]|\["(?:[^"\\$%]|\\.)*"\]|\.\*|\[\*\])*$/;
/** A type constraint starts with a type keyword: `string`, `list(string)`, `object({...})`. */
const TYPE = /^[A-Za-z_][\s\S]*$/;

/** Meta-arguments placed first and last in a body, as Terraform's style guide does; the rest keep their order. */
const FIRST = new Set(["count", "for_each", "provider"]);
const LAST = new Set(["depends_on", "lifecycle", "connection", "provisioner"]);

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The blocks of one block type in a body: `type "label" ... { ... }`, each ending with a newline. */
export function renderBlocks(
  type: string,
  value: JsonValue,
  schema: BlockSchema,
  at: string,
  context: RenderContext,
): string[] {
  return blockInstances(value, schema.labels, at, []).map(({ labels, body, path }) => {
    const header = [type, ...labels.map((label) => quoteText(label, path))].join(" ");
    const content = renderBody(body, blockBody(schema, labels), path, context);
    return content ? `${header} {\n${content}}\n` : `${header} {}\n`;
  });
}

interface BlockInstance {
  readonly labels: readonly string[];
  readonly body: JsonObject;
  readonly path: string;
}

/**
 * The blocks a JSON property holds, as HCL's JSON reader finds them: one object per label level (keys are the
 * labels), then an object per block, or an array of them; null, or an empty array, is no block.
 */
function blockInstances(value: JsonValue, labelsLeft: number, at: string, labels: readonly string[]): BlockInstance[] {
  const objects = Array.isArray(value) ? value : value === null ? [] : [value];
  return objects.flatMap((object, i) => {
    const path = Array.isArray(value) ? `${at}[${i}]` : at;
    if (!isObject(object)) throw new HclExportError(path, "a block must be a JSON object (or an array of objects)");
    if (labelsLeft === 0) return [{ labels, body: object, path }];
    return Object.entries(object)
      .filter(([label]) => label !== "//")
      .flatMap(([label, inner]) => blockInstances(inner, labelsLeft - 1, `${path}.${label}`, [...labels, label]));
  });
}

/** A body's attributes and nested blocks, one per line; cdktf's `//` comments are dropped. */
function renderBody(body: JsonObject, schema: BodySchema, at: string, context: RenderContext): string {
  const rank = (name: string) => (FIRST.has(name) ? 0 : LAST.has(name) ? 3 : schema.blocks?.[name] ? 2 : 1);
  const order = schema.order ?? [];
  const position = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return Object.keys(body)
    .filter((name) => name !== "//")
    .sort((a, b) => rank(a) - rank(b) || position(a) - position(b))
    .flatMap((name) => {
      const path = `${at}.${name}`;
      const block = schema.blocks?.[name];
      if (block) return renderBlocks(name, body[name]!, block, path, context);
      if (!IDENTIFIER.test(name)) throw new HclExportError(path, "an argument name must be an identifier");
      return [`${name} = ${renderValue(body[name]!, attributeShape(schema, name), path, context)}`];
    })
    .map(endLine)
    .join("");
}

/** An expression for a JSON value whose strings are read as `shape` says. */
export function renderValue(value: JsonValue, shape: ValueShape, at: string, context: RenderContext): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new HclExportError(at, `${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (typeof value === "string") return renderString(value, stringMode(shape), at, context);
  if (Array.isArray(value))
    return renderTuple(
      value.map((element, i) => renderValue(element, shape, `${at}[${i}]`, context)),
      value,
    );
  if (isObject(value)) {
    const keyMode = shape === "template" ? "template" : "literal";
    const items = Object.entries(value).map(
      ([key, field]) =>
        `${renderKey(key, keyMode, at)} = ${renderValue(field, fieldShape(shape, key), `${at}.${key}`, context)}`,
    );
    return items.length ? `{\n${items.map(endLine).join("")}}` : "{}";
  }
  throw new HclExportError(at, `${typeof value} is not a JSON value`);
}

/** Scalars on one line; anything else one element per line (a heredoc's closing marker line cannot hold the comma). */
function renderTuple(elements: readonly string[], values: readonly JsonValue[]): string {
  const inline =
    values.every((value) => typeof value !== "object" || value === null) && elements.every((e) => !e.includes("\n"));
  if (inline && elements.join(", ").length <= 100) return `[${elements.join(", ")}]`;
  return `[\n${elements.map((element) => endLine(`${element},`)).join("")}]`;
}

function renderString(text: string, mode: StringMode, at: string, context: RenderContext): string {
  switch (mode) {
    case "template":
      return renderTemplate(text, at);
    case "literal":
      return renderLiteral(text, at);
    case "providerSource":
      // Terraform reads a source address without a namespace as one in the `hashicorp` namespace.
      return renderLiteral(text.includes("/") ? text : `hashicorp/${text}`, at);
    case "localPath":
      return renderLiteral(context.localPath(text, at), at);
    case "reference":
      return renderBare(text, REFERENCE, "a reference", at);
    case "type":
      return renderBare(text, TYPE, "a type constraint", at);
  }
}

/** A template: `${expr}` alone as the bare expression (the same value), else a heredoc or a quoted string. */
function renderTemplate(template: string, at: string): string {
  const parts = templateParts(template, at);
  const expression = soleInterpolation(parts);
  // An interpolation may span lines; a bare expression ends at the first line break outside brackets.
  if (expression && !/[\r\n]/.test(expression)) return expression;
  return heredoc(template) ?? quoteTemplate(parts);
}

/** Text taken verbatim: a template with no sequences. */
function renderLiteral(text: string, at: string): string {
  return heredoc(escapeTemplate(checkText(text, at))) ?? quoteText(text, at);
}

/** Text taken verbatim as a quoted string (also a block label, which cannot be a template). */
function quoteText(text: string, at: string): string {
  return quoteTemplate([{ kind: "literal", text: escapeTemplate(checkText(text, at)) }]);
}

/** A reference or type given as `expr` or `${expr}`, written bare. */
function renderBare(text: string, syntax: RegExp, what: string, at: string): string {
  const expression = soleInterpolation(templateParts(text, at)) ?? text;
  if (!syntax.test(expression)) throw new HclExportError(at, `${JSON.stringify(text)} is not ${what}`);
  return expression;
}

/** An object key: a bare identifier where that reads the same, else a quoted template. */
function renderKey(key: string, mode: "template" | "literal", at: string): string {
  const template = mode === "template" ? key : escapeTemplate(key);
  if (IDENTIFIER.test(template) && !KEYWORDS.has(template)) return template;
  return quoteTemplate(templateParts(template, at));
}

function templateParts(template: string, at: string): TemplatePart[] {
  try {
    return splitTemplate(checkText(template, at));
  } catch (error) {
    if (error instanceof SyntaxError) throw new HclExportError(at, `${error.message} in ${JSON.stringify(template)}`);
    throw error;
  }
}

function checkText(text: string, at: string): string {
  if (!isWellFormed(text))
    throw new HclExportError(at, "the string holds an unpaired UTF-16 surrogate, which no UTF-8 file can");
  return text;
}

function endLine(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
