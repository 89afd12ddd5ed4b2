import * as fs from "node:fs";
import * as path from "node:path";
import { validateConfig } from "../../src/config/validate";

// Every config field that validation accepts must have a row in the README's configuration table.
const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
const documented = new Set([...readme.matchAll(/^\| `([^`]+)`(?: \/ `([^`]+)`)?|, `([^`]+)`/gm)].flatMap((m) => m.slice(1).filter(Boolean)));

/** Dotted paths of the leaves of a fully filled config. */
function leaves(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value) || prefix === "tags") return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

describe("README configuration table", () => {
  const full = validateConfig({
    keyName: "k", region: "eu-west-3",
    keycloak: { hostname: "sso.example.com", tlsCertificate: { certificateParameter: "/c", privateKeyParameter: "/k" } },
  }).config;
  const backends = [
    { type: "local", path: "s.tfstate" },
    { type: "s3", bucket: "my-state", key: "k", region: "eu-west-3", kmsKeyId: "alias/x", dynamodbTable: "locks", profile: "p" },
    { type: "cloud", organization: "o", workspace: "w", hostname: "tfe.example.com" },
    { type: "cloud", organization: "o", workspaceTags: ["t"] },
  ];
  const fields = new Set([...leaves({ ...full, backend: undefined }), ...backends.flatMap((b) => leaves(validateConfig({ backend: b }).config.backend, "backend"))]);
  fields.delete("backend");

  it.each([...fields])("documents %s", (field) => {
    expect(documented).toContain(field);
  });
});
