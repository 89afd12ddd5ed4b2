/**
 * Terraform template text (the strings of Terraform JSON) written as HCL native syntax.
 *
 * A Terraform JSON string is parsed as a bare template: `${...}` interpolates, `%{...}` is a directive, `$${` and
 * `%%{` are a literal `${` and `%{`, and nothing else is special (a backslash is just a backslash). Native syntax
 * parses a heredoc the same way, so template text goes into a heredoc verbatim; a quoted string additionally
 * decodes backslash escapes and ends at `"` or a line break, so its literal parts must be escaped, while the text
 * of its `${...}`/`%{...}` sequences, being expression syntax in both places, is copied verbatim.
 */

/** A run of literal template text (escapes such as `$${` still in it), or one whole `${...}`/`%{...}` sequence. */
export interface TemplatePart {
  readonly kind: "literal" | "sequence";
  readonly text: string;
}

/** Splits template text into literal parts and sequences, as HCL's scanner does; throws SyntaxError if malformed. */
export function splitTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literalStart = 0;
  let i = 0;
  while (i < template.length) {
    const length = introducerLength(template, i);
    if (length === 2) {
      if (i > literalStart) parts.push({ kind: "literal", text: template.slice(literalStart, i) });
      const end = sequenceEnd(template, i + 2);
      parts.push({ kind: "sequence", text: template.slice(i, end) });
      i = literalStart = end;
    } else {
      i += length;
    }
  }
  if (i > literalStart) parts.push({ kind: "literal", text: template.slice(literalStart) });
  return parts;
}

/**
 * At `i`: 2 for a sequence introducer `${`/`%{`, 3 for an escape `$${`/`%%{`, 1 for any other character
 * (HCL's scanner reads `$$${` as a literal `$` followed by the escape `$${`).
 */
function introducerLength(text: string, i: number): 1 | 2 | 3 {
  const c = text[i];
  if (c !== "$" && c !== "%") return 1;
  if (text[i + 1] === "{") return 2;
  return text[i + 1] === c && text[i + 2] === "{" ? 3 : 1;
}

/** Index just past the `}` closing the sequence whose expression text starts at `i`. */
function sequenceEnd(text: string, i: number): number {
  let depth = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i = quotedEnd(text, i + 1);
    } else if (c === "#" || text.startsWith("//", i)) {
      i = lineEnd(text, i);
    } else if (text.startsWith("/*", i)) {
      const close = text.indexOf("*/", i + 2);
      if (close < 0) throw new SyntaxError("unterminated /* comment */ in a template sequence");
      i = close + 2;
    } else if (/^<<-?[A-Za-z_]/.test(text.slice(i, i + 4))) {
      throw new SyntaxError("a heredoc inside a template sequence is not supported");
    } else {
      if (c === "{") depth++;
      if (c === "}" && --depth === 0) return i + 1;
      i++;
    }
  }
  throw new SyntaxError("unterminated template sequence (a `${` or `%{` without its `}`)");
}

/** Index just past the `"` closing a quoted template string (inside an expression) whose text starts at `i`. */
function quotedEnd(text: string, i: number): number {
  while (i < text.length) {
    const c = text[i];
    if (c === '"') return i + 1;
    if (c === "\n" || c === "\r") break;
    if (c === "\\") {
      i += 2;
      continue;
    }
    const length = introducerLength(text, i);
    i = length === 2 ? sequenceEnd(text, i + 2) : i + length;
  }
  throw new SyntaxError("unterminated quoted string in a template sequence");
}

function lineEnd(text: string, i: number): number {
  const newline = text.indexOf("\n", i);
  return newline < 0 ? text.length : newline;
}

/** The expression of a template that is exactly one interpolation `${ expr }` (value: expr's value, unconverted). */
export function soleInterpolation(parts: readonly TemplatePart[]): string | undefined {
  const [only] = parts;
  if (parts.length !== 1 || only!.kind !== "sequence" || !only!.text.startsWith("${")) return undefined;
  return only!.text.slice(2, -1).replace(/^~/, "").replace(/~$/, "").trim();
}

/** Kept out of heredocs (and escaped in quoted strings): controls, carriage return included, and invisible separators. */
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Literal template text in a native quoted string. */
function quoteLiteral(text: string): string {
  return text.replace(
    /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Template text as a native quoted string. */
export function quoteTemplate(parts: readonly TemplatePart[]): string {
  return `"${parts.map((part) => (part.kind === "literal" ? quoteLiteral(part.text) : part.text)).join("")}"`;
}

/**
 * Template text as a heredoc, where that is exact and reads better than a quoted string: two or more lines, the
 * last ended by a newline (a heredoc's value always ends with one), no carriage return (a heredoc cannot hold a
 * lone one, and CRLF line ends do not survive editors) and nothing unprintable. The closing marker is one that no
 * line equals even trimmed, as HCL's scanner trims it (Go's TrimSpace: JS's trim() but for U+0085, which is
 * unprintable here). Ends with the newline that must follow the marker.
 */
export function heredoc(template: string): string | undefined {
  if (!template.endsWith("\n") || !template.slice(0, -1).includes("\n") || UNPRINTABLE.test(template)) {
    return undefined;
  }
  const lines = new Set(template.split("\n").map((line) => line.trim()));
  const marker = ["EOT", "EOF", "END"].find((candidate) => !lines.has(candidate)) ?? nextFreeMarker(lines);
  return `<<${marker}\n${template}${marker}\n`;
}

function nextFreeMarker(lines: ReadonlySet<string>): string {
  let n = 1;
  while (lines.has(`EOT${n}`)) n++;
  return `EOT${n}`;
}

/** Whether `text` is valid Unicode (no unpaired UTF-16 surrogate, which UTF-8 HCL files cannot carry). */
export function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}
