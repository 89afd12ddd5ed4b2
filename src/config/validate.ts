import awsNames from "./aws-names.json";
import { configProblem, UserError } from "../errors";
import { nearest } from "../text/nearest";
import { isNetworkCidr, networkAddressOf } from "./cidr";
import {
  BackendConfig,
  defaultsFor,
  KeycloakConfig,
  KeycloakEc2Config,
  Profile,
  PROFILES,
  RealmConfig,
  TlsCertificateConfig,
} from "./schema";

/** A value given outside the file (a flag or an environment variable), named as the user gave it. */
export interface Override {
  readonly value: string;
  /** How to name it in an error: `--profile`, `KEYCLOAK_EC2_PROFILE`. */
  readonly origin: string;
}

export interface Overrides {
  readonly profile?: Override;
  readonly region?: Override;
}

export interface ValidatedConfig {
  readonly config: KeycloakEc2Config;
  /** Allowed but worth saying, one line each (`config warning: <field>: ...`). */
  readonly warnings: readonly string[];
}

const REGIONS: ReadonlySet<string> = new Set(awsNames.regions);
const INSTANCE_TYPES: ReadonlySet<string> = new Set(awsNames.instanceTypes);
/** EC2 allows 50 tags per resource; the stack sets a few of its own (Name and the production defaults). */
const MAX_USER_TAGS = 45;

type Json = Record<string, unknown>;

/** Collects every problem so the user sees them all at once. */
class Problems {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  add(field: string, problem: string, fix: string): undefined {
    this.lines.push(configProblem(field, problem, fix));
    return undefined;
  }
  warn(field: string, message: string): void {
    this.warnings.push(`config warning: ${field}: ${message}`);
  }
}

/** Whether an instance type runs arm64 (AWS Graviton: a `g` after the generation digit, or the a1 family). */
export function isArm64InstanceType(instanceType: string): boolean {
  const family = instanceType.split(".")[0];
  return family === "a1" || /^[a-z]+\d+g[a-z]*$/.test(family);
}

/** Families Amazon Linux 2023 does not run on (A1 and the first-generation Xen types). */
const NOT_ON_AL2023 = ["a1", "c1", "m1", "m2", "t1"];

/** Instance types with less than 2 GiB of memory: Keycloak's JVM and PostgreSQL need swap and a capped heap. */
export function isSmallInstanceType(instanceType: string): boolean {
  const size = instanceType.split(".")[1];
  return size === "nano" || size === "micro";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return String(value);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(object: Json, path: string, allowed: readonly string[], p: Problems): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const field = path ? `${path}.${key}` : key;
    const hint = nearest(key, allowed);
    p.add(field, "unknown field", hint ? `did you mean "${hint}"?` : `known fields here: ${allowed.join(", ")}`);
  }
}

function objectAt(value: unknown, field: string, p: Problems): Json | undefined {
  if (value === undefined) return {};
  if (isObject(value)) return value;
  return p.add(field, `must be an object, got ${describe(value)}`, "write { ... }");
}

function stringAt(
  value: unknown,
  field: string,
  p: Problems,
  check?: (text: string) => string | undefined,
  fix = "see the README's configuration table",
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") return p.add(field, `must be a string, got ${describe(value)}`, 'write it in "quotes"');
  if (templateProblem(value)) return p.add(field, templateProblem(value)!, 'remove "${" and "%{"');
  const problem = check?.(value);
  if (problem) return p.add(field, problem, fix);
  return value;
}

function booleanAt(value: unknown, field: string, p: Problems): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  return p.add(field, `must be true or false, got ${describe(value)}`, "write true or false without quotes");
}

function stringListAt(value: unknown, field: string, p: Problems, checkItem: (item: string, itemField: string) => void): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return p.add(field, `must be a list, got ${describe(value)}`, 'write ["..."]');
  const before = p.lines.length;
  const seen = new Set<string>();
  value.forEach((item, i) => {
    const itemField = `${field}[${i}]`;
    if (typeof item !== "string") return p.add(itemField, `must be a string, got ${describe(item)}`, 'write it in "quotes"');
    if (seen.has(item)) return p.add(itemField, `"${item}" is listed twice`, "list it once");
    seen.add(item);
    checkItem(item, itemField);
  });
  return p.lines.length === before ? (value as string[]) : undefined;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], p: Problems): T | undefined {
  const text = stringAt(value, field, p);
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  const hint = nearest(text, allowed);
  return p.add(field, `"${text}" is not one of ${allowed.join(", ")}`, hint ? `did you mean "${hint}"?` : `use one of ${allowed.join(", ")}`);
}

const checkCidr = (p: Problems) => (cidr: string, field: string) => {
  if (isNetworkCidr(cidr)) return;
  const network = networkAddressOf(cidr);
  if (network) p.add(field, `"${cidr}" has host bits set`, `write the network address "${network}"`);
  else p.add(field, `"${cidr}" is not an IPv4 or IPv6 CIDR`, 'write e.g. "203.0.113.7/32" or "2001:db8::/48" (prefix 0-32 for IPv4, 0-128 for IPv6)');
};

function cidrListAt(value: unknown, field: string, p: Problems): readonly string[] | undefined {
  const list = stringListAt(value, field, p, checkCidr(p));
  if (list && list.length > 50) return p.add(field, `has ${list.length} entries`, "a security group rule set allows at most 50; use fewer, wider ranges");
  return list;
}

/** A DNS host name (RFC 1123), as used in a certificate and in Keycloak's `--hostname`. */
function hostnameProblem(host: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return `"${host}" is a URL`;
  if (host.length > 253) return "is longer than 253 characters";
  const labels = host.split(".");
  if (labels.length < 2 || !labels.every((l) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    return `"${host}" is not a DNS name`;
  }
  return undefined;
}

const HOSTNAME_FIX = 'give the host name only, e.g. "sso.example.com" (no scheme, port or path)';

/** Terraform would read `${` and `%{` in a value as a template: no config string may hold them. */
function templateProblem(text: string): string | undefined {
  return /[$%]\{/.test(text) ? `"${text}" holds "\${" or "%{", which Terraform reads as a template` : undefined;
}

function awsNameProblem(pattern: RegExp, max: number, rule: string) {
  return (text: string): string | undefined => {
    if (text.length === 0) return "is empty";
    if (text.length > max) return `is ${text.length} characters long, more than ${max}`;
    if (!pattern.test(text)) return `"${text}" ${rule}`;
    return undefined;
  };
}

function validateTags(value: unknown, p: Problems): Record<string, string> | undefined {
  const tags = objectAt(value, "tags", p);
  if (!tags) return undefined;
  const before = p.lines.length;
  const entries = Object.entries(tags);
  if (entries.length > MAX_USER_TAGS) p.add("tags", `has ${entries.length} tags`, `EC2 allows 50 per resource and the stack sets a few; keep at most ${MAX_USER_TAGS}`);
  for (const [key, tagValue] of entries) {
    const field = `tags.${key}`;
    if (key.length === 0 || key.length > 128) p.add(field, `key is ${key.length} characters long`, "tag keys have 1 to 128 characters");
    else if (/^aws:/i.test(key)) p.add(field, 'keys starting with "aws:" are reserved by AWS', "choose another key");
    else if (key === "Name") p.add(field, "the Name tag is set from instanceName and securityGroupName", "set instanceName instead");
    if (templateProblem(key)) p.add(field, templateProblem(key)!, 'remove "${" and "%{"');
    if (typeof tagValue !== "string") p.add(field, `must be a string, got ${describe(tagValue)}`, 'write it in "quotes"');
    else if (tagValue.length > 256) p.add(field, `value is ${tagValue.length} characters long`, "tag values have at most 256 characters");
    else if (templateProblem(tagValue)) p.add(field, templateProblem(tagValue)!, 'remove "${" and "%{"');
  }
  return p.lines.length === before ? (tags as Record<string, string>) : undefined;
}

function validateRedirectUri(uri: string, field: string, p: Problems): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    p.add(field, `"${uri}" is not an absolute URI`, 'write e.g. "https://app.example.com/callback"');
    return;
  }
  if (uri.indexOf("*") !== -1 && !(uri.endsWith("/*") && uri.indexOf("*") === uri.length - 1)) {
    p.add(field, `"${uri}" has a wildcard that is not a final "/*"`, "Keycloak only matches a trailing /*; list exact URIs");
  } else if (url.hash) {
    p.add(field, `"${uri}" has a fragment`, "OAuth redirect URIs may not contain #");
  } else if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    p.warn(field, `"${uri}" is plain http on a non-loopback host: codes and tokens cross the network in clear (use https)`);
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

function validateWebOrigin(origin: string, field: string, p: Problems): void {
  if (origin === "+") return;
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url || url.origin !== origin || !/^https?:$/.test(url.protocol)) {
    p.add(field, `"${origin}" is not an origin`, 'write scheme, host and port only, e.g. "https://app.example.com", or "+" for the redirect URIs\' origins');
  }
}

const CLIENT_ID_RULE = awsNameProblem(/^[A-Za-z0-9._:-]+$/, 255, "may only contain letters, digits and . _ : -");

function validateRealm(value: unknown, p: Problems, defaults: RealmConfig): RealmConfig | undefined {
  const realm = objectAt(value, "keycloak.realm", p);
  if (!realm) return undefined;
  checkKeys(realm, "keycloak.realm", ["name", "spa", "bff", "service"], p);
  const name = stringAt(realm.name, "keycloak.realm.name", p, (n) =>
    n === "master" ? '"master" is Keycloak\'s administration realm' : awsNameProblem(/^[A-Za-z0-9_-]+$/, 255, "may only contain letters, digits, _ and -")(n),
  "choose another name, e.g. \"app\"");
  const spa = objectAt(realm.spa, "keycloak.realm.spa", p);
  const bff = objectAt(realm.bff, "keycloak.realm.bff", p);
  const service = objectAt(realm.service, "keycloak.realm.service", p);
  if (!spa || !bff || !service) return undefined;
  checkKeys(spa, "keycloak.realm.spa", ["clientId", "redirectUris", "webOrigins"], p);
  checkKeys(bff, "keycloak.realm.bff", ["clientId", "redirectUris"], p);
  checkKeys(service, "keycloak.realm.service", ["clientId"], p);
  const clientIds = {
    spa: stringAt(spa.clientId, "keycloak.realm.spa.clientId", p, CLIENT_ID_RULE) ?? defaults.spa.clientId,
    bff: stringAt(bff.clientId, "keycloak.realm.bff.clientId", p, CLIENT_ID_RULE) ?? defaults.bff.clientId,
    service: stringAt(service.clientId, "keycloak.realm.service.clientId", p, CLIENT_ID_RULE) ?? defaults.service.clientId,
  };
  if (new Set(Object.values(clientIds)).size !== 3) {
    p.add("keycloak.realm", `client ids must differ, got spa "${clientIds.spa}", bff "${clientIds.bff}", service "${clientIds.service}"`, "give each client its own clientId");
  }
  const nonEmpty = (list: readonly string[] | undefined, field: string) =>
    list && list.length === 0 ? p.add(field, "is empty: the client could never log anyone in", "list at least one URI") : list;
  const spaRedirects = nonEmpty(stringListAt(spa.redirectUris, "keycloak.realm.spa.redirectUris", p, (u, f) => validateRedirectUri(u, f, p)), "keycloak.realm.spa.redirectUris");
  const webOrigins = stringListAt(spa.webOrigins, "keycloak.realm.spa.webOrigins", p, (o, f) => validateWebOrigin(o, f, p));
  const bffRedirects = nonEmpty(stringListAt(bff.redirectUris, "keycloak.realm.bff.redirectUris", p, (u, f) => validateRedirectUri(u, f, p)), "keycloak.realm.bff.redirectUris");
  return {
    name: name ?? defaults.name,
    spa: { clientId: clientIds.spa, redirectUris: spaRedirects ?? defaults.spa.redirectUris, webOrigins: webOrigins ?? defaults.spa.webOrigins },
    bff: { clientId: clientIds.bff, redirectUris: bffRedirects ?? defaults.bff.redirectUris },
    service: { clientId: clientIds.service },
  };
}

const SSM_PARAMETER_RULE = (text: string) =>
  /^\/?(aws|ssm)/i.test(text) ? 'names starting with "aws" or "ssm" are reserved' :
    text.includes("/") && !text.startsWith("/") ? `"${text}" is a path that does not start with "/"` :
      awsNameProblem(/^\/?[A-Za-z0-9_.\-/]+$/, 1011, "is not an SSM parameter name")(text);

function validateTlsCertificate(value: unknown, p: Problems): TlsCertificateConfig | undefined {
  if (value === undefined) return undefined;
  const tls = objectAt(value, "keycloak.tlsCertificate", p);
  if (!tls) return undefined;
  checkKeys(tls, "keycloak.tlsCertificate", ["certificateParameter", "privateKeyParameter"], p);
  const fix = 'give SSM parameter names, e.g. "/keycloak-ec2/tls/certificate"';
  const certificateParameter = stringAt(tls.certificateParameter, "keycloak.tlsCertificate.certificateParameter", p, SSM_PARAMETER_RULE, fix);
  const privateKeyParameter = stringAt(tls.privateKeyParameter, "keycloak.tlsCertificate.privateKeyParameter", p, SSM_PARAMETER_RULE, fix);
  for (const [field, given] of [["certificateParameter", tls.certificateParameter], ["privateKeyParameter", tls.privateKeyParameter]] as const) {
    if (given === undefined) p.add(`keycloak.tlsCertificate.${field}`, "is required", fix);
  }
  return certificateParameter && privateKeyParameter ? { certificateParameter, privateKeyParameter } : undefined;
}

function validateKeycloak(value: unknown, p: Problems, defaults: KeycloakConfig): KeycloakConfig {
  const keycloak = objectAt(value, "keycloak", p) ?? {};
  checkKeys(keycloak, "keycloak", ["version", "hostname", "adminUser", "tlsCertificate", "realm"], p);
  const version = stringAt(keycloak.version, "keycloak.version", p, (v) => (/^26\.\d+\.\d+$/.test(v) ? undefined : `"${v}" is not an exact Keycloak 26.x release`),
    `write an exact tag such as "${defaults.version}"; "latest" and other majors are not supported`);
  const hostname = stringAt(keycloak.hostname, "keycloak.hostname", p, hostnameProblem, HOSTNAME_FIX);
  const adminUser = stringAt(keycloak.adminUser, "keycloak.adminUser", p, awsNameProblem(/^[a-z0-9._@-]+$/, 255, "may only contain lower-case letters, digits and . _ @ -"),
    'write e.g. "admin"');
  return {
    version: version ?? defaults.version,
    hostname: hostname?.toLowerCase(),
    adminUser: adminUser ?? defaults.adminUser,
    tlsCertificate: validateTlsCertificate(keycloak.tlsCertificate, p),
    realm: validateRealm(keycloak.realm, p, defaults.realm) ?? defaults.realm,
  };
}

const BACKEND_KEYS = {
  local: ["type", "path"],
  s3: ["type", "bucket", "key", "region", "encrypt", "kmsKeyId", "useLockfile", "dynamodbTable", "profile"],
  cloud: ["type", "organization", "workspace", "workspaceTags", "hostname"],
} as const;

function required(object: Json, field: string, p: Problems, example: string): void {
  if (object[field.split(".").pop()!] === undefined) p.add(field, "is required", `add ${example}`);
}

function validateBackend(value: unknown, p: Problems): BackendConfig | undefined {
  if (value === undefined) return { type: "local" };
  const backend = objectAt(value, "backend", p);
  if (!backend) return undefined;
  if (backend.type === undefined) return p.add("backend.type", "is required", 'write "local", "s3" or "cloud"');
  const type = oneOf(backend.type, "backend.type", ["local", "s3", "cloud"] as const, p);
  if (!type) return undefined;
  checkKeys(backend, "backend", BACKEND_KEYS[type], p);
  const before = p.lines.length;
  if (type === "local") {
    const path = stringAt(backend.path, "backend.path", p, (f) =>
      f.startsWith("/") || /^[A-Za-z]:[\\/]/.test(f) ? "is an absolute path" : f.split(/[\\/]/).includes("..") ? 'leaves the project directory with ".."' : f === "" ? "is empty" : undefined,
      'give a path relative to the project directory, e.g. "state/keycloak.tfstate"');
    return p.lines.length === before ? { type, path } : undefined;
  }
  if (type === "s3") {
    required(backend, "backend.bucket", p, '"bucket": "my-terraform-state"');
    required(backend, "backend.key", p, '"key": "keycloak-ec2/terraform.tfstate"');
    required(backend, "backend.region", p, '"region": "eu-west-3"');
    const bucket = stringAt(backend.bucket, "backend.bucket", p, (b) =>
      /^(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) && !b.includes("..") && !/^\d+\.\d+\.\d+\.\d+$/.test(b) ? undefined : `"${b}" is not a valid S3 bucket name`,
      "bucket names have 3-63 lower-case letters, digits, dots and dashes, and start and end with a letter or digit");
    const key = stringAt(backend.key, "backend.key", p, (k) => (k === "" ? "is empty" : k.startsWith("/") ? "starts with /" : undefined), 'write e.g. "keycloak-ec2/terraform.tfstate"');
    const region = stringAt(backend.region, "backend.region", p, regionProblem, "use the bucket's region, e.g. \"eu-west-3\"");
    const encrypt = booleanAt(backend.encrypt, "backend.encrypt", p);
    if (encrypt === false) p.add("backend.encrypt", "is false, but the state holds the generated secrets", "leave encrypt out or set it to true");
    const dynamodbTable = stringAt(backend.dynamodbTable, "backend.dynamodbTable", p, awsNameProblem(/^[A-Za-z0-9_.-]{3,255}$/, 255, "is not a DynamoDB table name"));
    const useLockfile = booleanAt(backend.useLockfile, "backend.useLockfile", p);
    if (useLockfile === false && dynamodbTable === undefined) p.warn("backend.useLockfile", "false with no dynamodbTable: nothing locks the state against two concurrent runs");
    const kmsKeyId = stringAt(backend.kmsKeyId, "backend.kmsKeyId", p, (k) => (k === "" ? "is empty" : undefined));
    const profile = stringAt(backend.profile, "backend.profile", p, (k) => (k === "" ? "is empty" : undefined));
    if (p.lines.length !== before || !bucket || !key || !region) return undefined;
    return { type, bucket, key, region, encrypt: true, kmsKeyId, useLockfile: useLockfile ?? dynamodbTable === undefined, dynamodbTable, profile };
  }
  required(backend, "backend.organization", p, '"organization": "my-org"');
  const organization = stringAt(backend.organization, "backend.organization", p, awsNameProblem(/^[A-Za-z0-9_-]+$/, 255, "is not a Terraform Cloud organization name"));
  const workspace = stringAt(backend.workspace, "backend.workspace", p, awsNameProblem(/^[A-Za-z0-9_-]+$/, 90, "is not a workspace name (letters, digits, _ and -)"));
  const workspaceTags = stringListAt(backend.workspaceTags, "backend.workspaceTags", p, (t, f) => {
    if (!/^[a-z0-9_:-]{1,255}$/i.test(t)) p.add(f, `"${t}" is not a workspace tag`, "tags have letters, digits, _, : and -");
  });
  if ((backend.workspace === undefined) === (backend.workspaceTags === undefined)) {
    p.add("backend.workspace", "give exactly one of workspace and workspaceTags", '"workspace": "keycloak-prod" selects one workspace; "workspaceTags" selects by tag');
  } else if (workspaceTags?.length === 0) {
    p.add("backend.workspaceTags", "is empty", "list at least one tag");
  }
  const hostname = stringAt(backend.hostname, "backend.hostname", p, hostnameProblem, HOSTNAME_FIX);
  if (p.lines.length !== before || !organization) return undefined;
  return { type, organization, workspace, workspaceTags, hostname };
}

function regionProblem(region: string): string | undefined {
  if (REGIONS.has(region)) return undefined;
  const hint = nearest(region, [...REGIONS]);
  return `"${region}" is not an AWS region${hint ? ` (did you mean "${hint}"?)` : ""}`;
}

const TOP_LEVEL_KEYS = [
  "profile", "name", "region", "instanceType", "keyName", "sshCidrs", "httpsCidrs", "securityGroupName", "instanceName",
  "tags", "rootVolumeSize", "elasticIp", "followLatestAmi", "keycloak", "backend",
];

/**
 * Checks a parsed config file (or `{}` when there is none) with its overrides, and fills in the profile's
 * defaults. Throws one UserError listing every problem.
 */
export function validateConfig(raw: unknown, overrides: Overrides = {}): ValidatedConfig {
  const p = new Problems();
  const file = isObject(raw) ? raw : (p.add("(file)", `the config must be a JSON object, got ${describe(raw)}`, 'write { "profile": "production", ... }'), {});
  checkKeys(file, "", TOP_LEVEL_KEYS, p);

  const profile =
    oneOf(overrides.profile?.value ?? file.profile, overrides.profile?.origin ?? "profile", PROFILES, p) ?? "production";
  const name = stringAt(file.name, "name", p, awsNameProblem(/^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/, 32, "must be lower-case letters, digits and dashes, starting with a letter"),
    'write e.g. "keycloak-prod"') ?? "keycloak-ec2";
  const defaults = defaultsFor(profile, name);

  const region = stringAt(overrides.region?.value ?? file.region, overrides.region?.origin ?? "region", p, regionProblem, "use a region code such as \"eu-west-3\"") ?? defaults.region;
  const instanceType = stringAt(file.instanceType, "instanceType", p, (t) => {
    if (!INSTANCE_TYPES.has(t)) {
      const hint = nearest(t, [...INSTANCE_TYPES]);
      return `"${t}" is not an EC2 instance type${hint ? ` (did you mean "${hint}"?)` : ""}`;
    }
    if (t.startsWith("mac")) return `"${t}" runs only on a dedicated Mac host`;
    if (profile === "article" && isArm64InstanceType(t)) return `"${t}" is arm64 but the guide's Amazon Linux 2 AMI is x86_64`;
    if (profile !== "article" && NOT_ON_AL2023.includes(t.split(".")[0])) return `Amazon Linux 2023 does not run on the ${t.split(".")[0]} family`;
    return undefined;
  }, "use a type such as \"t3.small\"") ?? defaults.instanceType;
  if (profile !== "article" && isSmallInstanceType(instanceType)) {
    p.warn("instanceType", `${instanceType} has less than 2 GiB of memory: the boot adds a swap file and caps Keycloak's heap; expect slow starts (t3.small is the default)`);
  }
  const keyName = stringAt(file.keyName, "keyName", p, awsNameProblem(/^[\x20-\x7e]+$/, 255, "must be printable ASCII"), "give the name of an existing EC2 key pair");
  const sshCidrs = cidrListAt(file.sshCidrs, "sshCidrs", p) ?? defaults.sshCidrs;
  const httpsCidrs = cidrListAt(file.httpsCidrs, "httpsCidrs", p) ?? defaults.httpsCidrs;
  if (profile !== "article" && httpsCidrs.length === 0) p.add("httpsCidrs", "is empty: nobody could reach Keycloak", 'list who may connect, e.g. ["0.0.0.0/0", "::/0"]');
  if (sshCidrs.length > 0 && keyName === undefined && profile !== "article") {
    p.warn("sshCidrs", "opens port 22 but keyName is not set: nobody can log in over SSH (use Session Manager or set keyName)");
  }
  const securityGroupName = stringAt(file.securityGroupName, "securityGroupName", p, (n) =>
    /^sg-/i.test(n) ? `"${n}" starts with "sg-", which AWS reserves for group ids` :
      awsNameProblem(/^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/, 255, "has characters AWS does not allow in a security group name")(n),
  "use letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, e.g. \"keycloak-sg\"") ?? defaults.securityGroupName;
  const instanceName = stringAt(file.instanceName, "instanceName", p, awsNameProblem(/^[^\x00-\x1f]*$/, 256, "has control characters"), "a Name tag has 1 to 256 characters") ?? defaults.instanceName;
  const tags = validateTags(file.tags, p) ?? defaults.tags;
  let rootVolumeSize = defaults.rootVolumeSize;
  if (file.rootVolumeSize !== undefined) {
    const size = file.rootVolumeSize;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 8 || size > 16384) {
      p.add("rootVolumeSize", `must be a whole number of GiB from 8 to 16384, got ${describe(size)}`, "write e.g. 20");
    } else rootVolumeSize = size;
  }
  const elasticIp = booleanAt(file.elasticIp, "elasticIp", p) ?? defaults.elasticIp;
  const followLatestAmi = booleanAt(file.followLatestAmi, "followLatestAmi", p) ?? defaults.followLatestAmi;
  const keycloak = validateKeycloak(file.keycloak, p, defaults.keycloak);
  const backend = validateBackend(file.backend, p) ?? defaults.backend;

  if (p.lines.length) throw new UserError(p.lines);
  const config: KeycloakEc2Config = {
    profile: profile as Profile, name, region, instanceType, keyName, sshCidrs, httpsCidrs, securityGroupName, instanceName,
    tags, rootVolumeSize, elasticIp, followLatestAmi, keycloak, backend,
  };
  return { config, warnings: p.warnings };
}
