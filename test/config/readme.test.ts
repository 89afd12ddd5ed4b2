import * as fs from "node:fs";
import * as path from "node:path";
import { configTable, TABLE_END, TABLE_START, withConfigTable } from "../../src/config/readme";
import { validateConfig } from "../../src/config/validate";

const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

describe("README configuration table", () => {
  it("is the one generated from the field declarations (npm run docs rewrites it)", () => {
    expect(withConfigTable(readme)).toBe(readme);
  });

  it("has a row for every leaf of a fully filled config", () => {
    // GIVEN a config with every optional field set
    const { config } = validateConfig({
      keyName: "k",
      keycloak: {
        hostname: "sso.example.com",
        tlsCertificate: { certificateParameter: "/c", privateKeyParameter: "/k" },
      },
    });
    const leaves = (value: unknown, prefix = ""): string[] =>
      typeof value !== "object" || value === null || Array.isArray(value) || prefix === "tags"
        ? [prefix]
        : Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
    // WHEN the table is generated THEN each leaf has its row
    for (const field of leaves({ ...config, backend: undefined }).filter((f) => f !== "backend")) {
      expect(configTable()).toContain(`| \`${field}\` |`);
    }
  });

  it("refuses a README without the markers", () => {
    expect(() => withConfigTable(readme.replace(TABLE_START, "").replace(TABLE_END, ""))).toThrow(
      /no <!-- config-table/,
    );
  });
});
