import { REGIONS } from "../aws/instance-types";
import { nearest } from "../text/nearest";
import {
  checkKeys,
  describe,
  Field,
  isJsonObject,
  nameRule,
  Problems,
  readOneOf,
  readString,
  readStringList,
} from "./field";
import { HOSTNAME_FIX, hostnameProblem } from "./rules";

/** Where Terraform keeps its state: one reader per backend type. */

export interface LocalBackendConfig {
  readonly type: "local";
  /** State file, relative to the project directory. @default "terraform.<name>.tfstate" */
  readonly path?: string;
}

export interface S3BackendConfig {
  readonly type: "s3";
  /** Bucket holding the state (must exist). */
  readonly bucket: string;
  /** Object key of the state file. */
  readonly key: string;
  /** Region of the bucket. */
  readonly region: string;
  /** Encrypt the state at rest. Must stay true: the state holds the generated secrets. @default true */
  readonly encrypt: boolean;
  /** KMS key for the state object. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** Lock with an S3 lock file (Terraform 1.10+). @default true unless dynamodbTable is set */
  readonly useLockfile: boolean;
  /** Lock with this DynamoDB table instead (older Terraform). @default - none */
  readonly dynamodbTable?: string;
  /** AWS shared-config profile used to reach the bucket. @default - the default credentials */
  readonly profile?: string;
}

export interface CloudBackendConfig {
  readonly type: "cloud";
  /** Terraform Cloud / HCP Terraform organization. */
  readonly organization: string;
  /** Workspace name (give this or workspaceTags). */
  readonly workspace?: string;
  /** Workspace tags (give this or workspace). */
  readonly workspaceTags?: readonly string[];
  /** Terraform Enterprise host. @default "app.terraform.io" */
  readonly hostname?: string;
}

export type BackendConfig = LocalBackendConfig | S3BackendConfig | CloudBackendConfig;
export const BACKEND_TYPES = ["local", "s3", "cloud"] as const;

type Raw = Record<string, unknown>;

export function regionProblem(region: string): string | undefined {
  if (REGIONS.has(region)) return undefined;
  const hint = nearest(region, [...REGIONS]);
  return `"${region}" is not an AWS region${hint ? ` (did you mean "${hint}"?)` : ""}`;
}

function required(raw: Raw, at: string, problems: Problems, example: string): void {
  if (raw[at.split(".").pop()!] === undefined) problems.add(at, "is required", `add ${example}`);
}

function readBoolean(raw: unknown, at: string, problems: Problems): boolean | undefined {
  if (raw === undefined || typeof raw === "boolean") return raw;
  return problems.add(at, `must be true or false, got ${describe(raw)}`, "write true or false without quotes");
}

function localBackend(raw: Raw, problems: Problems): LocalBackendConfig | undefined {
  const before = problems.lines.length;
  const path = readString(
    raw.path,
    "backend.path",
    problems,
    (f) =>
      f.startsWith("/") || /^[A-Za-z]:[\\/]/.test(f)
        ? "is an absolute path"
        : f.split(/[\\/]/).includes("..")
          ? 'leaves the project directory with ".."'
          : f === ""
            ? "is empty"
            : undefined,
    'give a path relative to the project directory, e.g. "state/keycloak.tfstate"',
  );
  return problems.lines.length === before ? { type: "local", path } : undefined;
}

function s3Backend(raw: Raw, problems: Problems): S3BackendConfig | undefined {
  const before = problems.lines.length;
  required(raw, "backend.bucket", problems, '"bucket": "my-terraform-state"');
  required(raw, "backend.key", problems, '"key": "keycloak-ec2/terraform.tfstate"');
  required(raw, "backend.region", problems, '"region": "eu-west-3"');
  const bucket = readString(
    raw.bucket,
    "backend.bucket",
    problems,
    (b) =>
      /^(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) &&
      !b.includes("..") &&
      !/^\d+\.\d+\.\d+\.\d+$/.test(b)
        ? undefined
        : `"${b}" is not a valid S3 bucket name`,
    "bucket names have 3-63 lower-case letters, digits, dots and dashes, and start and end with a letter or digit",
  );
  const key = readString(
    raw.key,
    "backend.key",
    problems,
    (k) => (k === "" ? "is empty" : k.startsWith("/") ? "starts with /" : undefined),
    'write e.g. "keycloak-ec2/terraform.tfstate"',
  );
  const region = readString(
    raw.region,
    "backend.region",
    problems,
    regionProblem,
    'use the bucket\'s region, e.g. "eu-west-3"',
  );
  const encrypt = readBoolean(raw.encrypt, "backend.encrypt", problems);
  if (encrypt === false)
    problems.add(
      "backend.encrypt",
      "is false, but the state holds the generated secrets",
      "leave encrypt out or set it to true",
    );
  const dynamodbTable = readString(
    raw.dynamodbTable,
    "backend.dynamodbTable",
    problems,
    nameRule(/^[A-Za-z0-9_.-]{3,255}$/, 255, "is not a DynamoDB table name"),
  );
  const useLockfile = readBoolean(raw.useLockfile, "backend.useLockfile", problems);
  if (useLockfile === false && dynamodbTable === undefined)
    problems.warn(
      "backend.useLockfile",
      "false with no dynamodbTable: nothing locks the state against two concurrent runs",
    );
  const kmsKeyId = readString(raw.kmsKeyId, "backend.kmsKeyId", problems, (k) => (k === "" ? "is empty" : undefined));
  const profile = readString(raw.profile, "backend.profile", problems, (k) => (k === "" ? "is empty" : undefined));
  if (problems.lines.length !== before || !bucket || !key || !region) return undefined;
  return {
    type: "s3",
    bucket,
    key,
    region,
    encrypt: true,
    kmsKeyId,
    useLockfile: useLockfile ?? dynamodbTable === undefined,
    dynamodbTable,
    profile,
  };
}

function cloudBackend(raw: Raw, problems: Problems): CloudBackendConfig | undefined {
  const before = problems.lines.length;
  required(raw, "backend.organization", problems, '"organization": "my-org"');
  const organization = readString(
    raw.organization,
    "backend.organization",
    problems,
    nameRule(/^[A-Za-z0-9_-]+$/, 255, "is not a Terraform Cloud organization name"),
  );
  const workspace = readString(
    raw.workspace,
    "backend.workspace",
    problems,
    nameRule(/^[A-Za-z0-9_-]+$/, 90, "is not a workspace name (letters, digits, _ and -)"),
  );
  const workspaceTags = readStringList(raw.workspaceTags, "backend.workspaceTags", problems, (t, at) => {
    if (!/^[a-z0-9_:-]{1,255}$/i.test(t))
      problems.add(at, `"${t}" is not a workspace tag`, "tags have letters, digits, _, : and -");
  });
  if ((raw.workspace === undefined) === (raw.workspaceTags === undefined)) {
    problems.add(
      "backend.workspace",
      "give exactly one of workspace and workspaceTags",
      '"workspace": "keycloak-prod" selects one workspace; "workspaceTags" selects by tag',
    );
  } else if (workspaceTags?.length === 0) {
    problems.add("backend.workspaceTags", "is empty", "list at least one tag");
  }
  const hostname = readString(raw.hostname, "backend.hostname", problems, hostnameProblem, HOSTNAME_FIX);
  if (problems.lines.length !== before || !organization) return undefined;
  return { type: "cloud", organization, workspace, workspaceTags, hostname };
}

const READERS: Readonly<
  Record<
    BackendConfig["type"],
    { readonly keys: readonly string[]; readonly read: (raw: Raw, problems: Problems) => BackendConfig | undefined }
  >
> = {
  local: { keys: ["type", "path"], read: localBackend },
  s3: {
    keys: ["type", "bucket", "key", "region", "encrypt", "kmsKeyId", "useLockfile", "dynamodbTable", "profile"],
    read: s3Backend,
  },
  cloud: { keys: ["type", "organization", "workspace", "workspaceTags", "hostname"], read: cloudBackend },
};

/** Documentation-only entries: the backend is read as a whole, by type, but documented field by field. */
const doc = (type: string, defaultText: string, text: string): Field<never> => ({
  type,
  defaultText,
  doc: text,
  read: () => {
    throw new Error("documentation only");
  },
});

export const backendField: Field<BackendConfig> = {
  type: "object",
  doc: "Where Terraform keeps its state.",
  defaultText: '`{ "type": "local" }`',
  fields: {
    type: doc('`"local"` \\| `"s3"` \\| `"cloud"`', '`"local"`', "Where Terraform keeps its state."),
    path: doc("relative path", '`"terraform.<name>.tfstate"`', "local: state file, relative to the project directory."),
    bucket: doc("string", "required", "s3: bucket holding the state (it must exist)."),
    key: doc("string", "required", "s3: object key of the state file."),
    region: doc("string", "required", "s3: region of the bucket."),
    encrypt: doc("boolean", "`true`", "s3: must stay true, the state holds the generated secrets."),
    kmsKeyId: doc("string", "none", "s3: KMS key for the state object."),
    useLockfile: doc("boolean", "`true` unless `dynamodbTable`", "s3: lock with an S3 lock file (Terraform 1.10+)."),
    dynamodbTable: doc("string", "none", "s3: lock with this DynamoDB table instead."),
    profile: doc("string", "none", "s3: AWS shared-config profile used to reach the bucket."),
    organization: doc("string", "required", "cloud: Terraform Cloud / HCP Terraform organization."),
    workspace: doc("string", "one of the two", "cloud: one workspace by name."),
    workspaceTags: doc("list of strings", "one of the two", "cloud: workspaces by tag."),
    hostname: doc("DNS name", "`app.terraform.io`", "cloud: Terraform Enterprise host."),
  },
  read: (raw, at, { problems }) => {
    const fallback: BackendConfig = { type: "local" };
    if (raw === undefined) return fallback;
    if (!isJsonObject(raw))
      return problems.add(at, `must be an object, got ${describe(raw)}`, "write { ... }") ?? fallback;
    if (raw.type === undefined)
      return problems.add("backend.type", "is required", 'write "local", "s3" or "cloud"') ?? fallback;
    const type = readOneOf(raw.type, "backend.type", BACKEND_TYPES, problems);
    if (!type) return fallback;
    checkKeys(raw, at, READERS[type].keys, problems);
    return READERS[type].read(raw, problems) ?? fallback;
  },
};
