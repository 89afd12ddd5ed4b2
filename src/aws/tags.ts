/**
 * What AWS accepts in a tag that reaches every service. The config's tags go to the AWS provider's `default_tags`,
 * so they land on the IAM role and instance profile, the SSM parameters, the DLM snapshot policy and the S3 objects
 * as well as on the EC2 resources, and the strictest of those services decides:
 *
 * - EC2 accepts any character (User Guide, *Tag restrictions*: "Although EC2 allows for any character in its tags,
 *   other AWS services are more restrictive"), keys up to 127 characters (EC2 API reference, `Tag`; the User Guide
 *   says 128), values up to 256.
 * - IAM (API reference, `Tag`): keys 1-128 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, values 0-256 of the same set;
 *   tag keys of roles and users are not case sensitive ("you cannot have separate Department and department tag
 *   keys", IAM User Guide, *Tagging IAM resources*).
 * - SSM (`AddTagsToResource` model): the same set, keys not starting with `aws:`, values 1-256: no empty value.
 * - DLM (API reference, `LifecyclePolicy`, `Tags`): keys `^(?!aws:)[a-zA-Z+-=._:/]+$` (the range `+-=` holds
 *   `+ , - . /`, the digits and `: ; < =`): no spaces, no `@`, no letters beyond ASCII; values any character, 0-256.
 * - S3 objects: at most 10 tags (`S3_OBJECT_TAGS_MAX`).
 *
 * Hence: keys of ASCII letters, digits and `_ . : / = + -` (IAM's set within DLM's), 1-127, no `aws:` prefix;
 * values of Unicode letters, digits and spaces and `_ . : / = + - @`, 1-256.
 */

/** One character IAM, SSM and DLM accept in a tag key. */
const TAG_KEY_CHARACTER = /^[A-Za-z0-9_.:/=+-]$/;

/** One character IAM and SSM accept in a tag value. */
const TAG_VALUE_CHARACTER = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]$/u;

/** A tag's key or its value, which take different characters. */
export type TagPart = "key" | "value";

const TAG_CHARACTER: Readonly<Record<TagPart, RegExp>> = { key: TAG_KEY_CHARACTER, value: TAG_VALUE_CHARACTER };

/** The characters allowed in a key, as a README or an error message says them. */
export const TAG_KEY_CHARACTERS_TEXT = "ASCII letters, digits and _ . : / = + -";

/** The characters allowed in a value, as a README or an error message says them. */
export const TAG_VALUE_CHARACTERS_TEXT = "letters, digits, spaces and _ . : / = + - @";

/** Most tags on one S3 object (S3 User Guide, *Categorizing your objects using tags*). */
export const S3_OBJECT_TAGS_MAX = 10;

/** Longest tag key: the EC2 API reference's 127 (IAM and SSM allow 128). */
export const TAG_KEY_MAX = 127;

/** Longest tag value. */
export const TAG_VALUE_MAX = 256;

/** Length in Unicode characters (code points), as AWS counts it, not in UTF-16 units. */
export function unicodeLength(text: string): number {
  return [...text].length;
}

/** The characters of `text` that AWS refuses in a tag's `part`, each once, in order of first appearance. */
export function badTagCharacters(text: string, part: TagPart = "value"): string[] {
  return [...new Set([...text].filter((c) => !TAG_CHARACTER[part].test(c)))];
}

/**
 * `text` without the characters AWS refuses in a tag's `part`, as a suggestion, ends trimmed. In a value, runs of
 * spaces are made one; in a key, accents are dropped from letters ("Équipe" becomes "Equipe") and spaces made dashes.
 */
export function withoutBadTagCharacters(text: string, part: TagPart = "value"): string {
  if (part === "key")
    return [...text.normalize("NFD").replace(/\p{M}/gu, "")]
      .filter((c) => /\p{Z}/u.test(c) || TAG_KEY_CHARACTER.test(c))
      .join("")
      .trim()
      .replace(/\p{Z}+/gu, "-");
  return [...text]
    .filter((c) => TAG_VALUE_CHARACTER.test(c))
    .join("")
    .replace(/\p{Z}{2,}/gu, " ")
    .trim();
}

/** How a list of characters reads in a message: `"(", "&", ")"`; control characters escaped. */
export function quoteCharacters(characters: readonly string[]): string {
  return characters.map((c) => JSON.stringify(c)).join(", ");
}
