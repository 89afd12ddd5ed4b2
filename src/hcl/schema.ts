/**
 * What Terraform makes of each part of a Terraform JSON document, as far as the HCL writer needs to know: which
 * object properties are nested blocks (JSON cannot tell a block from an attribute; native syntax must), and how the
 * strings of each attribute are read.
 */

/**
 * How Terraform reads a JSON string in a given place.
 * - `template`: evaluated with a context: `${...}` interpolates, `$${` is a literal `${` (most arguments).
 * - `literal`: evaluated without a context, so taken verbatim: `${` is just text (variable `default` and
 *   `description`, backend settings, `required_version`, ...). Native syntax must escape it as `$${`.
 * - `reference`: a reference or keyword, written bare (`depends_on`, `provider`, `ignore_changes`, `iterator`).
 * - `type`: a type constraint, written bare (`type = list(string)`).
 * - `providerSource`: a literal provider source address; a bare type name `aws` is Terraform's shorthand for
 *   `hashicorp/aws`, which the writer spells out.
 * - `localPath`: a literal local-backend path, which the writer may rebase (see `ExportHclOptions`).
 */
export type StringMode = "template" | "literal" | "reference" | "type" | "providerSource" | "localPath";

/** How the strings of a value are read: one mode throughout, or per property of an object value. */
export type ValueShape = StringMode | { readonly fields: Readonly<Record<string, ValueShape>>; readonly otherFields: ValueShape };

export interface BodySchema {
  /** Attributes whose strings are not templates. */
  readonly attributes?: Readonly<Record<string, ValueShape>>;
  /** Shape of every other attribute. @default "template" */
  readonly otherAttributes?: ValueShape;
  /** Nested block types; every other property is an attribute. */
  readonly blocks?: Readonly<Record<string, BlockSchema>>;
}

export interface BlockSchema {
  readonly labels: number;
  /** The block's body; a function of the labels where the body depends on them (a resource's type). */
  readonly body: BodySchema | ((labels: readonly string[]) => BodySchema);
}

/** Nested block types of a provider-schema body, each with its own nested block types. */
export interface NestedBlocks {
  readonly [blockType: string]: NestedBlocks;
}

/**
 * Nested blocks of the provider configurations, resources and data sources this project uses (and close kin),
 * from the provider schemas (`@cdktf/provider-aws` 21, AWS provider 6). Every other JSON object is written as an
 * attribute; in particular `aws_security_group`'s `ingress` and `egress` are attributes (Terraform's "attributes as
 * blocks"): only attribute syntax can say `ingress = []`, and cdktf writes every field of each rule.
 * test/hcl/export.test.ts checks these tables against the generated provider bindings.
 */
export const PROVIDER_BLOCKS: Readonly<Record<string, NestedBlocks>> = {
  aws: { assume_role: {}, assume_role_with_web_identity: {}, default_tags: {}, endpoints: {}, ignore_tags: {} },
};

export const RESOURCE_BLOCKS: Readonly<Record<string, NestedBlocks>> = {
  aws_eip: { timeouts: {} },
  aws_iam_role: { inline_policy: {} },
  aws_instance: {
    capacity_reservation_specification: { capacity_reservation_target: {} },
    cpu_options: {},
    credit_specification: {},
    ebs_block_device: {},
    enclave_options: {},
    ephemeral_block_device: {},
    instance_market_options: { spot_options: {} },
    launch_template: {},
    maintenance_options: {},
    metadata_options: {},
    network_interface: {},
    primary_network_interface: {},
    private_dns_name_options: {},
    root_block_device: {},
    timeouts: {},
  },
  aws_kms_key: { timeouts: {} },
  aws_route53_record: {
    alias: {},
    cidr_routing_policy: {},
    failover_routing_policy: {},
    geolocation_routing_policy: {},
    geoproximity_routing_policy: { coordinates: {} },
    latency_routing_policy: {},
    timeouts: {},
    weighted_routing_policy: {},
  },
  aws_security_group: { timeouts: {} },
};

export const DATA_SOURCE_BLOCKS: Readonly<Record<string, NestedBlocks>> = {
  aws_ami: { filter: {}, timeouts: {} },
  aws_availability_zones: { filter: {}, timeouts: {} },
  aws_iam_policy_document: { statement: { condition: {}, not_principals: {}, principals: {} } },
  aws_subnets: { filter: {}, timeouts: {} },
  aws_vpc: { filter: {}, timeouts: {} },
};

/** `precondition`, `postcondition` and variable `validation`: `condition` and `error_message` are expressions. */
const CHECK_RULE: BlockSchema = { labels: 0, body: {} };

const CONNECTION: BlockSchema = { labels: 0, body: {} };

/** A provider-schema body: its nested blocks, and `dynamic` blocks generating any of them. */
function providerSchemaBody(nested: NestedBlocks, meta: BodySchema = {}): BodySchema {
  const blocks: Record<string, BlockSchema> = {};
  for (const [type, inner] of Object.entries(nested)) blocks[type] = { labels: 0, body: providerSchemaBody(inner) };
  blocks.dynamic = { labels: 1, body: ([generated]) => dynamicBody(nested[generated!] ?? {}) };
  return { ...meta, blocks: { ...blocks, ...meta.blocks } };
}

/** `dynamic "x" { for_each = ..., iterator = it, labels = [...], content { ... } }` */
function dynamicBody(generated: NestedBlocks): BodySchema {
  return {
    attributes: { iterator: "reference" },
    blocks: { content: { labels: 0, body: providerSchemaBody(generated) } },
  };
}

const RESOURCE_META: BodySchema = {
  attributes: { provider: "reference", depends_on: "reference" },
  blocks: {
    lifecycle: {
      labels: 0,
      body: {
        attributes: {
          create_before_destroy: "literal",
          prevent_destroy: "literal",
          ignore_changes: "reference",
          replace_triggered_by: "reference",
        },
        blocks: { precondition: CHECK_RULE, postcondition: CHECK_RULE },
      },
    },
    connection: CONNECTION,
    provisioner: {
      labels: 1,
      body: { attributes: { when: "reference", on_failure: "reference" }, blocks: { connection: CONNECTION } },
    },
  },
};

const DATA_SOURCE_META: BodySchema = {
  attributes: { provider: "reference", depends_on: "reference" },
  blocks: { lifecycle: { labels: 0, body: { blocks: { precondition: CHECK_RULE, postcondition: CHECK_RULE } } } },
};

const TERRAFORM: BodySchema = {
  attributes: { required_version: "literal", experiments: "reference" },
  blocks: {
    required_providers: {
      labels: 0,
      body: { otherAttributes: { fields: { source: "providerSource", configuration_aliases: "reference" }, otherFields: "literal" } },
    },
    backend: {
      labels: 1,
      body: ([type]) =>
        type === "local" ? { attributes: { path: "localPath", workspace_dir: "localPath" }, otherAttributes: "literal" } : { otherAttributes: "literal" },
    },
    cloud: { labels: 0, body: { otherAttributes: "literal", blocks: { workspaces: { labels: 0, body: { otherAttributes: "literal" } } } } },
    provider_meta: { labels: 1, body: { otherAttributes: "literal" } },
  },
};

/** The top level of a Terraform JSON document (cdktf's `//` metadata aside). */
export const ROOT: BodySchema = {
  blocks: {
    terraform: { labels: 0, body: TERRAFORM },
    provider: {
      labels: 1,
      body: ([name]) => providerSchemaBody(PROVIDER_BLOCKS[name!] ?? {}, { attributes: { alias: "literal", version: "literal" } }),
    },
    variable: {
      labels: 1,
      body: {
        attributes: { description: "literal", default: "literal", type: "type", sensitive: "literal", nullable: "literal", ephemeral: "literal" },
        blocks: { validation: CHECK_RULE },
      },
    },
    locals: { labels: 0, body: {} },
    data: { labels: 2, body: ([type]) => providerSchemaBody(DATA_SOURCE_BLOCKS[type!] ?? {}, DATA_SOURCE_META) },
    resource: { labels: 2, body: ([type]) => providerSchemaBody(RESOURCE_BLOCKS[type!] ?? {}, RESOURCE_META) },
    module: {
      labels: 1,
      body: { attributes: { source: "literal", version: "literal", providers: "reference", depends_on: "reference" } },
    },
    moved: { labels: 0, body: { attributes: { from: "reference", to: "reference" } } },
    import: { labels: 0, body: { attributes: { to: "reference", provider: "reference" } } },
    output: {
      labels: 1,
      body: {
        attributes: { description: "literal", sensitive: "literal", ephemeral: "literal", depends_on: "reference" },
        blocks: { precondition: CHECK_RULE },
      },
    },
  },
};

export function blockBody(block: BlockSchema, labels: readonly string[]): BodySchema {
  return typeof block.body === "function" ? block.body(labels) : block.body;
}

export function attributeShape(body: BodySchema, name: string): ValueShape {
  return body.attributes?.[name] ?? body.otherAttributes ?? "template";
}

/** The shape of one property of an object value. */
export function fieldShape(shape: ValueShape, field: string): ValueShape {
  return typeof shape === "string" ? shape : (shape.fields[field] ?? shape.otherFields);
}

/** How a string is read where a value of this shape is expected. */
export function stringMode(shape: ValueShape): StringMode {
  return typeof shape === "string" ? shape : stringMode(shape.otherFields);
}
