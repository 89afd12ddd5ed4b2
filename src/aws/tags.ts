/**
 * What AWS accepts in a tag that reaches every service. The config's tags go to the AWS provider's `default_tags`,
 * so they land on the IAM role and instance profile and on the SSM parameters as well as on the EC2 resources, and
 * the strictest of those services decides:
 *
 * - EC2 accepts any character (User Guide, *Tag restrictions*: "Although EC2 allows for any character in its tags,
 *   other AWS services are more restrictive"), keys up to 127 characters (EC2 API reference, `Tag`; the User Guide
 *   says 128), values up to 256.
 * - IAM (API reference, `Tag`): keys 1-128 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, values 0-256 of the same set;
 *   tag keys of roles and users are not case sensitive ("you cannot have separate Department and department tag
 *   keys", IAM User Guide, *Tagging IAM resources*).
 * - SSM (`AddTagsToResource` model): the same set, keys not starting with `aws:`, values 1-256: no empty value.
 *
 * Hence: Unicode letters, digits and spaces and `_ . : / = + - @`, keys 1-127, values 1-256, no `aws:` prefix.
 */

/** One character IAM and SSM accept in a tag key or value. */
const TAG_CHARACTER = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]$/u;

/** The allowed characters, as a README or an error message says them. */
export const TAG_CHARACTERS_TEXT = "letters, digits, spaces and _ . : / = + - @";

/** Longest tag key: the EC2 API reference's 127 (IAM and SSM allow 128). */
export const TAG_KEY_MAX = 127;

/** Longest tag value. */
export const TAG_VALUE_MAX = 256;

/** Length in Unicode characters (code points), as AWS counts it, not in UTF-16 units. */
export function unicodeLength(text: string): number {
  return [...text].length;
}

/** The characters of `text` that IAM and SSM refuse in a tag, each once, in order of first appearance. */
export function badTagCharacters(text: string): string[] {
  return [...new Set([...text].filter((c) => !TAG_CHARACTER.test(c)))];
}

/** `text` without the characters IAM and SSM refuse (runs of spaces made one, ends trimmed): a suggestion. */
export function withoutBadTagCharacters(text: string): string {
  return [...text]
    .filter((c) => TAG_CHARACTER.test(c))
    .join("")
    .replace(/\p{Z}{2,}/gu, " ")
    .trim();
}

/** How a list of characters reads in a message: `"(", "&", ")"`; control characters escaped. */
export function quoteCharacters(characters: readonly string[]): string {
  return characters.map((c) => JSON.stringify(c)).join(", ");
}
