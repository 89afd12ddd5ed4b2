import { Field, FieldTable } from "./field";
import { CLUSTER_FIELDS } from "./cluster-fields";
import { COMMON_FIELDS, SERVER_FIELDS } from "./fields";

/** Where the generated table sits in the README. */
export const TABLE_START = "<!-- config-table: generated from src/config/fields.ts by npm run docs -->";
export const TABLE_END = "<!-- /config-table -->";

function rows(fields: FieldTable, prefix: string): string[] {
  return Object.entries(fields).flatMap(([key, field]: [string, Field<unknown>]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const row = `| \`${path}\` | ${field.type} | ${field.defaultText} | ${field.doc} |`;
    if (field.fields) return [...(field.ownRow ? [row] : []), ...rows(field.fields, path)];
    return [row];
  });
}

/** The README's configuration table, one row per field, from the field declarations. */
export function configTable(): string {
  return [
    "| field | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...rows({ ...COMMON_FIELDS, ...SERVER_FIELDS, ...CLUSTER_FIELDS }, ""),
  ].join("\n");
}

/** The README with its configuration table replaced by the generated one. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the README has no ${TABLE_START} ... ${TABLE_END} section`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${configTable()}\n${readme.slice(end)}`;
}
