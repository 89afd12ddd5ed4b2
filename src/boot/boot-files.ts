import * as fs from "node:fs";
import * as path from "node:path";
import { TlsMode } from "../defaults";
import { BACKUP_PATHS, backupService, backupTimer } from "./backup";
import { acmeIssuerKey, CADDY_IMAGE, caddyfile, PROXY_PATHS, proxyUnit } from "./proxy";
import { realmRepresentation, RealmSettings } from "./realm";
import { keycloakImage, KeycloakMode, keycloakUnit, PATHS } from "./unit";

/** A file cloud-init writes before the boot script runs. */
export interface BootFile {
  readonly path: string;
  readonly permissions: string;
  readonly content: string;
}

/**
 * What the boot needs to know; every value may be a Terraform reference (it is placed in the settings file). The
 * fields marked "dev and production" are those of one instance behind its own proxy; "cluster" those of a node behind
 * the load balancer, on RDS. A field of the other kind is refused (bootSettings), so neither mode silently drops one.
 */
export interface BootInput {
  readonly mode: KeycloakMode;
  readonly region: string;
  /** Exact tag of quay.io/keycloak/keycloak. */
  readonly keycloakVersion: string;
  /** SSM path of the generated secrets, `/<name>/keycloak`. */
  readonly parameterPrefix: string;
  readonly adminUser: string;
  /** The name Keycloak is reached at (`https://<hostname>`); required by the cluster. @default - the Elastic IP
   * (`https://<address>`) */
  readonly hostname?: string;
  /** dev and production (required there): how the proxy gets its certificate (acme: these ACME settings). The
   * cluster's load balancer terminates TLS with its ACM certificate. */
  readonly tls?: {
    readonly mode: TlsMode;
    /** @default - Let's Encrypt's production directory */
    readonly acmeDirectory?: string;
    /** @default - "shortlived" for the Elastic IP, the CA's default for a hostname */
    readonly acmeProfile?: string;
    /** The ACME account's contact. @default - none */
    readonly acmeEmail?: string;
  };
  /**
   * dev and production (required there): who may reach /admin/ and the master realm: IPv4/IPv6 CIDRs separated by
   * single spaces (may be a Terraform reference); empty: nobody. The cluster's load balancer rules do this.
   */
  readonly adminCidrs?: string;
  /** dev and production: the Elastic IP's DNS name and address. @default - read from the instance metadata at boot */
  readonly publicDns?: string;
  readonly publicIp?: string;
  /** SSM parameters of a certificate of the user's own: required by, and only read in, tls.mode "supplied".
   * @default - none */
  readonly tlsCertificate?: { readonly certificateParameter: string; readonly privateKeyParameter: string };
  /** dev and production: the data volume (its id, `vol-...`) and the device name it is attached as. @default - none:
   * data on the root volume */
  readonly dataVolume?: { readonly volumeId: string; readonly deviceName: string };
  /** production: where the logical backups go: bucket name and key prefix. @default - no logical backups */
  readonly backups?: { readonly bucket: string; readonly prefix: string };
  /** Where the boot reports what it last did (`npm run wait` reads it): bucket name and object key. The cluster
   * requires it: its nodes also share, beside it, the hash of the realm last applied (`realm.sha256`). @default - no
   * report */
  readonly status?: { readonly bucket: string; readonly key: string };
  /** cluster (required there): the database, RDS for PostgreSQL or Aurora, whose database `keycloak` Keycloak uses
   * as its master user `keycloak`, with the password of the SSM parameter `<parameterPrefix>/db-password`. */
  readonly database?: {
    /** The endpoint's host name (no port): the name its TLS certificate holds. */
    readonly endpoint: string;
    /** Its port (a string, as Terraform references are). */
    readonly port: string;
  };
  /** cluster (required there): CIDRs whose X-Forwarded-* headers Keycloak reads, those of the VPC where the load
   * balancer's nodes are, separated by single spaces (may be a Terraform reference). */
  readonly trustedProxyCidrs?: string;
  /** cluster (required there): the Auto Scaling group's launch lifecycle hook, which the boot completes (CONTINUE once
   * the node applied its configuration, ABANDON when it failed). */
  readonly launchHook?: { readonly groupName: string; readonly hookName: string };
}

/**
 * Values the boot script reads from its settings file. Those of one mode only are absent in the other, so that a
 * single instance's settings file is what it was before the cluster came.
 */
export interface BootSettings {
  readonly PROFILE: KeycloakMode;
  readonly AWS_REGION: string;
  readonly KEYCLOAK_IMAGE: string;
  readonly PARAMETER_PREFIX: string;
  readonly ADMIN_USER: string;
  /** Empty: Keycloak is reached at the Elastic IP (PUBLIC_IP). */
  readonly KEYCLOAK_HOSTNAME: string;
  /** dev and production. */
  readonly TLS_MODE?: TlsMode;
  /** Empty: an ACME account without contact. */
  readonly ACME_EMAIL?: string;
  /** Where Caddy stores the configured ACME CA's certificates ({@link acmeIssuerKey}); empty outside acme mode. */
  readonly ACME_ISSUER_KEY?: string;
  /** Space-separated CIDRs that may reach /admin/ and the master realm; empty: nobody. */
  readonly ADMIN_CIDRS?: string;
  /** The proxy's image, pulled by the boot. */
  readonly PROXY_IMAGE?: string;
  /** The Elastic IP's DNS name and address; empty: read from the instance metadata at boot. */
  readonly PUBLIC_DNS?: string;
  readonly PUBLIC_IP?: string;
  /** Set in the supplied TLS mode only. */
  readonly TLS_CERTIFICATE_PARAMETER?: string;
  readonly TLS_PRIVATE_KEY_PARAMETER?: string;
  /** Empty: no data volume. */
  readonly DATA_VOLUME_ID?: string;
  readonly DATA_DEVICE?: string;
  /** Empty: no logical backups. */
  readonly BACKUP_BUCKET?: string;
  readonly BACKUP_PREFIX?: string;
  /** Empty: no status report (the cluster always has one). */
  readonly STATUS_BUCKET: string;
  /** The instance's report (not a cluster's: its nodes report under NODE_STATUS_PREFIX). */
  readonly STATUS_KEY?: string;
  /** cluster: each node's report is `<prefix><instance id>.json`. */
  readonly NODE_STATUS_PREFIX?: string;
  /** cluster: the database's endpoint host and port (see BootInput.database). */
  readonly DB_ENDPOINT?: string;
  readonly DB_PORT?: string;
  /** cluster: space-separated CIDRs whose forwarding headers Keycloak reads. */
  readonly TRUSTED_PROXY_CIDRS?: string;
  /** cluster: the object, in STATUS_BUCKET, holding the SHA-256 of the realm last applied by any node. */
  readonly REALM_HASH_KEY?: string;
  /** cluster: the Auto Scaling group and its launch lifecycle hook, which the boot completes. */
  readonly GROUP_NAME?: string;
  readonly LAUNCH_HOOK?: string;
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

/** An ACME contact as Docker's env file and the Caddyfile's quoted placeholder carry it: one word, no quotes. */
const ACME_EMAIL = /^[^\s"'\\]+@[^\s"'\\]+$/;

/** Throws on a TLS setting the boot could not apply, naming it. */
function checkTls(input: BootInput): void {
  if (input.tls === undefined) throw new Error(`mode "${input.mode}" needs tls (how the proxy gets its certificate)`);
  const { mode, acmeEmail } = input.tls;
  if (mode === "supplied" && input.tlsCertificate === undefined)
    throw new Error('tls.mode "supplied" needs tlsCertificate (the SSM parameters of the certificate and its key)');
  if (mode !== "supplied" && input.tlsCertificate !== undefined)
    throw new Error(`tlsCertificate is only read with tls.mode "supplied", not "${mode}"`);
  if (acmeEmail !== undefined && acmeEmail !== "" && !ACME_EMAIL.test(acmeEmail))
    throw new Error(
      `tls.acmeEmail must be an email address without spaces or quotes, got ${JSON.stringify(acmeEmail)}`,
    );
}

/** The fields of one instance behind its own proxy, which a cluster node does not read. */
export const INSTANCE_FIELDS = [
  "tls",
  "adminCidrs",
  "publicDns",
  "publicIp",
  "tlsCertificate",
  "dataVolume",
  "backups",
] as const;
/** The fields of a cluster node, which one instance does not read. */
export const CLUSTER_FIELDS = ["database", "trustedProxyCidrs", "launchHook"] as const;

/** Throws on an input the boot of its mode could not apply, or would ignore in part, naming the field. */
function checkInput(input: BootInput): void {
  if (input.mode !== "cluster") {
    for (const field of CLUSTER_FIELDS)
      if (input[field] !== undefined) throw new Error(`${field} is only read in mode "cluster", not "${input.mode}"`);
    if (input.adminCidrs === undefined) throw new Error(`mode "${input.mode}" needs adminCidrs`);
    checkTls(input);
    return;
  }
  for (const field of INSTANCE_FIELDS)
    if (input[field] !== undefined)
      throw new Error(`${field} is not read in mode "cluster" (the load balancer and RDS do its work)`);
  const missing = [
    ["hostname", input.hostname],
    ["database", input.database],
    ["trustedProxyCidrs", input.trustedProxyCidrs],
    ["status", input.status],
    ["launchHook", input.launchHook],
  ].filter(([, value]) => value === undefined || value === "");
  if (missing.length > 0) throw new Error(`mode "cluster" needs ${missing.map(([name]) => name).join(", ")}`);
}

/** `name` in the folder of the boot's report. */
function besideStatusKey(statusKey: string, name: string): string {
  const slash = statusKey.lastIndexOf("/");
  return `${slash < 0 ? "" : statusKey.slice(0, slash + 1)}${name}`;
}

/** The object beside the boot's report where the cluster's nodes keep the hash of the realm last applied. */
export const realmHashKey = (statusKey: string): string => besideStatusKey(statusKey, "realm.sha256");

/** Where each cluster node reports, `<prefix><instance id>.json` beside the boot's report: one report per node, so
 * that one node's failure is not overwritten by another's success. */
export const nodeStatusPrefix = (statusKey: string): string => besideStatusKey(statusKey, "nodes/");

export function bootSettings(input: BootInput): BootSettings {
  checkInput(input);
  const common = {
    PROFILE: input.mode,
    AWS_REGION: input.region,
    KEYCLOAK_IMAGE: keycloakImage(input.keycloakVersion),
    PARAMETER_PREFIX: input.parameterPrefix,
    ADMIN_USER: input.adminUser,
    KEYCLOAK_HOSTNAME: input.hostname ?? "",
  };
  if (input.mode === "cluster") {
    // checkInput: all present.
    const database = input.database!;
    const status = input.status!;
    return {
      ...common,
      STATUS_BUCKET: status.bucket,
      NODE_STATUS_PREFIX: nodeStatusPrefix(status.key),
      DB_ENDPOINT: database.endpoint,
      DB_PORT: database.port,
      TRUSTED_PROXY_CIDRS: input.trustedProxyCidrs!,
      REALM_HASH_KEY: realmHashKey(status.key),
      GROUP_NAME: input.launchHook!.groupName,
      LAUNCH_HOOK: input.launchHook!.hookName,
    };
  }
  const tls = input.tls!;
  return {
    ...common,
    TLS_MODE: tls.mode,
    ACME_EMAIL: tls.acmeEmail ?? "",
    ACME_ISSUER_KEY: tls.mode === "acme" ? acmeIssuerKey(tls.acmeDirectory) : "",
    ADMIN_CIDRS: input.adminCidrs!,
    PROXY_IMAGE: CADDY_IMAGE,
    PUBLIC_DNS: input.publicDns ?? "",
    PUBLIC_IP: input.publicIp ?? "",
    TLS_CERTIFICATE_PARAMETER: input.tlsCertificate?.certificateParameter ?? "",
    TLS_PRIVATE_KEY_PARAMETER: input.tlsCertificate?.privateKeyParameter ?? "",
    DATA_VOLUME_ID: input.dataVolume?.volumeId ?? "",
    DATA_DEVICE: input.dataVolume?.deviceName ?? "",
    BACKUP_BUCKET: input.backups?.bucket ?? "",
    BACKUP_PREFIX: input.backups?.prefix ?? "",
    STATUS_BUCKET: input.status?.bucket ?? "",
    STATUS_KEY: input.status?.key ?? "",
  };
}

/** The settings file, sourced by bash: every value single-quoted (none may hold a quote; config validation
 * and AWS's own formats for names and addresses guarantee it). */
export function settingsFile(settings: BootSettings): string {
  const entries = Object.entries(settings).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const lines = entries.map(([key, value]) => {
    if (value.includes("'") || value.includes("\n"))
      throw new Error(`boot setting ${key} cannot hold quotes or newlines`);
    return `${key}='${value}'`;
  });
  return `# keycloak-ec2 boot settings (no secrets: those are read from SSM Parameter Store at boot)\n${lines.join("\n")}\n`;
}

/**
 * The files of a Keycloak boot that do not depend on Terraform values: the scripts, the units, the realm and the
 * Caddyfile (which reads the address, the admin CIDRs and the ACME contact from the proxy's env file at start). A
 * cluster node has no proxy and no backup timer: the load balancer and RDS do their work.
 */
export function staticBootFiles(input: BootInput, realm: RealmSettings): BootFile[] {
  checkInput(input);
  const realmFile = {
    path: `${PATHS.importDir}/${realm.name}-realm.json`,
    permissions: "0644",
    content: `${JSON.stringify(realmRepresentation(realm), null, 2)}\n`,
  };
  const unit = { path: PATHS.unit, permissions: "0644", content: keycloakUnit(input.mode) };
  if (input.mode === "cluster") return [...bootScripts(), unit, realmFile];
  const acme = input.tls!.mode === "acme";
  const proxy = caddyfile({
    addressKind: input.hostname === undefined ? "ip" : "hostname",
    certificate: acme ? "acme" : "files",
    ...(acme ? { acmeDirectory: input.tls!.acmeDirectory, acmeProfile: input.tls!.acmeProfile } : {}),
  });
  return [
    ...bootScripts(),
    unit,
    { path: PROXY_PATHS.caddyfile, permissions: "0644", content: proxy },
    { path: PROXY_PATHS.unit, permissions: "0644", content: proxyUnit() },
    ...(input.mode === "production"
      ? [
          { path: BACKUP_PATHS.service, permissions: "0644", content: backupService() },
          { path: BACKUP_PATHS.timer, permissions: "0644", content: backupTimer() },
        ]
      : []),
    realmFile,
  ];
}
