import * as fs from "node:fs";
import * as path from "node:path";
import { realmRepresentation, RealmSettings } from "./realm";
import { HTTPS_PORT, keycloakImage, KeycloakMode, keycloakUnit, PATHS } from "./unit";

/** A file cloud-init writes before the boot script runs. */
export interface BootFile {
  readonly path: string;
  readonly permissions: string;
  readonly content: string;
}

/** What the boot needs to know; every value may be a Terraform reference (it is placed in the settings file). */
export interface BootInput {
  readonly mode: KeycloakMode;
  readonly region: string;
  /** Exact tag of quay.io/keycloak/keycloak. */
  readonly keycloakVersion: string;
  /** SSM path of the generated secrets, `/<name>/keycloak`. */
  readonly parameterPrefix: string;
  readonly adminUser: string;
  /** @default - the instance's public DNS name */
  readonly hostname?: string;
  /** The Elastic IP's DNS name and address. @default - read from the instance metadata at boot */
  readonly publicDns?: string;
  readonly publicIp?: string;
  /** SSM parameters of a certificate of the user's own. @default - a self-signed certificate */
  readonly tlsCertificate?: { readonly certificateParameter: string; readonly privateKeyParameter: string };
}

/** Values the boot script reads from its settings file. */
export interface BootSettings {
  readonly PROFILE: KeycloakMode;
  readonly AWS_REGION: string;
  readonly KEYCLOAK_IMAGE: string;
  readonly PARAMETER_PREFIX: string;
  readonly ADMIN_USER: string;
  readonly HTTPS_PORT: string;
  /** Empty: the instance's public DNS name. */
  readonly KEYCLOAK_HOSTNAME: string;
  /** The Elastic IP's DNS name and address; empty: read from the instance metadata at boot. */
  readonly PUBLIC_DNS: string;
  readonly PUBLIC_IP: string;
  /** Empty: a self-signed certificate. */
  readonly TLS_CERTIFICATE_PARAMETER: string;
  readonly TLS_PRIVATE_KEY_PARAMETER: string;
}

const SCRIPTS_DIR = path.join(__dirname, "files");

/** A shell script of the boot, shipped as a real file so that shellcheck reads exactly what runs. */
function shippedFile(name: string): string {
  return fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");
}

/** The boot script, run once by cloud-init. */
export function bootScript(): string {
  return shippedFile("keycloak-boot.sh");
}

/** The memory script, run by keycloak.service before every start (`ExecStartPre`). */
export function memoryScript(): string {
  return shippedFile("keycloak-memory.sh");
}

/** Every script of the boot (src/boot/files/*.sh), installed side by side in /opt/keycloak-ec2, where they source
 * each other. */
export function bootScripts(): BootFile[] {
  return fs
    .readdirSync(SCRIPTS_DIR)
    .filter((name) => name.endsWith(".sh"))
    .sort()
    .map((name) => ({ path: `${PATHS.scriptsDir}/${name}`, permissions: "0700", content: shippedFile(name) }));
}

export function bootSettings(input: BootInput): BootSettings {
  return {
    PROFILE: input.mode,
    AWS_REGION: input.region,
    KEYCLOAK_IMAGE: keycloakImage(input.keycloakVersion),
    PARAMETER_PREFIX: input.parameterPrefix,
    ADMIN_USER: input.adminUser,
    HTTPS_PORT: String(HTTPS_PORT),
    KEYCLOAK_HOSTNAME: input.hostname ?? "",
    PUBLIC_DNS: input.publicDns ?? "",
    PUBLIC_IP: input.publicIp ?? "",
    TLS_CERTIFICATE_PARAMETER: input.tlsCertificate?.certificateParameter ?? "",
    TLS_PRIVATE_KEY_PARAMETER: input.tlsCertificate?.privateKeyParameter ?? "",
  };
}

/** The settings file, sourced by bash: every value single-quoted (none may hold a quote; config validation
 * and AWS's own formats for names and addresses guarantee it). */
export function settingsFile(settings: BootSettings): string {
  const lines = Object.entries(settings).map(([key, value]) => {
    if (value.includes("'") || value.includes("\n"))
      throw new Error(`boot setting ${key} cannot hold quotes or newlines`);
    return `${key}='${value}'`;
  });
  return `# keycloak-ec2 boot settings (no secrets: those are read from SSM Parameter Store at boot)\n${lines.join("\n")}\n`;
}

/** The files of a Keycloak boot that do not depend on Terraform values. */
export function staticBootFiles(mode: KeycloakMode, realm: RealmSettings): BootFile[] {
  return [
    ...bootScripts(),
    { path: PATHS.unit, permissions: "0644", content: keycloakUnit(mode) },
    {
      path: `${PATHS.importDir}/${realm.name}-realm.json`,
      permissions: "0644",
      content: `${JSON.stringify(realmRepresentation(realm), null, 2)}\n`,
    },
  ];
}

/** A YAML literal block: exact for text that ends in one newline and holds only printable characters. */
function literalBlock(text: string, indent: string): string {
  if (
    !text.endsWith("\n") ||
    text.endsWith("\n\n") ||
    text.startsWith(" ") ||
    /[^\t\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]/u.test(text)
  ) {
    throw new Error(
      "a boot file must end in exactly one newline, not start with a space, and hold printable text only",
    );
  }
  return `|\n${text
    .slice(0, -1)
    .split("\n")
    .map((line) => (line ? indent + line : ""))
    .join("\n")}\n`;
}

/**
 * The cloud-config document: writes the files, then runs the boot script. `escape` is applied to the content of
 * the static files (the construct passes Terraform's template escape); the settings file is placed as given.
 */
export function cloudConfig(
  settings: string,
  files: readonly BootFile[],
  escape: (text: string) => string = (text) => text,
): string {
  const entries = [
    { path: PATHS.settings, permissions: "0600", content: settings, escaped: false },
    ...files.map((f) => ({ ...f, escaped: true })),
  ];
  const writeFiles = entries.map((file) =>
    [
      `  - path: ${file.path}`,
      "    owner: root:root",
      `    permissions: '${file.permissions}'`,
      `    content: ${literalBlock(file.escaped ? escape(file.content) : file.content, "      ")}`,
    ].join("\n"),
  );
  return [
    "#cloud-config",
    "# keycloak-ec2: writes the boot settings, scripts, Keycloak unit and realm, then runs the boot script.",
    "write_files:",
    ...writeFiles.map((entry) => entry.trimEnd()),
    "runcmd:",
    `  - [${PATHS.script}]`,
    "",
  ].join("\n");
}
