import { ARTICLE_AMI, ARTICLE_AMI_REGION } from "../aws/article-ami";
import { WORLD_CIDRS } from "../aws/cidr";
import { Ec2IdPrefix, isEc2Id } from "../aws/ids";
import { INSTANCE_TYPES, instanceFamily, isArm64InstanceType, NOT_ON_AL2023 } from "../aws/instance-types";
import {
  badTagCharacters,
  quoteCharacters,
  S3_OBJECT_TAGS_MAX,
  TAG_KEY_CHARACTERS_TEXT,
  TAG_KEY_MAX,
  TAG_VALUE_CHARACTERS_TEXT,
  TAG_VALUE_MAX,
  TagPart,
  unicodeLength,
  withoutBadTagCharacters,
} from "../aws/tags";
import { nearest } from "../text/nearest";
import { backendField, regionProblem } from "./backend";
import {
  booleanField,
  describe,
  Field,
  integerField,
  isJsonObject,
  nameRule,
  objectField,
  oneOfField,
  readOneOf,
  stringField,
  stringListField,
  templateProblem,
  ValuesOf,
} from "./field";
import {
  DEFAULT_ADMIN_USER,
  DEFAULT_BACKUP_RETENTION_DAYS,
  DEFAULT_CLUSTER_INSTANCE_TYPE,
  DEFAULT_DATA_VOLUME_SIZE,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_KEYCLOAK_VERSION,
  DEFAULT_NAMES,
  DEFAULT_ROOT_VOLUME_SIZE,
  LETS_ENCRYPT,
  SHORTLIVED_PROFILE,
  TLS_MODES,
  TlsMode,
} from "../defaults";
import { PROFILES } from "./profiles";
import { realmField } from "./realm";
import { checkCidr, HOSTNAME_FIX, hostnameProblem, ssmParameterProblem } from "./rules";

/**
 * Every configuration field, declared once: its README row (type, default, meaning), its parser and its default
 * per profile. `COMMON_FIELDS` apply to every profile; `SERVER_FIELDS` only to the profiles that run Keycloak.
 * The README's configuration table is generated from these tables (`npm run docs`).
 */

/** The tags the dev and production stacks set on every resource themselves (src/stacks/keycloak-stack.ts). */
export const STACK_TAG_KEYS = ["Application", "Deployment", "ManagedBy"] as const;

/**
 * The boot bundle's S3 object gets every default tag, and S3 takes 10 per object: what the stack's own leave. A user
 * tag with one of their keys, in the same case, replaces its value and does not count.
 */
const MAX_USER_TAGS = S3_OBJECT_TAGS_MAX - STACK_TAG_KEYS.length;

const cidrList = (doc: string, defaultText: string, fallback: (article: boolean) => readonly string[]) =>
  stringListField({
    type: "list of CIDRs",
    doc,
    defaultText,
    default: ({ profile }) => fallback(profile === "article"),
    checkItem: (cidr, at, { problems }) => checkCidr(cidr, at, problems),
    check: (list, at, { problems }) =>
      list.length <= 50 ||
      (problems.add(
        at,
        `has ${list.length} entries`,
        "a security group rule set allows at most 50; use fewer, wider ranges",
      ) ??
        false),
  });

const TAG_CHARACTERS: Readonly<Record<TagPart, { refused: string; fix: string }>> = {
  key: {
    refused: "IAM, SSM or DLM refuse in tag keys",
    fix: `tags reach the IAM role, the SSM parameters and the DLM snapshot policy, whose keys take only ${TAG_KEY_CHARACTERS_TEXT}`,
  },
  value: {
    refused: "IAM and SSM refuse in tags",
    fix: `tags reach the IAM role and the SSM parameters, which take only ${TAG_VALUE_CHARACTERS_TEXT}`,
  },
};

/** The problem with a tag key or value's characters, and the fix with a cleaned-up suggestion. */
function tagCharactersProblem(what: TagPart, text: string): [string, string] | undefined {
  const bad = badTagCharacters(text, what);
  if (bad.length === 0) return undefined;
  const suggestion = withoutBadTagCharacters(text, what);
  return [
    `${what} ${JSON.stringify(text)} has ${bad.length === 1 ? "a character" : "characters"} ${TAG_CHARACTERS[what].refused}: ${quoteCharacters(bad)}`,
    `${TAG_CHARACTERS[what].fix}${suggestion ? `, e.g. "${suggestion}"` : ""}`,
  ];
}

const tagsField: Field<Readonly<Record<string, string>>> = {
  type: "object of strings",
  doc: `Extra tags on every resource (the provider's \`default_tags\`, so the IAM role, the SSM parameters, the DLM snapshot policy and the S3 objects get them too): at most ${MAX_USER_TAGS} besides the stack's own ${STACK_TAG_KEYS.join(", ")} (S3 takes ${S3_OBJECT_TAGS_MAX} per object; one of those keys, in the same case, sets the stack's tag instead); keys 1-${TAG_KEY_MAX} characters of ASCII letters, digits and \`_ . : / = + -\` (what DLM takes), not \`aws:\`, not \`Name\`, no two differing only in case; values 1-${TAG_VALUE_MAX} characters of letters, digits, spaces and \`_ . : / = + - @\`.`,
  defaultText: "`{}`",
  read: (raw, at, { problems }) => {
    if (raw === undefined) return {};
    if (!isJsonObject(raw)) return problems.add(at, `must be an object, got ${describe(raw)}`, "write { ... }") ?? {};
    const before = problems.lines.length;
    const entries = Object.entries(raw);
    const extra = entries.filter(([key]) => !(STACK_TAG_KEYS as readonly string[]).includes(key)).length;
    if (extra > MAX_USER_TAGS)
      problems.add(
        at,
        `has ${extra} tags besides the stack's own ${STACK_TAG_KEYS.slice(0, -1).join(", ")} and ${STACK_TAG_KEYS.at(-1)}`,
        `S3 allows ${S3_OBJECT_TAGS_MAX} tags per object and the boot bundle's object gets them all: keep at most ${MAX_USER_TAGS}`,
      );
    const seen = new Map<string, string>();
    for (const [key, value] of entries) {
      const field = `${at}.${key}`;
      const keyLength = unicodeLength(key);
      const keyCharacters = tagCharactersProblem("key", key);
      const stackKey = STACK_TAG_KEYS.find((own) => own !== key && own.toLowerCase() === key.toLowerCase());
      if (keyLength === 0 || keyLength > TAG_KEY_MAX)
        problems.add(
          field,
          keyLength === 0 ? "key is empty" : `key is ${keyLength} characters long`,
          `tag keys have 1 to ${TAG_KEY_MAX} characters`,
        );
      else if (/^aws:/i.test(key))
        problems.add(field, 'keys starting with "aws:" are reserved by AWS', "choose another key");
      else if (key === "Name")
        problems.add(field, "the Name tag is set from instanceName and securityGroupName", "set instanceName instead");
      else if (templateProblem(key)) problems.add(field, templateProblem(key)!, 'remove "${" and "%{"');
      else if (keyCharacters) problems.add(field, ...keyCharacters);
      else if (stackKey)
        problems.add(
          field,
          `"${key}" and the stack's own "${stackKey}" differ only in case, which IAM roles do not tell apart`,
          `write "${stackKey}" to give the stack's tag your value, or choose another key`,
        );
      else if (seen.has(key.toLowerCase()))
        problems.add(
          field,
          `"${key}" and "${seen.get(key.toLowerCase())}" differ only in case, which IAM roles do not tell apart`,
          "keep one of the two keys",
        );
      seen.set(key.toLowerCase(), key);
      if (typeof value !== "string") {
        problems.add(field, `must be a string, got ${describe(value)}`, 'write it in "quotes"');
        continue;
      }
      const valueCharacters = tagCharactersProblem("value", value);
      if (value === "") problems.add(field, "value is empty, which SSM refuses", "give a value, or leave the tag out");
      else if (unicodeLength(value) > TAG_VALUE_MAX)
        problems.add(
          field,
          `value is ${unicodeLength(value)} characters long`,
          `tag values have at most ${TAG_VALUE_MAX} characters`,
        );
      else if (templateProblem(value)) problems.add(field, templateProblem(value)!, 'remove "${" and "%{"');
      else if (valueCharacters) problems.add(field, ...valueCharacters);
    }
    return problems.lines.length === before ? (raw as Record<string, string>) : {};
  },
};

export const EC2_ID_FIX = (prefix: Ec2IdPrefix, example: string) =>
  `write "${prefix}-" and 8 or 17 lower-case hexadecimal digits, e.g. "${example}"`;

/** An optional id of an existing VPC or subnet. */
const ec2IdField = (prefix: Ec2IdPrefix, what: string, example: string, doc: string) =>
  stringField({
    type: `${what} id`,
    doc,
    defaultText: "none",
    default: () => undefined,
    check: (id) => (isEc2Id(id, prefix) ? undefined : `"${id}" is not a ${what} id`),
    fix: EC2_ID_FIX(prefix, example),
  });

export const COMMON_FIELDS = {
  profile: oneOfField(PROFILES, {
    doc: "Which deployment to synthesize.",
    defaultText: '`"production"`',
    default: () => "production",
  }),
  name: stringField({
    doc: "Name of the deployment: the stack id (`cdktf.out/stacks/<name>`, state file `terraform.<name>.tfstate`), the SSM path of its secrets (`/<name>/keycloak/...`), the default prefix of resource names. Each profile has its own default, so that `--profile dev` never plans over a production deployment. Lower-case letters, digits, dashes; at most 32.",
    defaultText: `\`"${DEFAULT_NAMES.article}"\` (article), \`"${DEFAULT_NAMES.dev}"\` (dev), \`"${DEFAULT_NAMES.cluster}"\` (cluster), \`"${DEFAULT_NAMES.production}"\``,
    default: ({ profile }) => DEFAULT_NAMES[profile],
    check: nameRule(
      /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/,
      32,
      "must be lower-case letters, digits and dashes, starting with a letter",
    ),
    fix: 'write e.g. "keycloak-prod"',
  }),
  region: stringField({
    doc: `AWS region code. A fixed default rather than \`AWS_REGION\`, so that the output is the same on every machine; set it, or pass \`--region\`. The article profile's AMI (${ARTICLE_AMI}) exists in ${ARTICLE_AMI_REGION} only: another region warns.`,
    defaultText: `\`"${ARTICLE_AMI_REGION}"\` (article), \`"us-east-1"\``,
    default: ({ profile }) => (profile === "article" ? ARTICLE_AMI_REGION : "us-east-1"),
    check: regionProblem,
    fix: 'use a region code such as "eu-west-3"',
  }),
  instanceType: stringField({
    doc: "EC2 instance type. Under 2 GiB of memory (`*.nano`, `*.micro`) dev and production warn; at 2 GiB or less a 2 GiB swap file is added, by the boot or at Keycloak's next start after a change of type, and Keycloak's memory is sized from the machine at every start. Families Amazon Linux 2023 does not run on are refused.",
    defaultText: `\`"t2.micro"\` (article), \`"${DEFAULT_CLUSTER_INSTANCE_TYPE}"\` (cluster), \`"${DEFAULT_INSTANCE_TYPE}"\``,
    default: ({ profile }) =>
      profile === "article"
        ? "t2.micro"
        : profile === "cluster"
          ? DEFAULT_CLUSTER_INSTANCE_TYPE
          : DEFAULT_INSTANCE_TYPE,
    check: (type, { profile }) => {
      if (!INSTANCE_TYPES.has(type)) {
        const hint = nearest(type, [...INSTANCE_TYPES]);
        return `"${type}" is not an EC2 instance type${hint ? ` (did you mean "${hint}"?)` : ""}`;
      }
      if (type.startsWith("mac")) return `"${type}" runs only on a dedicated Mac host`;
      if (profile === "article" && isArm64InstanceType(type))
        return `"${type}" is arm64 but the guide's Amazon Linux 2 AMI is x86_64`;
      if (profile !== "article" && NOT_ON_AL2023.includes(instanceFamily(type)))
        return `Amazon Linux 2023 does not run on the ${instanceFamily(type)} family`;
      return undefined;
    },
    fix: 'use a type such as "t3.small"',
  }),
  keyName: stringField({
    doc: "Existing EC2 key pair for SSH. Without it there is no SSH login (use Session Manager); the article profile's `keyname` variable then has no default and Terraform asks for it.",
    defaultText: "none",
    default: () => undefined,
    check: nameRule(/^[\x20-\x7e]+$/, 255, "must be printable ASCII"),
    fix: "give the name of an existing EC2 key pair",
  }),
  sshCidrs: cidrList(
    "IPv4/IPv6 ranges allowed on port 22. Empty: no SSH rule at all.",
    '`["0.0.0.0/0", "::/0"]` (article), `[]`',
    (article) => (article ? WORLD_CIDRS : []),
  ),
  httpsCidrs: cidrList(
    "Ranges allowed on HTTPS port 443, and on 80 where it answers ACME challenges or redirects (in the article profile, the guide's 8080 and 8443; in the cluster, the load balancer's 443 and 80).",
    '`["0.0.0.0/0", "::/0"]`',
    () => WORLD_CIDRS,
  ),
  securityGroupName: stringField({
    doc: "Name of the security group (and its `Name` tag): at most 255 of `a-z A-Z 0-9`, spaces and `._-:/()#,@[]+=&;{}!$*`, not starting with `sg-`.",
    defaultText: '`"<name>-sg"`',
    default: ({ name }) => `${name}-sg`,
    check: (n) =>
      /^sg-/i.test(n)
        ? `"${n}" starts with "sg-", which AWS reserves for group ids`
        : nameRule(
            /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/,
            255,
            "has characters AWS does not allow in a security group name",
          )(n),
    fix: 'use letters, digits, spaces, round brackets and ._-:/#,@[]+=&;{}!$*, e.g. "keycloak-sg"',
  }),
  instanceName: stringField({
    doc: "`Name` tag of the instance and of its Elastic IP, and with `-data` of its data volume. Only EC2 sees it, which takes any character: 1 to 251 (the volume's Name stays within EC2's 256), no control characters.",
    defaultText: '`"<name>"`',
    default: ({ name }) => name,
    // The data volume's Name is `<instanceName>-data` (src/constructs/keycloak-server.ts): 5 of EC2's 256.
    check: nameRule(/^[^\x00-\x1f\x7f]*$/, 256 - "-data".length, "has control characters"),
    fix: 'a Name tag has 1 to 256 characters, none of them a control character, and the data volume\'s adds "-data": at most 251 here',
  }),
  tags: tagsField,
  backend: backendField,
};

/** The fix for each certificate parameter, with an example name of its own. */
const TLS_FIX = {
  certificateParameter: 'give the certificate\'s SSM parameter name, e.g. "/keycloak-ec2/tls/certificate"',
  privateKeyParameter: 'give the private key\'s SSM parameter name, e.g. "/keycloak-ec2/tls/private-key"',
} as const;
const certificateParameters = objectField(
  {
    certificateParameter: stringField({
      type: "SSM parameter name",
      doc: "PEM certificate chain of your own, instead of one from the ACME CA or the self-signed one made at boot (`keycloak.tls.mode` then defaults to `supplied`).",
      defaultText: "none",
      default: () => undefined,
      check: ssmParameterProblem,
      fix: TLS_FIX.certificateParameter,
    }),
    privateKeyParameter: stringField({
      type: "SSM parameter name",
      doc: "The matching PEM private key (SecureString, under the default `aws/ssm` key: the instance role has no `kms:Decrypt` for keys of your own). The boot checks that it matches the certificate.",
      defaultText: "none",
      default: () => undefined,
      check: ssmParameterProblem,
      fix: TLS_FIX.privateKeyParameter,
    }),
  },
  { doc: "A certificate of your own, from SSM parameters." },
);

export interface TlsCertificateConfig {
  /** SSM parameter holding the PEM certificate chain. */
  readonly certificateParameter: string;
  /** SSM SecureString parameter holding the PEM private key. */
  readonly privateKeyParameter: string;
}

/** Absent: a self-signed certificate. Given: both parameters are required. */
const tlsCertificateField: Field<TlsCertificateConfig | undefined> = {
  ...certificateParameters,
  read: (raw, at, context) => {
    if (raw === undefined) return undefined;
    const before = context.problems.lines.length;
    const given = certificateParameters.read(raw, at, context);
    for (const key of ["certificateParameter", "privateKeyParameter"] as const) {
      if (isJsonObject(raw) && raw[key] === undefined)
        context.problems.add(`${at}.${key}`, "is required", TLS_FIX[key]);
    }
    const { certificateParameter, privateKeyParameter } = given;
    return context.problems.lines.length === before && certificateParameter && privateKeyParameter
      ? { certificateParameter, privateKeyParameter }
      : undefined;
  },
};

const ACME_ONLY = "only the acme mode asks a CA for a certificate";

const TLS_FIELDS = {
  mode: {
    type: TLS_MODES.map((mode) => `\`"${mode}"\``).join(" \\| "),
    doc: "`acme`: a publicly trusted certificate from an ACME CA (Let's Encrypt by default) for the hostname, or for the Elastic IP without one (a 6-day certificate under the `shortlived` profile), renewed by the proxy; port 80 opens to the world for the CA's HTTP-01 challenge. `self-signed`: made at boot (browsers warn). `supplied`: yours, from `keycloak.tlsCertificate`.",
    defaultText: '`"supplied"` with `tlsCertificate`, else `"acme"` (production), `"self-signed"` (dev)',
    // Decided with the other keycloak fields (keycloakField): the default depends on tlsCertificate.
    read: (raw, at, { problems }) => readOneOf(raw, at, TLS_MODES, problems),
  } satisfies Field<TlsMode | undefined>,
  acmeEmail: stringField({
    type: "email address",
    doc: "Contact of the ACME account (the CA may write about problems with the certificate).",
    defaultText: "none",
    default: () => undefined,
    check: (email) =>
      /^[^\s"'@]+@[^\s"'@]+\.[^\s"'@]+$/.test(email) ? undefined : `"${email}" is not an email address`,
    fix: 'write e.g. "ops@example.com"',
  }),
  acmeDirectory: stringField({
    type: "URL",
    doc: `The ACME CA's directory. Let's Encrypt's staging directory (\`${LETS_ENCRYPT.staging}\`) has far higher rate limits and an untrusted root: use it for trials.`,
    defaultText: `Let's Encrypt (\`${LETS_ENCRYPT.production}\`)`,
    default: () => LETS_ENCRYPT.production,
    check: (url) => (/^https:\/\/[^\s"'{}]+$/.test(url) ? undefined : `"${url}" is not an https:// URL`),
    fix: `write a directory URL such as "${LETS_ENCRYPT.staging}"`,
  }),
  acmeProfile: stringField({
    type: "string",
    doc: `The ACME profile to ask for (draft-ietf-acme-profiles). Let's Encrypt issues certificates for IP addresses only under \`${SHORTLIVED_PROFILE}\`.`,
    defaultText: `\`"${SHORTLIVED_PROFILE}"\` without a hostname, else the CA's default`,
    default: () => undefined,
    check: (profile) => (/^[A-Za-z0-9._-]+$/.test(profile) ? undefined : `"${profile}" is not a profile name`),
    fix: `write e.g. "${SHORTLIVED_PROFILE}"`,
  }),
};

/** The TLS settings in force: the mode decided. */
export interface TlsConfig {
  readonly mode: TlsMode;
  readonly acmeEmail?: string;
  readonly acmeDirectory: string;
  readonly acmeProfile?: string;
}

const exactKeycloakVersion = stringField({
  doc: "Exact tag of `quay.io/keycloak/keycloak`, a 26.x release, 26.0.8 or later (the cluster: 26.6.0 or later).",
  defaultText: `\`"${DEFAULT_KEYCLOAK_VERSION}"\``,
  default: () => DEFAULT_KEYCLOAK_VERSION,
  check: (v) => (/^26\.\d+\.\d+$/.test(v) ? undefined : `"${v}" is not an exact Keycloak 26.x release`),
  fix: `write an exact tag such as "${DEFAULT_KEYCLOAK_VERSION}"; "latest" and other majors are not supported`,
});

/**
 * The version, refused below 26.0.8: 26.0.0 to 26.0.7 crash at start importing a realm with a service-account client,
 * even with its service-account user declared (docs/design-facts.md §5).
 */
const keycloakVersionField: Field<string> = {
  ...exactKeycloakVersion,
  read: (raw, at, context) => {
    const version = exactKeycloakVersion.read(raw, at, context);
    const [minor, patch] = version.split(".").slice(1).map(Number);
    if (minor === 0 && patch < 8)
      context.problems.add(
        at,
        `"${version}" crashes at start importing a realm with a service-account client, as every release before 26.0.8 does: docs/design-facts.md §5`,
        `write 26.0.8 or later, e.g. "${DEFAULT_KEYCLOAK_VERSION}"`,
      );
    return version;
  },
};

export const KEYCLOAK_FIELDS = {
  version: keycloakVersionField,
  hostname: stringField({
    type: "DNS name",
    doc: "Name clients use to reach Keycloak (`https://<hostname>/`) and the certificate's name. Point it at the Elastic IP: `dnsZone` makes the record, or make it yourself. Required by the cluster, whose load balancer gets an ACM certificate for it and an alias record in `dnsZone`.",
    defaultText: "the Elastic IP (`https://<address>/`)",
    default: () => undefined,
    check: hostnameProblem,
    fix: HOSTNAME_FIX,
    normalize: (host) => host.toLowerCase(),
  }),
  adminUser: stringField({
    doc: "User name of the bootstrap administrator of the master realm.",
    defaultText: `\`"${DEFAULT_ADMIN_USER}"\``,
    default: () => DEFAULT_ADMIN_USER,
    check: nameRule(/^[a-z0-9._@-]+$/, 255, "may only contain lower-case letters, digits and . _ @ -"),
    fix: 'write e.g. "admin"',
  }),
  tls: objectField(TLS_FIELDS, { doc: "How the HTTPS proxy gets its certificate." }),
  tlsCertificate: tlsCertificateField,
  realm: realmField,
};

const adminCidrList = cidrList(
  "Ranges that may reach the admin console and the admin REST API (`/admin/`); the proxy answers 403 to anyone else. They reach port 443 only if `httpsCidrs` lets them in. The master realm's endpoints (its login, its token endpoint) follow the same rule. Empty: nobody through the proxy (the admin CLI still works on the instance).",
  "`httpsCidrs`",
  () => [],
);

const keycloakTable = objectField(KEYCLOAK_FIELDS, { doc: "Keycloak itself (dev, production)." });

/** The keycloak fields in force: the TLS mode decided. */
export type KeycloakConfig = Omit<ValuesOf<typeof KEYCLOAK_FIELDS>, "tls"> & { readonly tls: TlsConfig };

/** The keycloak object, with the TLS mode decided (its default depends on tlsCertificate) and checked with it. */
const keycloakField: Field<KeycloakConfig> = {
  ...keycloakTable,
  read: (raw, at, context) => {
    const values = keycloakTable.read(raw, at, context);
    const { problems, profile } = context;
    const given = values.tls.mode;
    const mode: TlsMode = given ?? (values.tlsCertificate ? "supplied" : profile === "dev" ? "self-signed" : "acme");
    const tlsAt = `${at}.tls`;
    if (mode === "supplied" && !values.tlsCertificate)
      problems.add(
        `${tlsAt}.mode`,
        'is "supplied" but keycloak.tlsCertificate is not set',
        "give keycloak.tlsCertificate's two SSM parameters, or choose acme or self-signed",
      );
    if (values.tlsCertificate && given !== undefined && given !== "supplied")
      problems.add(
        `${at}.tlsCertificate`,
        `is given but keycloak.tls.mode is "${given}"`,
        'set keycloak.tls.mode to "supplied" to serve your certificate, or remove keycloak.tlsCertificate',
      );
    const rawTls = isJsonObject(raw) && isJsonObject(raw.tls) ? raw.tls : {};
    if (mode !== "acme")
      for (const key of ["acmeEmail", "acmeDirectory", "acmeProfile"] as const)
        if (rawTls[key] !== undefined) problems.warn(`${tlsAt}.${key}`, `is ignored in the ${mode} mode: ${ACME_ONLY}`);
    const letsEncrypt = Object.values(LETS_ENCRYPT).includes(values.tls.acmeDirectory as never);
    if (
      mode === "acme" &&
      !values.hostname &&
      letsEncrypt &&
      (values.tls.acmeProfile ?? SHORTLIVED_PROFILE) !== SHORTLIVED_PROFILE
    )
      problems.add(
        `${tlsAt}.acmeProfile`,
        `is "${values.tls.acmeProfile}", but without keycloak.hostname the certificate is for the Elastic IP, which Let's Encrypt issues only under "${SHORTLIVED_PROFILE}"`,
        `remove acmeProfile, or set keycloak.hostname`,
      );
    return { ...values, tls: { ...values.tls, mode } };
  },
};

export const SERVER_FIELDS = {
  rootVolumeSize: integerField({
    type: "integer (GiB)",
    doc: "Size of the encrypted gp3 root volume (dev, production; each cluster node's), 8 to 16384.",
    defaultText: `\`${DEFAULT_ROOT_VOLUME_SIZE}\``,
    default: () => DEFAULT_ROOT_VOLUME_SIZE,
    min: 8,
    max: 16384,
    unit: "GiB",
    example: 20,
  }),
  elasticIp: booleanField({
    doc: "Give the instance an Elastic IP so its address and certificate survive stop/start (dev, production; about 3.6 USD a month).",
    defaultText: "`true`",
    default: () => true,
  }),
  dataVolumeSize: integerField({
    type: "integer (GiB)",
    doc: "Size of the encrypted gp3 data volume (dev, production), 1 to 16384: PostgreSQL (or the dev profile's H2), TLS material, the boot's state. It outlives the instance: a replaced instance gets it back.",
    defaultText: `\`${DEFAULT_DATA_VOLUME_SIZE}\``,
    default: () => DEFAULT_DATA_VOLUME_SIZE,
    min: 1,
    max: 16384,
    unit: "GiB",
    example: 10,
  }),
  availabilityZone: stringField({
    type: "zone name",
    doc: "Availability zone of the instance and its data volume (dev, production), which must share one. Refused with `subnetId`: the subnet decides the zone. Changing it later would move the volume, which `dataProtection` refuses.",
    defaultText: '`subnetId`\'s zone, else `"<region>a"`',
    default: () => undefined,
    check: (zone) =>
      /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(zone) ? undefined : `"${zone}" is not an availability zone name`,
    fix: 'write e.g. "eu-west-3a"',
  }),
  dataProtection: booleanField({
    doc: "Refuse to destroy the data volume (the cluster's database) and the backup bucket (Terraform's `prevent_destroy`, and the database's deletion protection): `npm run destroy` refuses, and a plain destroy fails as a whole, until you set it to `false` (docs/operations.md says how to keep or delete the data). The volume (the database) takes a final snapshot when it is deleted either way.",
    defaultText: "`true` (production, cluster), `false` (dev)",
    default: ({ profile }) => profile !== "dev",
  }),
  backupRetentionDays: integerField({
    type: "integer (days)",
    doc: "Days the daily EBS snapshots of the data volume and the daily logical backups (production) in the deployment's S3 bucket are kept, 1 to 1000; in the cluster, the database's automated backups, 7 to 35.",
    defaultText: `\`${DEFAULT_BACKUP_RETENTION_DAYS}\``,
    default: () => DEFAULT_BACKUP_RETENTION_DAYS,
    min: 1,
    max: 1000,
    unit: "days",
    example: 30,
  }),
  followLatestAmi: booleanField({
    doc: "Replace the instance when AWS publishes a newer Amazon Linux 2023 AMI: the data volume keeps the data, and Keycloak is down while the new instance boots. Off, a new AMI changes nothing.",
    defaultText: "`false`",
    default: () => false,
  }),
  vpcId: ec2IdField(
    "vpc",
    "VPC",
    "vpc-0123456789abcdef0",
    "The VPC of `subnetId` (dev, production) or `subnetIds` (cluster), as a check: the plan fails unless the subnet is in it. Refused without them: a VPC does not say where to launch.",
  ),
  subnetId: ec2IdField(
    "subnet",
    "subnet",
    "subnet-0123456789abcdef0",
    "An existing public subnet (routed to an internet gateway) to launch the instance in, its VPC holding the security group (dev, production). Without it, the region's default VPC: the plan fails in an account that has none.",
  ),
  adminCidrs: {
    ...adminCidrList,
    // Absent: httpsCidrs, decided by the stack (its Terraform variable) rather than copied here.
    read: (raw, at, context) => (raw === undefined ? undefined : adminCidrList.read(raw, at, context)),
  } satisfies Field<readonly string[] | undefined>,
  dnsZone: stringField({
    type: "zone name or id",
    doc: "A Route 53 public hosted zone of this account (its name, `example.com`, or id, `Z0123456789ABCDEFGHIJ`) that holds `keycloak.hostname`: the stack creates the hostname's `A` record pointing at the Elastic IP, before the instance asks for a certificate. Required by the cluster: the ACM certificate is validated, and the hostname's alias to the load balancer made, in it.",
    defaultText: "none: point the hostname at the Elastic IP yourself",
    default: () => undefined,
    check: (zone) =>
      /^Z[A-Z0-9]{1,31}$/.test(zone) || hostnameProblem(zone.replace(/\.$/, "")) === undefined
        ? undefined
        : `"${zone}" is neither a hosted zone name nor a hosted zone id`,
    fix: 'write the zone\'s name, e.g. "example.com", or its id, e.g. "Z0123456789ABCDEFGHIJ"',
    normalize: (zone) => (zone.startsWith("Z") && !zone.includes(".") ? zone : zone.replace(/\.$/, "").toLowerCase()),
  }),
  keycloak: keycloakField,
};
