import { WORLD_CIDRS } from "../aws/cidr";
import { INSTANCE_TYPES, instanceFamily, isArm64InstanceType, NOT_ON_AL2023 } from "../aws/instance-types";
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
  stringField,
  stringListField,
  templateProblem,
} from "./field";
import {
  DEFAULT_ADMIN_USER,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_KEYCLOAK_VERSION,
  DEFAULT_NAME,
  DEFAULT_ROOT_VOLUME_SIZE,
} from "../defaults";
import { PROFILES } from "./profiles";
import { realmField } from "./realm";
import { checkCidr, HOSTNAME_FIX, hostnameProblem, ssmParameterProblem } from "./rules";

/**
 * Every configuration field, declared once: its README row (type, default, meaning), its parser and its default
 * per profile. `COMMON_FIELDS` apply to every profile; `SERVER_FIELDS` only to the profiles that run Keycloak.
 * The README's configuration table is generated from these tables (`npm run docs`).
 */

/** EC2 allows 50 tags per resource; the stack sets a few of its own (Name and the deployment's defaults). */
const MAX_USER_TAGS = 45;

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

const tagsField: Field<Readonly<Record<string, string>>> = {
  type: "object of strings",
  doc: "Extra tags on every resource (the provider's `default_tags`). Keys 1-128 characters, not `aws:`, not `Name`; values up to 256.",
  defaultText: "`{}`",
  read: (raw, at, { problems }) => {
    if (raw === undefined) return {};
    if (!isJsonObject(raw)) return problems.add(at, `must be an object, got ${describe(raw)}`, "write { ... }") ?? {};
    const before = problems.lines.length;
    const entries = Object.entries(raw);
    if (entries.length > MAX_USER_TAGS)
      problems.add(
        at,
        `has ${entries.length} tags`,
        `EC2 allows 50 per resource and the stack sets a few; keep at most ${MAX_USER_TAGS}`,
      );
    for (const [key, value] of entries) {
      const field = `${at}.${key}`;
      if (key.length === 0 || key.length > 128)
        problems.add(field, `key is ${key.length} characters long`, "tag keys have 1 to 128 characters");
      else if (/^aws:/i.test(key))
        problems.add(field, 'keys starting with "aws:" are reserved by AWS', "choose another key");
      else if (key === "Name")
        problems.add(field, "the Name tag is set from instanceName and securityGroupName", "set instanceName instead");
      if (templateProblem(key)) problems.add(field, templateProblem(key)!, 'remove "${" and "%{"');
      if (typeof value !== "string")
        problems.add(field, `must be a string, got ${describe(value)}`, 'write it in "quotes"');
      else if (value.length > 256)
        problems.add(field, `value is ${value.length} characters long`, "tag values have at most 256 characters");
      else if (templateProblem(value)) problems.add(field, templateProblem(value)!, 'remove "${" and "%{"');
    }
    return problems.lines.length === before ? (raw as Record<string, string>) : {};
  },
};

export const COMMON_FIELDS = {
  profile: oneOfField(PROFILES, {
    doc: "Which deployment to synthesize.",
    defaultText: '`"production"`',
    default: () => "production",
  }),
  name: stringField({
    doc: "Name of the deployment: the stack id (`cdktf.out/stacks/<name>`, state file `terraform.<name>.tfstate`), the default prefix of resource names. Lower-case letters, digits, dashes; at most 32.",
    defaultText: `\`"${DEFAULT_NAME}"\``,
    default: () => DEFAULT_NAME,
    check: nameRule(
      /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/,
      32,
      "must be lower-case letters, digits and dashes, starting with a letter",
    ),
    fix: 'write e.g. "keycloak-prod"',
  }),
  region: stringField({
    doc: "AWS region code. A fixed default rather than `AWS_REGION`, so that the output is the same on every machine; set it, or pass `--region`.",
    defaultText: '`"us-east-1"`',
    default: () => "us-east-1",
    check: regionProblem,
    fix: 'use a region code such as "eu-west-3"',
  }),
  instanceType: stringField({
    doc: "EC2 instance type. Under 2 GiB of memory (`*.nano`, `*.micro`) dev and production warn, add a swap file and cap Keycloak's heap; families Amazon Linux 2023 does not run on are refused.",
    defaultText: `\`"t2.micro"\` (article), \`"${DEFAULT_INSTANCE_TYPE}"\``,
    default: ({ profile }) => (profile === "article" ? "t2.micro" : DEFAULT_INSTANCE_TYPE),
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
    "Ranges allowed on Keycloak's HTTPS port 8443 (and, in the article profile, 8080).",
    '`["0.0.0.0/0", "::/0"]`',
    () => WORLD_CIDRS,
  ),
  securityGroupName: stringField({
    doc: "Name of the security group (not starting with `sg-`, at most 255 characters).",
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
    fix: 'use letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, e.g. "keycloak-sg"',
  }),
  instanceName: stringField({
    doc: "`Name` tag of the instance.",
    defaultText: '`"<name>"`',
    default: ({ name }) => name,
    check: nameRule(/^[^\x00-\x1f]*$/, 256, "has control characters"),
    fix: "a Name tag has 1 to 256 characters",
  }),
  tags: tagsField,
  backend: backendField,
};

const TLS_FIX = 'give SSM parameter names, e.g. "/keycloak-ec2/tls/certificate"';
const certificateParameters = objectField(
  {
    certificateParameter: stringField({
      type: "SSM parameter name",
      doc: "PEM certificate chain of your own, instead of the self-signed one made at boot.",
      defaultText: "none (self-signed)",
      default: () => undefined,
      check: ssmParameterProblem,
      fix: TLS_FIX,
    }),
    privateKeyParameter: stringField({
      type: "SSM parameter name",
      doc: "The matching PEM private key (SecureString, under the default `aws/ssm` key: the instance role has no `kms:Decrypt` for keys of your own). The boot checks that it matches the certificate.",
      defaultText: "none",
      default: () => undefined,
      check: ssmParameterProblem,
      fix: TLS_FIX,
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
      if (isJsonObject(raw) && raw[key] === undefined) context.problems.add(`${at}.${key}`, "is required", TLS_FIX);
    }
    const { certificateParameter, privateKeyParameter } = given;
    return context.problems.lines.length === before && certificateParameter && privateKeyParameter
      ? { certificateParameter, privateKeyParameter }
      : undefined;
  },
};

export const KEYCLOAK_FIELDS = {
  version: stringField({
    doc: "Exact tag of `quay.io/keycloak/keycloak`, a 26.x release.",
    defaultText: `\`"${DEFAULT_KEYCLOAK_VERSION}"\``,
    default: () => DEFAULT_KEYCLOAK_VERSION,
    check: (v) => (/^26\.\d+\.\d+$/.test(v) ? undefined : `"${v}" is not an exact Keycloak 26.x release`),
    fix: `write an exact tag such as "${DEFAULT_KEYCLOAK_VERSION}"; "latest" and other majors are not supported`,
  }),
  hostname: stringField({
    type: "DNS name",
    doc: "Name clients use to reach Keycloak; point it at the Elastic IP yourself.",
    defaultText: "the instance's public DNS name",
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
  tlsCertificate: tlsCertificateField,
  realm: realmField,
};

export const SERVER_FIELDS = {
  rootVolumeSize: integerField({
    type: "integer (GiB)",
    doc: "Size of the encrypted gp3 root volume (dev, production), 8 to 16384.",
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
  followLatestAmi: booleanField({
    doc: "Replace the instance when AWS publishes a newer Amazon Linux 2023 AMI. Off, a new AMI changes nothing.",
    defaultText: "`false`",
    default: () => false,
  }),
  keycloak: objectField(KEYCLOAK_FIELDS, { doc: "Keycloak itself (dev, production)." }),
};
