import { readdirSync, readFileSync, rmSync } from "fs";
import { dirname, join } from "path";
import { format } from "@cdktf/hcl-tools";
import { parse } from "@cdktf/hcl2json";
import {
  CloudBackend,
  Fn,
  LocalBackend,
  NamedCloudWorkspace,
  S3Backend,
  TaggedCloudWorkspaces,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  Testing,
} from "cdktf";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import {
  exportHcl,
  ExportHclOptions,
  HclExportError,
  HclFiles,
  JsonObject,
  JsonValue,
  TerraformJson,
} from "../../src/hcl/export";
import {
  attributeShape,
  blockBody,
  BlockSchema,
  BodySchema,
  DATA_SOURCE_BLOCKS,
  fieldShape,
  NestedBlocks,
  PROVIDER_BLOCKS,
  RESOURCE_BLOCKS,
  ROOT,
  stringMode,
  ValueShape,
} from "../../src/hcl/schema";
import { splitTemplate } from "../../src/hcl/template";
import { synthesize } from "../stack/synth";

/*
 * Round trip: every case is exported, each file read back by HCL's own parser (@cdktf/hcl2json), and compared with
 * the original JSON brought into the same form.
 *
 * hcl2json reads blocks as lists (labels as nested keys), expressions as "${...}" strings in their source text (as
 * formatted), literal text with `$${`/`%%{` escapes, templates with strip markers applied and directives respelled.
 * The normalizer does not imitate any of that: it has HCL's parser read a plain reference spelling of each JSON
 * string, chosen only by how Terraform reads the string there (template, verbatim text, bare reference or type):
 * - a template: a heredoc holding the text verbatim (which is how Terraform JSON and heredocs both read it), with
 *   a sentinel line end so no final newline is added, and carriage returns (no heredoc line can hold one) swapped
 *   for a private-use character and back; but a template that is one interpolation `${expr}` is read as the
 *   quoted string "${expr}" (its value is expr's, unconverted), which is how Terraform reads it;
 * - verbatim text: the same heredoc of the text with `${` and `%{` escaped;
 * - a reference or type: the bare expression.
 * One difference is mapped away on both sides: the indentation of lines inside a `${...}` or `%{...}` sequence,
 * which the formatter sets by nesting depth and which is whitespace between expression tokens. Nothing else is:
 * a missing final newline, `[]`, `null`, `nullable = false` all stay as they are.
 */

/** A JSON string to be read: a template as a value or as a string (object keys), or a bare expression. */
type Reading = { readonly kind: "value" | "string" | "bare"; readonly text: string };

const CR_STAND_IN = "\ue000";
const SENTINEL = "\ue001";
const ORACLE_MARKER = "ORACLE_END";

/** Template text whose literal parts are `text`. */
const verbatim = (text: string) => text.replace(/([$%])\{/g, "$1$1{");

/** HCL source reading `reading` the way Terraform reads the JSON string. */
function referenceSource({ kind, text }: Reading, isInterpolation: boolean): string {
  if (kind === "bare") return text;
  if (kind === "value" && isInterpolation) return `"${text}"`;
  for (const reserved of [CR_STAND_IN, SENTINEL, ORACLE_MARKER])
    if (text.includes(reserved)) throw new Error(`test text holds ${reserved}`);
  return `<<${ORACLE_MARKER}\n${text.replace(/\r/g, CR_STAND_IN)}${SENTINEL}\n${ORACLE_MARKER}\n`;
}

/** Whether each `${...}` candidate is one whole interpolation: its inside parses as one parenthesized expression. */
async function soleInterpolations(texts: readonly string[]): Promise<boolean[]> {
  const inner = (text: string) => text.slice(2, -1).replace(/^~/, "").replace(/~$/, "");
  const parses = (sources: readonly string[]) =>
    parse("probe.tf", sources.map((source, i) => `p${i} = (${source})\n`).join("")).then(
      () => true,
      () => false,
    );
  const candidates = texts.map((text) => /^\$\{[\s\S]*\}$/.test(text));
  const sources = texts.filter((_, i) => candidates[i]).map(inner);
  if (await parses(sources)) return candidates;
  return Promise.all(texts.map(async (text, i) => candidates[i]! && parses([inner(text)])));
}

/** HCL's reading of each JSON string, one parse for all. */
async function readAll(readings: readonly Reading[]): Promise<JsonValue[]> {
  const interpolations = await soleInterpolations(readings.map(({ kind, text }) => (kind === "value" ? text : "")));
  const source = readings.map((reading, i) => `r${i} = ${referenceSource(reading, interpolations[i]!)}\n`).join("");
  const read = await parse("oracle.tf", await format(source));
  return readings.map((reading, i) => {
    const value = read[`r${i}`] as JsonValue;
    if (reading.kind === "bare" || (reading.kind === "value" && interpolations[i])) return value;
    if (typeof value !== "string" || !value.endsWith(`${SENTINEL}\n`))
      throw new Error(`oracle misread ${JSON.stringify(reading.text)}`);
    return value.slice(0, -SENTINEL.length - 1).replace(new RegExp(CR_STAND_IN, "g"), "\r");
  });
}

/** Every string in `value` with the lines inside its template sequences unindented (see the top of this file). */
function unindentSequences(value: JsonValue): JsonValue {
  if (typeof value === "string") {
    return splitTemplate(value)
      .map((part) => (part.kind === "sequence" ? part.text.replace(/\n[ \t]+/g, "\n") : part.text))
      .join("");
  }
  if (Array.isArray(value)) return value.map(unindentSequences);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [unindentSequences(k), unindentSequences(v)]));
  return value;
}

/** How a case's local-backend paths are expected to be rewritten. */
type PathRewrite = (path: string) => string;

/** The JSON as HCL's parser reads its HCL: `read` gives each string's reading (the walk runs twice, see below). */
function canonicalDocument(
  document: TerraformJson,
  read: (reading: Reading) => JsonValue,
  localPath: PathRewrite,
): JsonObject {
  const value = (json: JsonValue, shape: ValueShape): JsonValue => {
    if (typeof json === "string") {
      const mode = stringMode(shape);
      if (mode === "template") return read({ kind: "value", text: json });
      if (mode === "reference" || mode === "type")
        return read({ kind: "bare", text: /^\$\{.*\}$/.test(json) ? json.slice(2, -1) : json });
      if (mode === "providerSource")
        return read({ kind: "string", text: verbatim(json.includes("/") ? json : `hashicorp/${json}`) });
      return read({ kind: "string", text: verbatim(mode === "localPath" ? localPath(json) : json) });
    }
    if (Array.isArray(json)) return json.map((element) => value(element, shape));
    if (json !== null && typeof json === "object") {
      return Object.fromEntries(
        Object.entries(json).map(([key, field]) => [
          read({ kind: "string", text: shape === "template" ? key : verbatim(key) }) as string,
          value(field, fieldShape(shape, key)),
        ]),
      );
    }
    return json;
  };
  const body = (json: JsonObject, schema: BodySchema): JsonObject => {
    const out: Record<string, JsonValue> = {};
    for (const [name, field] of Object.entries(json)) {
      if (name === "//") continue;
      const block = schema.blocks?.[name];
      if (block) addBlocks(out, name, field, block);
      else out[name] = value(field, attributeShape(schema, name));
    }
    return out;
  };
  const addBlocks = (
    out: Record<string, JsonValue>,
    type: string,
    json: JsonValue,
    schema: BlockSchema,
    labels: string[] = [],
  ): void => {
    for (const instance of Array.isArray(json) ? json : json === null ? [] : [json]) {
      const object = instance as JsonObject;
      if (labels.length < schema.labels) {
        for (const [label, inner] of Object.entries(object))
          if (label !== "//") addBlocks(out, type, inner, schema, [...labels, label]);
        continue;
      }
      // hcl2json nests labels as keys: type -> label... -> list of bodies.
      const keys = [type, ...labels];
      let level = out;
      for (const key of keys.slice(0, -1)) level = (level[key] ??= {}) as Record<string, JsonValue>;
      ((level[keys[keys.length - 1]!] ??= []) as JsonValue[]).push(body(object, blockBody(schema, labels)));
    }
  };
  return body(document, ROOT);
}

/** The JSON brought into hcl2json's form: collect the strings, have HCL read them, then walk again with the readings. */
async function normalize(document: TerraformJson, localPath: PathRewrite = (path) => path): Promise<JsonObject> {
  const readings: Reading[] = [];
  canonicalDocument(document, (reading) => (readings.push(reading), null), localPath);
  const values = await readAll(readings);
  let next = 0;
  return canonicalDocument(document, () => values[next++]!, localPath);
}

const FILE_BLOCKS: Record<keyof HclFiles, readonly string[]> = {
  "versions.tf": ["terraform"],
  "providers.tf": ["provider"],
  "variables.tf": ["variable"],
  "main.tf": ["data", "locals", "module", "resource", "moved", "import"],
  "outputs.tf": ["output"],
};

/** The header the round-trip cases are exported with, as `npm run hcl` writes one. */
const HEADER =
  "Generated by keycloak-ec2: npm run hcl -- --out 'my infra' (config: keycloak.config.json). Do not edit; change the config and run it again.";

/** The exported files as HCL's parser reads them, checking each file holds only its own block types. */
async function readBack(files: HclFiles): Promise<JsonObject> {
  const parts = await Promise.all(
    (Object.keys(FILE_BLOCKS) as (keyof HclFiles)[]).map(async (file) => {
      const read = files[file] ? await parse(file, files[file]) : {};
      expect(Object.keys(read).filter((key) => !FILE_BLOCKS[file].includes(key))).toEqual([]);
      return read;
    }),
  );
  return Object.assign({}, ...parts);
}

interface Case {
  readonly name: string;
  readonly json: TerraformJson | (() => TerraformJson);
  readonly options?: ExportHclOptions;
  readonly localPath?: PathRewrite;
  /** What the files must mean, where that is not the JSON itself (`backend: false`). @default - the JSON */
  readonly means?: TerraformJson;
}

/** Arguments of `aws_instance.ec2`. */
const instance = (body: JsonObject): TerraformJson => ({ resource: { aws_instance: { ec2: body } } });
/** A string in an ordinary argument (read as a template). */
const text = (userData: JsonValue): TerraformJson => instance({ ami: "ami-1", user_data: userData });
/** A value in a local. */
const local = (value: JsonValue): TerraformJson => ({ locals: { value } });

/** The synthesized JSON of a stack built by `build`, as `cdktf synth` writes it (with its `//` metadata). */
function synthesized(build: (stack: TerraformStack) => void): () => TerraformJson {
  return () => {
    const stack = new TerraformStack(Testing.app(), "stack");
    build(stack);
    const outDir = Testing.fullSynth(stack);
    try {
      return JSON.parse(readFileSync(join(outDir, "stacks", "stack", "cdk.tf.json"), "utf8")) as TerraformJson;
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  };
}

const CASES: Case[] = [
  // Strings: heredoc only where exact, else a quoted string with escapes.
  { name: "plain string", json: text("hello") },
  { name: "empty string", json: text("") },
  { name: "lines with a final newline", json: text("#!/bin/bash\necho hi\n") },
  { name: "lines without a final newline", json: text("line one\nline two") },
  { name: "one line and a newline", json: text("one line\n") },
  { name: "only newlines", json: local(["\n", "\n\n", "\n\n\n"]) },
  { name: "CRLF line ends", json: text("a\r\nb\r\n") },
  { name: "lone carriage returns", json: local(["a\rb\n", "a\rb\nc\n", "\r"]) },
  { name: "tabs", json: text("a\tb\n\tindented\n") },
  { name: "trailing and leading spaces", json: text("  a  \n b \n   \n") },
  { name: "control characters", json: text("\u0001start\n\u007fdel \u001b[0m \u0085 \u009f\n") },
  { name: "NUL", json: text("a\u0000b") },
  { name: "lines equal to heredoc markers", json: text("EOT\nEOF\nEND\n") },
  { name: "marker lines padded with spaces", json: text(" EOT\nEOF \n\tEND\t\n") },
  { name: "marker lines padded with Unicode spaces", json: text("\u00a0EOT\u3000\nEOF\u2003\n\u205fEND\n") },
  { name: "every marker candidate taken", json: text("EOT\nEOF\nEND\nEOT1\nEOT2\n") },
  { name: "markers inside longer lines", json: text("<<EOT\nEOT;\nx EOF\n") },
  { name: "literal ${ escape", json: text("price: $${amount}\necho $${HOME}\n") },
  { name: "literal %{ escape", json: text("%%{ if x }%%{ endif }\n100%%{\n") },
  { name: "interpolation in text", json: text("Hello ${var.name}!") },
  { name: "interpolation in lines", json: text("#!/bin/bash\necho ${var.name} > /tmp/${var.file}\n") },
  { name: "interpolation spanning lines", json: text('start ${join(",",\n  var.list)}\nend\n') },
  { name: "if directive", json: text("%{ if var.enabled }yes%{ else }no%{ endif }") },
  { name: "for directive in lines", json: text("%{ for name in var.names }${name}\n%{ endfor }") },
  { name: "strip markers", json: text("a ${~ var.x ~} b\n  %{~ if var.y ~}\n y \n%{~ endif ~}\n") },
  { name: "quotes and backslashes", json: text('say "hi" to C:\\dir\\ and \\n') },
  { name: "backslashes in lines stay literal", json: text('C:\\dir\\new\nprintf "%s\\n" x\n\\\n') },
  { name: "backslash before an interpolation", json: text("\\${var.x} \\\\${var.y}") },
  {
    name: "dollars and percents",
    json: local(["100%", "$", "%", "a$$b", "$$${var.x}", "%%%{x}", "$%%{x}", "cost $5 {x}"]),
  },
  { name: "non-ASCII", json: text("café ü 日本語 😀\nمرحبا بالعالم\n") },
  { name: "NBSP, BOM and line separators", json: text("a\u00a0b\u2028c\u2029d\ufeffe\n\u00a0\n") },
  { name: "a 10k-character line", json: text("x".repeat(10_000)) },
  { name: "a 10k-character line among lines", json: text(`head\n${"y ".repeat(5_000)}\ntail\n`) },
  { name: "braces and quotes inside interpolations", json: text('${lookup(var.m, "}", "{")} and ${"a${var.b}"} "q"') },
  { name: "comment inside an interpolation", json: text("${var.x # comment }\n}\n") },

  // Expressions: a string that is one interpolation is written bare.
  { name: "reference", json: local("${var.keyname}") },
  { name: "function call", json: local('${join(",", var.subnets)}') },
  { name: "two interpolations", json: local("${var.a}${var.b}") },
  { name: "interpolation and a space", json: local("${var.a} ") },
  { name: "literal values in an interpolation", json: local(["${1}", "${true}", '${"s"}', "${-1}", "${null}"]) },
  { name: "tuple and object in an interpolation", json: local(["${[var.a, 1]}", "${{ a = var.b }}"]) },
  { name: "spaces inside the interpolation", json: local("${ var.x }") },
  { name: "interpolation over several lines", json: local("${merge(\n  var.a,\n  var.b\n)}") },
  { name: "conditional", json: local('${var.a ? "x" : "y"}') },

  // Numbers, booleans, null.
  { name: "numbers", json: local([0, -1, 1.5, -0.25, 1e21, 1.5e-7, 9007199254740993, 123456789.123, 2 ** 53]) },
  { name: "booleans and null", json: local({ yes: true, no: false, nothing: null }) },

  // Keys and collections.
  {
    name: "keys needing quotes",
    json: local({
      "kubernetes.io/role": "a",
      "a b": 1,
      "1abc": 2,
      "": 3,
      "a-b": 4,
      for: 5,
      null: 6,
      true: 7,
      é: 8,
      "x\ny": 9,
      "${var.k}": 10,
      "$${not_interpolated}": 11,
      "//": 12,
      'q"uote': 13,
      "back\\slash": 14,
    }),
  },
  { name: "empty lists and maps", json: local({ a: [], b: {}, c: [[]], d: [{}], e: [null] }) },
  {
    name: "nested collections",
    json: local({ list: [[1, ["x", { deep: ["${var.y}", "a\nb\n"] }]]], map: { m: { n: {} } } }),
  },
  {
    name: "multi-line strings in collections",
    json: local({ list: ["a\nb\n", "x", "c\nd"], map: { k: "e\nf\n", j: 1 } }),
  },

  // Variables.
  {
    name: "variable settings",
    json: {
      variable: {
        keyname: {
          type: "string",
          description: "Key pair name",
          default: "my-key",
          sensitive: true,
          nullable: false,
          validation: [
            {
              condition: "${length(var.keyname) > 0}",
              error_message: "The key name must not be empty (got ${var.keyname}).",
            },
          ],
        },
      },
    },
  },
  {
    name: "variable defaults are taken verbatim",
    json: {
      variable: {
        v: {
          type: "${map(string)}",
          default: { "a${b}": "x${y}", "%{z}": ["$${w}", "line\n${v}\n"] },
          description: "Uses ${var.x}\nliterally\n",
        },
      },
    },
  },
  {
    name: "variable types",
    json: {
      variable: {
        a: { type: "list(string)" },
        b: { type: "object({ name = string, size = optional(number, 8) })" },
        c: { type: "any" },
        d: {},
      },
    },
  },
  {
    name: "variable with two validations",
    json: {
      variable: {
        n: {
          type: "number",
          validation: [
            { condition: "${var.n > 0}", error_message: "positive" },
            { condition: "${var.n < 10}", error_message: "small" },
          ],
        },
      },
    },
  },
  {
    name: "the stack's variables: types, list defaults, validations",
    json: {
      variable: {
        instance_type: {
          type: "string",
          description: "EC2 instance type (x86_64 or arm64)",
          default: "t3.small",
          nullable: false,
          validation: [
            {
              condition: '${can(regex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\\\.[a-z0-9]+$", var.instance_type))}',
              error_message: "instance_type must be an EC2 instance type such as t3.small.",
            },
          ],
        },
        https_cidrs: {
          type: "list(string)",
          description: "IPv4/IPv6 ranges allowed on Keycloak's HTTPS port 8443",
          default: ["0.0.0.0/0", "::/0"],
          nullable: false,
          sensitive: false,
          validation: [
            {
              condition: "${alltrue([for c in var.https_cidrs : can(cidrhost(c, 0))])}",
              error_message: "Every entry of https_cidrs must be a CIDR block such as 203.0.113.0/24 or ::/0.",
            },
            {
              condition: "${length(var.https_cidrs) == length(distinct(var.https_cidrs))}",
              error_message: 'https_cidrs lists a range twice (${join(", ", var.https_cidrs)}).',
            },
          ],
        },
        root_volume_size: {
          type: "number",
          description: "Size of the encrypted gp3 root volume, in GiB",
          default: 20,
          nullable: false,
          validation: [
            {
              condition:
                "${var.root_volume_size >= 8 && var.root_volume_size <= 16384 && floor(var.root_volume_size) == var.root_volume_size}",
              error_message: "root_volume_size must be a whole number of GiB from 8 to 16384.",
            },
          ],
        },
        keycloak_version: {
          type: "string",
          description: "Tag of quay.io/keycloak/keycloak, a 26.x release",
          default: "26.7.4",
          nullable: false,
          sensitive: true,
          validation: [
            {
              condition: '${can(regex("^26\\\\.[0-9]+\\\\.[0-9]+$", var.keycloak_version))}',
              error_message: "keycloak_version must be an exact 26.x tag such as 26.7.4.",
            },
            {
              condition: '${!strcontains(var.keycloak_version, "$${")}',
              error_message: "No $${ or %%{ in keycloak_version.",
            },
          ],
        },
      },
    },
  },

  // Outputs.
  {
    name: "outputs",
    json: {
      output: {
        ip: {
          value: "${aws_instance.ec2.public_ip}",
          description: "Public IP ${not interpolated}",
          sensitive: true,
          depends_on: ["${aws_instance.ec2}"],
        },
        plain: { value: "text", depends_on: ["aws_instance.ec2"] },
        list: { value: ["${var.a}", 1] },
      },
    },
  },

  // Resources and their meta-arguments.
  {
    name: "lifecycle",
    json: instance({
      ami: "ami-1",
      lifecycle: {
        create_before_destroy: true,
        prevent_destroy: false,
        ignore_changes: ["ami", 'tags["Name"]', "${user_data}"],
        replace_triggered_by: ["aws_security_group.sg.id"],
        precondition: [{ condition: "${var.ok}", error_message: "not ok" }],
        postcondition: { condition: '${self.ami != ""}', error_message: "no ami" },
      },
    }),
  },
  { name: "ignore_changes all", json: instance({ ami: "ami-1", lifecycle: { ignore_changes: "all" } }) },
  {
    name: "provider aliases and depends_on",
    json: {
      data: {
        aws_ssm_parameter: {
          ami: { name: "/aws/service/ami", provider: "aws.use1", depends_on: ["aws_instance.ec2"] },
        },
      },
      resource: {
        aws_instance: {
          ec2: {
            ami: "${data.aws_ssm_parameter.ami.value}",
            provider: "${aws.use1}",
            depends_on: ["aws_security_group.sg", "data.aws_ssm_parameter.ami"],
          },
        },
      },
    },
  },
  {
    name: "count and for_each",
    json: {
      resource: {
        aws_instance: {
          a: { count: 2, ami: "${var.amis[count.index]}" },
          b: { for_each: "${toset(var.names)}", ami: "${each.value}" },
        },
      },
    },
  },
  {
    name: "a security group rule for each CIDR",
    json: {
      resource: {
        aws_vpc_security_group_ingress_rule: {
          https: {
            for_each: "${toset(var.https_cidrs)}",
            security_group_id: "${aws_security_group.host.id}",
            description: "Keycloak HTTPS from ${each.value}",
            ip_protocol: "tcp",
            from_port: 8443,
            to_port: 8443,
            cidr_ipv4: '${strcontains(each.value, ":") ? null : each.value}',
            cidr_ipv6: '${strcontains(each.value, ":") ? each.value : null}',
            tags: { Name: "https-${each.key}" },
          },
        },
        aws_vpc_security_group_egress_rule: {
          https: {
            security_group_id: "${aws_security_group.host.id}",
            ip_protocol: "tcp",
            from_port: 443,
            to_port: 443,
            cidr_ipv4: "0.0.0.0/0",
          },
        },
      },
    },
  },
  {
    name: "security group rules as attributes",
    json: {
      resource: {
        aws_security_group: {
          sg: {
            name: "${var.name}",
            ingress: [
              {
                cidr_blocks: ["0.0.0.0/0"],
                description: "ssh",
                from_port: 22,
                ipv6_cidr_blocks: [],
                prefix_list_ids: null,
                protocol: "tcp",
                security_groups: null,
                self: null,
                to_port: 22,
              },
              {
                cidr_blocks: null,
                description: null,
                from_port: 8443,
                ipv6_cidr_blocks: ["::/0"],
                prefix_list_ids: null,
                protocol: "tcp",
                security_groups: null,
                self: false,
                to_port: 8443,
              },
            ],
            egress: [],
          },
        },
      },
    },
  },
  {
    name: "instance nested blocks",
    json: instance({
      ami: "ami-1",
      root_block_device: { volume_size: 20, encrypted: true, tags: { Name: "root" } },
      ebs_block_device: [
        { device_name: "/dev/sdf", volume_size: 10 },
        { device_name: "/dev/sdg", volume_size: 5 },
      ],
      metadata_options: [{ http_tokens: "required", http_put_response_hop_limit: 1 }],
      capacity_reservation_specification: { capacity_reservation_target: { capacity_reservation_id: "cr-1" } },
      credit_specification: null,
      cpu_options: [],
      tags: { Name: "${var.name}" },
    }),
  },
  {
    name: "provisioners and connection",
    json: instance({
      ami: "ami-1",
      connection: { type: "ssh", host: "${self.public_ip}", user: "ec2-user" },
      provisioner: [
        {
          "remote-exec": {
            inline: ["echo ${self.id}", "sudo reboot"],
            connection: { host: "${self.private_ip}" },
            on_failure: "continue",
          },
        },
        { "local-exec": { command: "echo done\n", when: "destroy", environment: { A: "1" } } },
      ],
    }),
  },
  {
    name: "dynamic blocks",
    json: instance({
      ami: "ami-1",
      dynamic: {
        ebs_block_device: {
          for_each: "${var.disks}",
          iterator: "disk",
          content: { device_name: "${disk.value.name}", volume_size: "${disk.value.size}" },
        },
        capacity_reservation_specification: {
          for_each: "${var.reservations}",
          content: {
            capacity_reservation_target: { capacity_reservation_id: "${capacity_reservation_specification.value}" },
          },
        },
      },
    }),
  },
  {
    name: "resource type without a block table",
    json: { resource: { aws_unknown_thing: { x: { settings: { nested: { a: 1 } }, list: [{ b: "${var.c}" }] } } } },
  },
  {
    name: "data sources",
    json: {
      data: {
        aws_ami: {
          al2023: {
            most_recent: true,
            owners: ["amazon"],
            filter: [
              { name: "name", values: ["al2023-ami-*-x86_64"] },
              { name: "state", values: ["available"] },
            ],
          },
        },
        aws_iam_policy_document: {
          assume: {
            statement: [
              {
                actions: ["sts:AssumeRole"],
                principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
                condition: [
                  {
                    test: "StringEquals",
                    variable: "aws:SourceAccount",
                    values: ["${data.aws_caller_identity.me.account_id}"],
                  },
                ],
              },
            ],
          },
        },
        aws_caller_identity: { me: {} },
      },
    },
  },
  {
    name: "IAM policy documents",
    json: {
      data: {
        aws_iam_policy_document: {
          parameters: {
            statement: [
              {
                sid: "ReadOwn",
                actions: ["ssm:GetParameter", "ssm:GetParameters"],
                resources: [
                  "arn:${data.aws_partition.p.partition}:ssm:${var.region}:${data.aws_caller_identity.me.account_id}:parameter/keycloak/*",
                ],
              },
              {
                sid: "DenyOthers",
                effect: "Deny",
                actions: ["ssm:GetParameter*"],
                not_resources: ["arn:aws:ssm:*:*:parameter/keycloak/*"],
                condition: [
                  { test: "StringNotEquals", variable: "aws:PrincipalTag/app", values: ["keycloak"] },
                  { test: "Bool", variable: "aws:SecureTransport", values: ["true"] },
                ],
                not_principals: [{ type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] }],
              },
            ],
          },
          trust: {
            statement: {
              actions: ["sts:AssumeRole"],
              principals: { type: "Service", identifiers: ["ec2.amazonaws.com"] },
            },
          },
          dynamic_statements: {
            source_policy_documents: ["${data.aws_iam_policy_document.trust.json}"],
            dynamic: {
              statement: {
                for_each: "${var.extra}",
                content: {
                  actions: "${statement.value.actions}",
                  resources: ["*"],
                  principals: [{ type: "AWS", identifiers: ["*"] }],
                },
              },
            },
          },
        },
      },
      resource: {
        aws_iam_role_policy: {
          read: {
            name: "read",
            role: "${aws_iam_role.host.id}",
            policy: "${data.aws_iam_policy_document.parameters.json}",
          },
        },
      },
    },
  },
  {
    name: "SSM, EBS, network interfaces, DLM, S3",
    json: {
      data: {
        aws_ec2_instance_type: { it: { instance_type: "${var.instance_type}", timeouts: { read: "5m" } } },
        aws_subnet: {
          default: {
            default_for_az: true,
            availability_zone: "${aws_instance.host.availability_zone}",
            filter: [{ name: "vpc-id", values: ["${aws_default_vpc.default.id}"] }],
          },
        },
        aws_region: { current: {} },
      },
      resource: {
        aws_ssm_parameter: {
          admin: { name: "/keycloak/admin-password", type: "SecureString", value: "${random_password.admin.result}" },
        },
        aws_ssm_association: {
          patch: {
            name: "AWS-RunPatchBaseline",
            parameters: { Operation: "Install" },
            targets: [{ key: "InstanceIds", values: ["${aws_instance.host.id}"] }],
            output_location: { s3_bucket_name: "${aws_s3_bucket.logs.id}", s3_key_prefix: "ssm/" },
          },
        },
        aws_ebs_volume: {
          data: {
            availability_zone: "${aws_instance.host.availability_zone}",
            size: 10,
            encrypted: true,
            type: "gp3",
            timeouts: { create: "10m" },
          },
        },
        aws_volume_attachment: {
          data: {
            device_name: "/dev/sdf",
            volume_id: "${aws_ebs_volume.data.id}",
            instance_id: "${aws_instance.host.id}",
          },
        },
        aws_network_interface: {
          eni: {
            subnet_id: "${data.aws_subnet.default.id}",
            attachment: [{ instance: "${aws_instance.host.id}", device_index: 1 }],
          },
        },
        aws_dlm_lifecycle_policy: {
          snapshots: {
            description: "Daily snapshots",
            execution_role_arn: "${aws_iam_role.dlm.arn}",
            state: "ENABLED",
            policy_details: {
              resource_types: ["VOLUME"],
              target_tags: { Snapshot: "true" },
              schedule: [
                {
                  name: "daily",
                  create_rule: { interval: 24, interval_unit: "HOURS", times: ["03:00"] },
                  retain_rule: { count: 7 },
                  tags_to_add: { SnapshotCreator: "DLM" },
                  copy_tags: true,
                },
              ],
            },
          },
        },
        aws_s3_bucket: { logs: { bucket_prefix: "keycloak-logs-", force_destroy: false } },
        aws_s3_bucket_server_side_encryption_configuration: {
          logs: {
            bucket: "${aws_s3_bucket.logs.id}",
            rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true }],
          },
        },
        aws_s3_bucket_public_access_block: {
          logs: {
            bucket: "${aws_s3_bucket.logs.id}",
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
          },
        },
        aws_s3_bucket_versioning: {
          logs: { bucket: "${aws_s3_bucket.logs.id}", versioning_configuration: { status: "Enabled" } },
        },
        aws_s3_bucket_lifecycle_configuration: {
          logs: {
            bucket: "${aws_s3_bucket.logs.id}",
            rule: [
              { id: "expire", status: "Enabled", filter: [{ prefix: "ssm/" }], expiration: [{ days: 90 }] },
              {
                id: "all",
                status: "Enabled",
                filter: [{}],
                abort_incomplete_multipart_upload: { days_after_initiation: 7 },
              },
            ],
          },
        },
        aws_s3_bucket_policy: {
          logs: { bucket: "${aws_s3_bucket.logs.id}", policy: "${data.aws_iam_policy_document.parameters.json}" },
        },
      },
    },
  },
  {
    name: "locals with function calls",
    json: {
      locals: {
        joined: '${join(",", var.names)}',
        name: '${format("%s-%s", var.app, var.env)}',
        upper: "${upper(local.name)}",
        cidr: '${cidrsubnet("10.0.0.0/16", 8, 1)}',
      },
    },
  },
  { name: "two locals blocks", json: { locals: [{ a: 1 }, { b: "${local.a}" }] } },
  {
    name: "module",
    json: {
      module: {
        vpc: {
          source: "terraform-aws-modules/vpc/aws",
          version: "~> 5.0",
          providers: { aws: "aws.use1" },
          depends_on: ["aws_instance.ec2"],
          name: "${var.name}",
          azs: ["a", "b"],
          count: 1,
        },
      },
    },
  },
  {
    name: "moved and import",
    json: {
      moved: [{ from: "aws_instance.old", to: "aws_instance.ec2" }],
      import: [{ to: "aws_instance.ec2", id: "i-123", provider: "aws.use1" }],
    },
  },
  {
    name: "cdktf metadata is dropped, a // map key is not",
    json: {
      "//": { metadata: { version: "0.21.0", stackName: "s" }, outputs: {} },
      resource: {
        "//": { note: "label level" },
        aws_instance: {
          ec2: {
            "//": { metadata: { path: "s/ec2", uniqueId: "ec2" } },
            ami: "ami-1",
            tags: { "//": "a real tag key" },
            root_block_device: { "//": "x", volume_size: 8 },
          },
        },
      },
    },
  },
  {
    name: "null and empty blocks",
    json: {
      resource: { aws_instance: { ec2: { ami: "a", root_block_device: null, ebs_block_device: [], lifecycle: null } } },
      variable: { gone: null },
    },
  },
  { name: "empty bodies", json: { variable: { x: {} }, locals: {}, output: { o: { value: null } } } },

  // Providers and terraform settings.
  {
    name: "providers",
    json: {
      provider: {
        aws: [
          {
            region: "eu-west-1",
            default_tags: [{ tags: { Application: "keycloak", "kubernetes.io/cluster": "owned" } }],
          },
          {
            alias: "use1",
            region: "us-east-1",
            assume_role: [{ role_arn: "arn:aws:iam::123:role/x", session_name: "s" }],
            ignore_tags: { keys: ["a"] },
          },
        ],
        random: [{}],
      },
    },
  },
  {
    name: "terraform block",
    json: {
      terraform: {
        required_version: ">= 1.2.8",
        required_providers: {
          aws: { source: "aws", version: "6.25.0", configuration_aliases: ["aws.use1"] },
          random: { source: "hashicorp/random", version: "~> 3.0" },
          tls: "~> 4.0",
        },
        backend: { local: { path: "../../../terraform.keycloak.tfstate" } },
      },
    },
  },
  {
    name: "s3 backend",
    json: {
      terraform: {
        backend: {
          s3: {
            bucket: "state",
            key: "keycloak/${literal}.tfstate",
            region: "eu-west-1",
            encrypt: true,
            use_lockfile: true,
            dynamodb_table: "locks",
            assume_role: { role_arn: "arn:x" },
          },
        },
      },
    },
  },
  {
    name: "cloud with a named workspace",
    json: {
      terraform: {
        cloud: { organization: "org", hostname: "app.terraform.io", workspaces: { name: "keycloak", project: "p" } },
      },
    },
  },
  {
    name: "cloud with workspace tags",
    json: { terraform: { cloud: { organization: "org", workspaces: { tags: ["keycloak", "prod"] } } } },
  },
  {
    name: "local backend rebased from the stack directory",
    json: {
      terraform: { backend: { local: { path: "../../../terraform.k.tfstate", workspace_dir: "/abs/workspaces" } } },
    },
    options: { fromDir: "/project/cdktf.out/stacks/k", toDir: "/project/hcl" },
    localPath: (path) =>
      ({ "../../../terraform.k.tfstate": "../terraform.k.tfstate", "/abs/workspaces": "../../abs/workspaces" })[path]!,
  },

  {
    name: "without the backend",
    json: {
      terraform: {
        required_version: ">= 1.10",
        backend: { s3: { bucket: "b", key: "k" } },
        required_providers: { aws: { source: "aws" } },
      },
      provider: { aws: [{}] },
    },
    options: { backend: false },
    means: {
      terraform: { required_version: ">= 1.10", required_providers: { aws: { source: "aws" } } },
      provider: { aws: [{}] },
    },
  },
  {
    name: "without the cloud block, nor a terraform block left empty",
    json: {
      terraform: [
        { cloud: { organization: "org", workspaces: { name: "w" } } },
        { required_version: ">= 1.10", backend: { local: {} } },
      ],
      locals: { a: 1 },
    },
    options: { backend: false },
    means: { terraform: [{ required_version: ">= 1.10" }], locals: { a: 1 } },
  },

  // Synthesized by cdktf.
  {
    name: "cdktf: default local backend, an absolute path",
    json: synthesized((stack) => new LocalBackend(stack, {})),
    options: { toDir: join(process.cwd(), "hcl") },
    localPath: (path) =>
      path === join(process.cwd(), "terraform.stack.tfstate") ? "../terraform.stack.tfstate" : path,
  },
  {
    name: "cdktf: instance, security group, variables, outputs",
    json: synthesized((stack) => {
      new LocalBackend(stack, { path: "../../../terraform.stack.tfstate" });
      new AwsProvider(stack, "aws", { region: "eu-west-1", defaultTags: [{ tags: { ManagedBy: "cdktf" } }] });
      const keyName = new TerraformVariable(stack, "keyname", {
        type: "string",
        default: "key",
        nullable: false,
        sensitive: true,
      });
      const cidrs = new TerraformVariable(stack, "cidrs", {
        type: "list(string)",
        default: [],
        description: "Allowed ${CIDR}s",
      });
      const sg = new SecurityGroup(stack, "sg", {
        name: "keycloak",
        ingress: [{ fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: cidrs.listValue, description: "ssh" }],
        egress: [],
      });
      const instance = new Instance(stack, "ec2", {
        ami: "ami-0123",
        instanceType: "t3.small",
        keyName: keyName.stringValue,
        vpcSecurityGroupIds: [sg.id],
        userData: '#!/bin/bash\nEOF\necho "$${HOME}" \\\n  done\n',
        rootBlockDevice: { volumeSize: 20, encrypted: true },
        metadataOptions: { httpTokens: "required" },
        lifecycle: { ignoreChanges: ["ami"], createBeforeDestroy: true },
        dependsOn: [sg],
      });
      new TerraformOutput(stack, "ip", {
        value: instance.publicIp,
        description: "Public IP",
        sensitive: true,
        dependsOn: [instance],
      });
    }),
  },
  {
    name: "cdktf: s3 backend with use_lockfile",
    json: synthesized((stack) => {
      new S3Backend(stack, {
        bucket: "b",
        key: "k.tfstate",
        region: "eu-west-1",
        encrypt: true,
        dynamodbTable: "locks",
      });
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      new AwsProvider(stack, "aws", { region: "eu-west-1" });
    }),
  },
  {
    name: "cdktf: cloud backend, named workspace",
    json: synthesized(
      (stack) => new CloudBackend(stack, { organization: "org", workspaces: new NamedCloudWorkspace("keycloak") }),
    ),
  },
  {
    name: "cdktf: cloud backend, tagged workspaces",
    json: synthesized(
      (stack) =>
        new CloudBackend(stack, {
          organization: "org",
          hostname: "tfe.example.com",
          workspaces: new TaggedCloudWorkspaces(["a", "b"]),
        }),
    ),
  },
  {
    name: "cdktf: SSM parameters through an aliased provider",
    json: synthesized((stack) => {
      new AwsProvider(stack, "aws", { region: "eu-west-1" });
      const use1 = new AwsProvider(stack, "use1", { region: "us-east-1", alias: "use1" });
      const ami = new DataAwsSsmParameter(stack, "ami", {
        name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        provider: use1,
      });
      new SsmParameter(stack, "copy", { name: "/keycloak/ami", type: "String", value: ami.value, provider: use1 });
    }),
  },
  {
    // Issue 12: the cluster profile's whole stack (load balancer rules, ACM validation for_each, launch template,
    // Auto Scaling group, RDS) reads back exactly.
    name: "the cluster profile's stack",
    json: () =>
      synthesize({
        profile: "cluster",
        keycloak: { hostname: "sso.example.com" },
        dnsZone: "example.com",
        adminCidrs: ["203.0.113.0/24", "2001:db8::/48"],
      }).tf as TerraformJson,
  },
  {
    name: "cdktf: locals and outputs with functions",
    json: synthesized((stack) => {
      const names = new TerraformVariable(stack, "names", { type: "list(string)" });
      const joined = new TerraformLocal(stack, "joined", Fn.join(",", names.listValue));
      new TerraformLocal(stack, "raw", Fn.rawString("literal ${x}"));
      new TerraformOutput(stack, "upper", { value: Fn.upper(joined.asString) });
      new TerraformOutput(stack, "count", { value: Fn.lengthOf(names.listValue) });
    }),
  },
];

describe("exportHcl round trip", () => {
  test("has the cases it promises", () => expect(CASES.length).toBeGreaterThanOrEqual(60));

  test.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, { json, options, localPath, means }) => {
    const document = typeof json === "function" ? json() : json;
    const files = await exportHcl(document, { ...options, header: HEADER });
    expect(unindentSequences(await readBack(files))).toEqual(
      unindentSequences(await normalize(means ?? document, localPath)),
    );
    for (const file of Object.values(files)) {
      expect(file.split("\n")[0]).toBe(`# ${HEADER}`);
      expect(await format(file)).toBe(file);
    }
  });
});

describe("exportHcl output reads well", () => {
  const json: TerraformJson = {
    "//": { metadata: { stackName: "s" } },
    terraform: {
      required_providers: { aws: { source: "aws", version: "6.25.0" } },
      backend: { local: { path: "terraform.tfstate" } },
    },
    provider: { aws: [{ region: "eu-west-1" }] },
    variable: { keyname: { type: "string", nullable: false } },
    resource: {
      aws_instance: {
        ec2: {
          "//": { metadata: {} },
          ami: "ami-1",
          key_name: "${var.keyname}",
          user_data: "#!/bin/bash\necho ${var.keyname}\n",
        },
      },
      aws_security_group: { sg: { ingress: [], name: "sg" } },
    },
  };

  test("writes the files Terraform's way", async () => {
    const files = await exportHcl(json);
    expect(files["versions.tf"]).toBe(
      [
        "terraform {",
        "  required_providers {",
        "    aws = {",
        '      source  = "hashicorp/aws"',
        '      version = "6.25.0"',
        "    }",
        "  }",
        '  backend "local" {',
        '    path = "terraform.tfstate"',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    expect(files["main.tf"]).toBe(
      [
        'resource "aws_instance" "ec2" {',
        '  ami       = "ami-1"',
        "  key_name  = var.keyname",
        "  user_data = <<EOT",
        "#!/bin/bash",
        "echo ${var.keyname}",
        "EOT",
        "}",
        "",
        'resource "aws_security_group" "sg" {',
        "  ingress = []",
        '  name    = "sg"',
        "}",
        "",
      ].join("\n"),
    );
    expect(files["providers.tf"]).toBe('provider "aws" {\n  region = "eu-west-1"\n}\n');
    expect(files["variables.tf"]).toBe('variable "keyname" {\n  type     = string\n  nullable = false\n}\n');
    expect(files["outputs.tf"]).toBe("");
    expect(Object.values(files).join("")).not.toContain("//");
  });

  test("writes required_version and required_providers before the backend, as versions.tf usually reads", async () => {
    const { "versions.tf": versions } = await exportHcl({
      terraform: {
        backend: { s3: { bucket: "b" } },
        required_providers: { aws: { source: "hashicorp/aws", version: "6.25.0" } },
        required_version: ">= 1.10",
      },
    });
    expect(versions.split("\n").filter((line) => /^ {2}\w/.test(line))).toEqual([
      '  required_version = ">= 1.10"',
      "  required_providers {",
      '  backend "s3" {',
    ]);
  });

  test("leaves the backend or cloud block out when asked", async () => {
    const settings = { required_version: ">= 1.10", backend: { s3: { bucket: "b" } } };
    expect((await exportHcl({ terraform: settings }, { backend: false }))["versions.tf"]).toBe(
      'terraform {\n  required_version = ">= 1.10"\n}\n',
    );
    expect((await exportHcl({ terraform: { cloud: { organization: "o" } } }, { backend: false }))["versions.tf"]).toBe(
      "",
    );
    expect((await exportHcl({ terraform: settings }))["versions.tf"]).toContain('backend "s3"');
  });

  test("writes an empty file as an empty string", async () => {
    expect(await exportHcl({ resource: { aws_instance: { a: { ami: "x" } } } })).toEqual({
      "versions.tf": "",
      "providers.tf": "",
      "variables.tf": "",
      "main.tf": 'resource "aws_instance" "a" {\n  ami = "x"\n}\n',
      "outputs.tf": "",
    });
  });

  test("heads every file with the header, and says so when a file has nothing to declare", async () => {
    const files = await exportHcl(
      { resource: { aws_instance: { a: { ami: "x" } } }, output: { o: { value: 1 } } },
      { header: "Generated by a test." },
    );
    expect(files).toEqual({
      "versions.tf": "# Generated by a test.\n# This stack has no Terraform settings.\n",
      "providers.tf": "# Generated by a test.\n# This stack configures no provider.\n",
      "variables.tf": "# Generated by a test.\n# This stack declares no variables.\n",
      "main.tf": '# Generated by a test.\n\nresource "aws_instance" "a" {\n  ami = "x"\n}\n',
      "outputs.tf": '# Generated by a test.\n\noutput "o" {\n  value = 1\n}\n',
    });
  });

  test.each([
    ["a line break", "a\nb"],
    ["a carriage return", "a\rb"],
    ["a line separator", "a\u2028b"],
  ])("refuses a header with %s", async (_, header) => {
    const error = await exportHcl({}, { header }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HclExportError);
    expect((error as HclExportError).path).toBe("(header)");
  });

  test("writes variable validations as blocks, conditions as they are", async () => {
    const { "variables.tf": variables } = await exportHcl({
      variable: {
        https_cidrs: {
          description: "Ranges allowed on 8443",
          type: "list(string)",
          default: ["0.0.0.0/0", "::/0"],
          nullable: false,
          validation: [
            {
              condition: "${alltrue([for c in var.https_cidrs : can(cidrhost(c, 0))])}",
              error_message: "Each entry must be a CIDR block.",
            },
            { condition: "${length(var.https_cidrs) > 0}", error_message: "Give at least one range." },
          ],
        },
        keycloak_version: {
          type: "string",
          default: "26.7.4",
          validation: {
            condition: '${can(regex("^26\\\\.[0-9]+\\\\.[0-9]+$", var.keycloak_version))}',
            error_message: "A 26.x tag.",
          },
        },
      },
    });
    expect(variables).toBe(
      [
        'variable "https_cidrs" {',
        '  description = "Ranges allowed on 8443"',
        "  type        = list(string)",
        '  default     = ["0.0.0.0/0", "::/0"]',
        "  nullable    = false",
        "  validation {",
        "    condition     = alltrue([for c in var.https_cidrs : can(cidrhost(c, 0))])",
        '    error_message = "Each entry must be a CIDR block."',
        "  }",
        "  validation {",
        "    condition     = length(var.https_cidrs) > 0",
        '    error_message = "Give at least one range."',
        "  }",
        "}",
        "",
        'variable "keycloak_version" {',
        "  type    = string",
        '  default = "26.7.4"',
        "  validation {",
        '    condition     = can(regex("^26\\\\.[0-9]+\\\\.[0-9]+$", var.keycloak_version))',
        '    error_message = "A 26.x tag."',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("writes for_each first and policy document statements as blocks", async () => {
    const { "main.tf": main } = await exportHcl({
      data: {
        aws_iam_policy_document: {
          trust: {
            statement: [
              { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] },
            ],
          },
        },
      },
      resource: {
        aws_vpc_security_group_ingress_rule: {
          https: {
            security_group_id: "${aws_security_group.sg.id}",
            cidr_ipv4: "${each.value}",
            for_each: "${toset(var.https_cidrs)}",
          },
        },
      },
    });
    expect(main).toBe(
      [
        'data "aws_iam_policy_document" "trust" {',
        "  statement {",
        '    actions = ["sts:AssumeRole"]',
        "    principals {",
        '      type        = "Service"',
        '      identifiers = ["ec2.amazonaws.com"]',
        "    }",
        "  }",
        "}",
        "",
        'resource "aws_vpc_security_group_ingress_rule" "https" {',
        "  for_each          = toset(var.https_cidrs)",
        "  security_group_id = aws_security_group.sg.id",
        "  cidr_ipv4         = each.value",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("keeps a string that is not one interpolation quoted, and escapes only literal text", async () => {
    const { "main.tf": main } = await exportHcl(
      local({ a: "${var.a}${var.b}", b: '${lookup(var.m, "k")} "x"\\', c: "a\nb" }),
    );
    expect(main).toContain('a = "${var.a}${var.b}"');
    expect(main).toContain('b = "${lookup(var.m, "k")} \\"x\\"\\\\"');
    expect(main).toContain('c = "a\\nb"');
  });

  test("picks a heredoc marker no line equals", async () => {
    const { "main.tf": main } = await exportHcl(text("EOT\n EOF\nEND \nx\n"));
    expect(main).toContain("user_data = <<EOT1\nEOT\n EOF\nEND \nx\nEOT1\n");
  });

  test("escapes ${ in text taken verbatim", async () => {
    const { "variables.tf": variables } = await exportHcl({ variable: { v: { default: "a${b}%{c}" } } });
    expect(variables).toContain('default = "a$${b}%%{c}"');
  });
});

describe("exportHcl refuses what HCL cannot say", () => {
  test.each<[string, TerraformJson, ExportHclOptions | undefined, string]>([
    ["an unpaired surrogate", text("a\ud800b"), undefined, "resource.aws_instance.ec2.user_data"],
    ["an unpaired surrogate in a key", local({ "k\udc00": 1 }), undefined, "locals.value"],
    ["an unterminated interpolation", text("echo ${var.x"), undefined, "resource.aws_instance.ec2.user_data"],
    ["a lone ${", local(["ok", "${"]), undefined, "locals.value[1]"],
    ["a heredoc inside an interpolation", text("${<<X\nabc\nX\n}"), undefined, "resource.aws_instance.ec2.user_data"],
    ["a number JSON cannot hold", local(Number.NaN), undefined, "locals.value"],
    [
      "an argument name that is no identifier",
      instance({ "kubernetes.io/x": "a" }),
      undefined,
      "resource.aws_instance.ec2.kubernetes.io/x",
    ],
    [
      "a reference that is none",
      instance({ depends_on: ["aws_instance.x y"] }),
      undefined,
      "resource.aws_instance.ec2.depends_on[0]",
    ],
    [
      "a block that is a string",
      instance({ root_block_device: "${var.disk}" }),
      undefined,
      "resource.aws_instance.ec2.root_block_device",
    ],
    ["an unknown top-level block", { check: { c: {} } }, undefined, "check"],
    [
      "an absolute state path without toDir",
      { terraform: { backend: { local: { path: "/home/me/terraform.tfstate" } } } },
      undefined,
      "terraform.backend.local.path",
    ],
  ])("%s", async (_, json, options, path) => {
    const error = await exportHcl(json, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HclExportError);
    expect((error as HclExportError).path).toBe(path);
    expect((error as HclExportError).message).toContain(path);
  });
});

describe("the normalizer keeps real differences", () => {
  test.each<[string, TerraformJson, TerraformJson]>([
    ["a final newline", text("a\nb\n"), text("a\nb")],
    ["CRLF and LF", text("a\r\nb\n"), text("a\nb\n")],
    [
      "an empty list and none",
      { resource: { aws_security_group: { sg: { ingress: [] } } } },
      { resource: { aws_security_group: { sg: {} } } },
    ],
    ["nullable = false and unset", { variable: { v: { nullable: false } } }, { variable: { v: {} } }],
    ["a literal ${ and an interpolation", text("$${var.x}"), text("${var.x}")],
    ["a literal %{ and a directive", text("%%{ if a }x%%{ endif }"), text("%{ if a }x%{ endif }")],
    ["verbatim and template text", { variable: { v: { default: "${x}" } } }, { variable: { v: { default: "$${x}" } } }],
    ["a number and a string", local("${1}"), local("1")],
    ["an object and a list of it", local({ a: 1 }), local([{ a: 1 }])],
  ])("%s", async (_, a, b) => {
    expect(await normalize(a)).not.toEqual(await normalize(b));
  });
});

describe("block tables", () => {
  /** Attributes cdktf's bindings mark as blocks that Terraform's schema has as attributes ("attributes as blocks"). */
  const ATTRIBUTES_AS_BLOCKS: Readonly<Record<string, readonly string[]>> = {
    aws_security_group: ["ingress", "egress"],
  };

  /** Nested block types of a generated binding: its `isBlock: true` attributes, followed into their structs. */
  function bindingBlocks(provider: string, binding: string): NestedBlocks {
    const lib = join(dirname(require.resolve(`@cdktf/provider-${provider}/package.json`)), "lib");
    const source = readFileSync(join(lib, binding, "index.js"), "utf8");
    const structs = new Map(
      [...source.matchAll(/function (\w+)ToHclTerraform\(struct\) \{([\s\S]*?)\n\}/g)].map((m) => [m[1]!, m[2]!]),
    );
    const walk = (code: string, seen: ReadonlySet<string>): NestedBlocks =>
      Object.fromEntries(
        [...code.matchAll(/(\w+): \{\s*value: ([^\n]*),\s*isBlock: true/g)].map(([, name, value]) => {
          const struct = /(\w+)ToHclTerraform/.exec(value!)?.[1];
          const body = struct && !seen.has(struct) ? structs.get(struct) : undefined;
          return [name!, body ? walk(body, new Set([...seen, struct!])) : {}];
        }),
      );
    return walk(/synthesizeHclAttributes\(\) \{([\s\S]*?)\n    \}/.exec(source)![1]!, new Set());
  }

  /** The table and type name of a binding: aws `instance` is resource `aws_instance`, `data-aws-vpc` data source `aws_vpc`. */
  function tableEntry(provider: string, binding: string): readonly [Readonly<Record<string, NestedBlocks>>, string] {
    if (binding === "provider") return [PROVIDER_BLOCKS, provider];
    if (binding.startsWith("data-")) return [DATA_SOURCE_BLOCKS, binding.slice(5).replace(/-/g, "_")];
    return [RESOURCE_BLOCKS, `${provider}_${binding.replace(/-/g, "_")}`];
  }

  /** Types the stack uses or is moving to, checked whether or not they have a table entry (none: no nested block). */
  const USED = [
    "aws/vpc-security-group-ingress-rule",
    "aws/vpc-security-group-egress-rule",
    "aws/ssm-parameter",
    "aws/ssm-association",
    "aws/iam-role",
    "aws/iam-role-policy",
    "aws/iam-role-policy-attachment",
    "aws/iam-instance-profile",
    "aws/ebs-volume",
    "aws/volume-attachment",
    "aws/network-interface",
    "aws/dlm-lifecycle-policy",
    "aws/eip",
    "aws/eip-association",
    "aws/s3-bucket",
    "aws/s3-bucket-policy",
    "aws/s3-bucket-public-access-block",
    "aws/s3-bucket-ownership-controls",
    "aws/s3-bucket-versioning",
    "aws/s3-bucket-server-side-encryption-configuration",
    "aws/s3-bucket-lifecycle-configuration",
    "aws/data-aws-iam-policy-document",
    "aws/data-aws-ec2-instance-type",
    "aws/data-aws-subnet",
    "aws/data-aws-region",
    "aws/data-aws-caller-identity",
    "aws/data-aws-partition",
    "aws/data-aws-ssm-parameter",
  ];

  /** Every binding the tables name, the types above, and every binding the project's code imports. */
  const bindings = new Set([
    ...USED,
    ...Object.keys(PROVIDER_BLOCKS).map((provider) => `${provider}/provider`),
    ...Object.keys(RESOURCE_BLOCKS).map((type) => type.replace(/_/, "/").replace(/_/g, "-")),
    ...Object.keys(DATA_SOURCE_BLOCKS).map((type) => `${type.split("_")[0]}/data-${type.replace(/_/g, "-")}`),
    ...readdirSync("src", { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        [...readFileSync(join("src", file), "utf8").matchAll(/@cdktf\/provider-(\w+)\/lib\/([\w-]+)/g)].map(
          ([, p, b]) => `${p}/${b}`,
        ),
      ),
  ]);

  test.each([...bindings].sort())("%s", (binding) => {
    const [provider, name] = binding.split("/") as [string, string];
    const [table, type] = tableEntry(provider, name);
    const blocks = Object.entries(bindingBlocks(provider, name)).filter(
      ([block]) => !ATTRIBUTES_AS_BLOCKS[type]?.includes(block),
    );
    expect(table[type] ?? {}).toEqual(Object.fromEntries(blocks));
  });

  test("aws_security_group's rules really are blocks in the bindings", () => {
    expect(Object.keys(bindingBlocks("aws", "security-group"))).toEqual(
      expect.arrayContaining(ATTRIBUTES_AS_BLOCKS.aws_security_group!),
    );
  });
});
