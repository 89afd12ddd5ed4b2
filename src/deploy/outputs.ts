import * as fs from "node:fs";
import * as path from "node:path";
import { problemLine, UserError } from "../errors";

/**
 * The deployment's outputs (keycloak_url, admin_console_url, ...), as cdktf writes them to the outputs file on deploy
 * and output: where the file is, reading it, and showing it.
 */

/** Where deploy and output keep the outputs: outside cdktf.out, which every synth replaces wholesale. */
export function outputsFilePath(root: string, name: string): string {
  return path.join(root, `${name}.outputs.json`);
}

/** The outputs of stack `name` in an outputs file written by cdktf (`{ "<stack>": { "<output>": value } }`). */
export function readOutputs(file: string, name: string): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    const what = (error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : "unreadable";
    throw new UserError(
      problemLine(
        "output",
        file,
        what,
        "run npm run deploy, or npm run output to fetch the outputs from the Terraform state",
      ),
    );
  }
  const outputs = (parsed as Record<string, unknown> | null)?.[name];
  if (typeof outputs !== "object" || outputs === null) {
    throw new UserError(
      problemLine(
        "output",
        file,
        `no outputs for stack "${name}"`,
        "run npm run output to fetch them from the Terraform state",
      ),
    );
  }
  return outputs as Record<string, unknown>;
}

/** The outputs worth reading first, in the order a person uses them; any others follow alphabetically. */
const OUTPUT_ORDER = [
  "instance_ip",
  "instance_dns",
  "keycloak_url",
  "admin_console_url",
  "realm_issuer_url",
  "admin_password_parameter",
  "admin_password_command",
  "session_manager_command",
  "ssh_command",
];

/** `name  value`, one line each, names aligned. (cdktf leaves sensitive outputs out of the file.) */
export function formatOutputs(outputs: Readonly<Record<string, unknown>>): string[] {
  const rank = (name: string) => (OUTPUT_ORDER.includes(name) ? OUTPUT_ORDER.indexOf(name) : OUTPUT_ORDER.length);
  const names = Object.keys(outputs).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const width = Math.max(0, ...names.map((n) => n.length));
  return names.map((name) => {
    const value = outputs[name];
    return `${name.padEnd(width)}  ${typeof value === "string" ? value : JSON.stringify(value)}`;
  });
}

/** The keycloak_url output (dev and production), which the wait polls. */
export function keycloakUrlFrom(outputs: Readonly<Record<string, unknown>>, file: string): string {
  const url = outputs.keycloak_url;
  if (typeof url !== "string") {
    throw new UserError(
      problemLine(
        "output",
        "keycloak_url",
        `not in ${file}`,
        "run npm run output to refresh the file from the Terraform state, or pass --url",
      ),
    );
  }
  return url;
}
