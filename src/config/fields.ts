import { ARTICLE_AMI, ARTICLE_AMI_REGION } from "../aws/article-ami";
import { WORLD_CIDRS } from "../aws/cidr";
import { Ec2IdPrefix, isEc2Id } from "../aws/ids";
import { INSTANCE_TYPES, instanceFamily, isArm64InstanceType, NOT_ON_AL2023 } from "../aws/instance-types";
import {
  badTagCharacters,
  quoteCharacters,
  TAG_CHARACTERS_TEXT,
  TAG_KEY_MAX,
  TAG_VALUE_MAX,
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
  stringField,
  stringListField,
  templateProblem,
} from "./field";
import {
  DEFAULT_ADMIN_USER,
  DEFAULT_BACKUP_RETENTION_DAYS,
  DEFAULT_DATA_VOLUME_SIZE,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_KEYCLOAK_VERSION,
  DEFAULT_NAMES,
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

const TAG_CHARACTERS_FIX = `tags reach the IAM role and the SSM parameters, which take only ${TAG_CHARACTERS_TEXT}`;

/** The problem with a tag key or value's characters, and the fix with a cleaned-up suggestion. */
function tagCharactersProblem(what: "key" | "value", text: string): [string, string] | undefined {
  const bad = badTagCharacters(text);
  if (bad.length === 0) return undefined;
  const suggestion = withoutBadTagCharacters(text);
  return [
    `${what} ${JSON.stringify(text)} has ${bad.length === 1 ? "a character" : "characters"} IAM and SSM refuse in tags: ${quoteCharacters(bad)}`,
    `${TAG_CHARACTERS_FIX}${suggestion ? `, e.g. "${suggestion}"` : ""}`,
  ];
}

const tagsField: Field<Readonly<Record<string, string>>> = {
  type: "object of strings",
  doc: `Extra tags on every resource (the provider's \`default_tags\`, so the IAM role and the SSM parameters get them too): keys 1-${TAG_KEY_MAX} characters, not \`aws:\`, not \`Name\`, no two differing only in case; values 1-${TAG_VALUE_MAX}; both only letters, digits, spaces and \`_ . : / = + - @\`.`,
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
    const seen = new Map<string, string>();
    for (const [key, value] of entries) {
      const field = `${at}.${key}`;
      const keyLength = unicodeLength(key);
      const keyCharacters = tagCharactersProblem("key", key);
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

const EC2_ID_FIX = (prefix: Ec2IdPrefix, example: string) =>
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
    defaultText: `\`"${DEFAULT_NAMES.article}"\` (article), \`"${DEFAULT_NAMES.dev}"\` (dev), \`"${DEFAULT_NAMES.production}"\``,
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
    doc: "EC2 instance type. Under 2 GiB of memory (`*.nano`, `*.micro`) dev and production warn; at 2 GiB or less the boot adds a swap file, and Keycloak's memory is sized from the machine at every start. Families Amazon Linux 2023 does not run on are refused.",
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
    doc: "`Name` tag of the instance and of its Elastic IP. Only EC2 sees it, which takes any character: 1 to 256, no control characters.",
    defaultText: '`"<name>"`',
    default: ({ name }) => name,
    check: nameRule(/^[^\x00-\x1f\x7f]*$/, 256, "has control characters"),
    fix: "a Name tag has 1 to 256 characters, none of them a control character",
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
    doc: "Refuse to destroy the data volume and the backup bucket (Terraform's `prevent_destroy`): `npm run destroy` refuses, and a plain destroy fails as a whole, until you set it to `false` (docs/operations.md says how to keep or delete the data). The volume takes a final snapshot when it is deleted either way.",
    defaultText: "`true` (production), `false` (dev)",
    default: ({ profile }) => profile === "production",
  }),
  backupRetentionDays: integerField({
    type: "integer (days)",
    doc: "Days the daily EBS snapshots of the data volume and the daily logical backups (production) in the deployment's S3 bucket are kept, 1 to 1000.",
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
    "The VPC of `subnetId` (dev, production), as a check: the plan fails unless the subnet is in it. Refused without `subnetId`: a VPC does not say where to launch.",
  ),
  subnetId: ec2IdField(
    "subnet",
    "subnet",
    "subnet-0123456789abcdef0",
    "An existing public subnet (routed to an internet gateway) to launch the instance in, its VPC holding the security group (dev, production). Without it, the region's default VPC: the plan fails in an account that has none.",
  ),
  keycloak: objectField(KEYCLOAK_FIELDS, { doc: "Keycloak itself (dev, production)." }),
};
