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
export type ValueShape =
  StringMode | { readonly fields: Readonly<Record<string, ValueShape>>; readonly otherFields: ValueShape };

export interface BodySchema {
  /** Attributes whose strings are not templates. */
  readonly attributes?: Readonly<Record<string, ValueShape>>;
  /** Shape of every other attribute. @default "template" */
  readonly otherAttributes?: ValueShape;
  /** Nested block types; every other property is an attribute. */
  readonly blocks?: Readonly<Record<string, BlockSchema>>;
  /** Properties written first, in this order, within their group (attributes, then blocks), as terraform-aws-modules
   * writes them; the others keep the JSON's order (cdktf's is alphabetical). @default - the JSON's order */
  readonly order?: readonly string[];
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
 * blocks"): only attribute syntax can say `ingress = []`, and cdktf writes every field of each rule. A type with no
 * nested block (`aws_ssm_parameter`, `aws_iam_role_policy`, `aws_vpc_security_group_ingress_rule`, data source
 * `aws_region`, ...) has no entry. test/hcl/export.test.ts checks these tables, and the types the project uses,
 * against the generated provider bindings.
 */
export const PROVIDER_BLOCKS: Readonly<Record<string, NestedBlocks>> = {
  aws: { assume_role: {}, assume_role_with_web_identity: {}, default_tags: {}, endpoints: {}, ignore_tags: {} },
};

/** The instance requirements of a launch template, and of a mixed instances policy's overrides. */
const INSTANCE_REQUIREMENTS: NestedBlocks = {
  accelerator_count: {},
  accelerator_total_memory_mib: {},
  baseline_ebs_bandwidth_mbps: {},
  memory_gib_per_vcpu: {},
  memory_mib: {},
  network_bandwidth_gbps: {},
  network_interface_count: {},
  total_local_storage_gb: {},
  vcpu_count: {},
};
/** What a load balancer listener, or one of its rules, does with a request. */
const LISTENER_ACTION: NestedBlocks = {
  authenticate_cognito: {},
  authenticate_oidc: {},
  fixed_response: {},
  forward: { stickiness: {}, target_group: {} },
  jwt_validation: { additional_claim: {} },
  redirect: {},
};
/** A predictive scaling policy's customized metric queries. */
const METRIC_DATA_QUERIES: NestedBlocks = { metric_stat: { metric: { dimensions: {} } } };

export const RESOURCE_BLOCKS: Readonly<Record<string, NestedBlocks>> = {
  aws_dlm_lifecycle_policy: {
    policy_details: {
      action: { cross_region_copy: { encryption_configuration: {}, retain_rule: {} } },
      event_source: { parameters: {} },
      exclusions: {},
      parameters: {},
      schedule: {
        archive_rule: { archive_retain_rule: { retention_archive_tier: {} } },
        create_rule: { scripts: {} },
        cross_region_copy_rule: { deprecate_rule: {}, retain_rule: {} },
        deprecate_rule: {},
        fast_restore_rule: {},
        retain_rule: {},
        share_rule: {},
      },
    },
  },
  aws_ebs_volume: { timeouts: {} },
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
  aws_network_interface: { attachment: {} },
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
  aws_s3_bucket: {
    cors_rule: {},
    grant: {},
    lifecycle_rule: {
      expiration: {},
      noncurrent_version_expiration: {},
      noncurrent_version_transition: {},
      transition: {},
    },
    logging: {},
    object_lock_configuration: { rule: { default_retention: {} } },
    replication_configuration: {
      rules: {
        destination: { access_control_translation: {}, metrics: {}, replication_time: {} },
        filter: {},
        source_selection_criteria: { sse_kms_encrypted_objects: {} },
      },
    },
    server_side_encryption_configuration: { rule: { apply_server_side_encryption_by_default: {} } },
    timeouts: {},
    versioning: {},
    website: {},
  },
  aws_s3_bucket_abac: { abac_status: {} },
  aws_s3_bucket_acl: { access_control_policy: { grant: { grantee: {} }, owner: {} } },
  aws_s3_bucket_analytics_configuration: {
    filter: {},
    storage_class_analysis: { data_export: { destination: { s3_bucket_destination: {} } } },
  },
  aws_s3_bucket_cors_configuration: { cors_rule: {} },
  aws_s3_bucket_intelligent_tiering_configuration: { filter: {}, tiering: {} },
  aws_s3_bucket_inventory: {
    destination: { bucket: { encryption: { sse_kms: {}, sse_s3: {} } } },
    filter: {},
    schedule: {},
  },
  aws_s3_bucket_lifecycle_configuration: {
    rule: {
      abort_incomplete_multipart_upload: {},
      expiration: {},
      filter: { and: {}, tag: {} },
      noncurrent_version_expiration: {},
      noncurrent_version_transition: {},
      transition: {},
    },
    timeouts: {},
  },
  aws_s3_bucket_logging: {
    target_grant: { grantee: {} },
    target_object_key_format: { partitioned_prefix: {}, simple_prefix: {} },
  },
  aws_s3_bucket_metadata_configuration: {
    metadata_configuration: {
      inventory_table_configuration: { encryption_configuration: {} },
      journal_table_configuration: { encryption_configuration: {}, record_expiration: {} },
    },
    timeouts: {},
  },
  aws_s3_bucket_metric: { filter: {} },
  aws_s3_bucket_notification: { lambda_function: {}, queue: {}, topic: {} },
  aws_s3_bucket_object_lock_configuration: { rule: { default_retention: {} } },
  aws_s3_bucket_ownership_controls: { rule: {} },
  aws_s3_object: { override_provider: { default_tags: {} } },
  aws_s3_bucket_replication_configuration: {
    rule: {
      delete_marker_replication: {},
      destination: {
        access_control_translation: {},
        encryption_configuration: {},
        metrics: { event_threshold: {} },
        replication_time: { time: {} },
      },
      existing_object_replication: {},
      filter: { and: {}, tag: {} },
      source_selection_criteria: { replica_modifications: {}, sse_kms_encrypted_objects: {} },
    },
  },
  aws_s3_bucket_server_side_encryption_configuration: { rule: { apply_server_side_encryption_by_default: {} } },
  aws_s3_bucket_versioning: { versioning_configuration: {} },
  aws_s3_bucket_website_configuration: {
    error_document: {},
    index_document: {},
    redirect_all_requests_to: {},
    routing_rule: { condition: {}, redirect: {} },
  },
  aws_security_group: { timeouts: {} },
  aws_ssm_association: { output_location: {}, targets: {} },
  aws_volume_attachment: { timeouts: {} },
  aws_acm_certificate: { options: {}, validation_option: {} },
  aws_acm_certificate_validation: { timeouts: {} },
  aws_autoscaling_group: {
    availability_zone_distribution: {},
    capacity_reservation_specification: { capacity_reservation_target: {} },
    initial_lifecycle_hook: {},
    instance_maintenance_policy: {},
    instance_refresh: { preferences: { alarm_specification: {} } },
    launch_template: {},
    mixed_instances_policy: {
      instances_distribution: {},
      launch_template: {
        launch_template_specification: {},
        override: {
          instance_requirements: INSTANCE_REQUIREMENTS,
          launch_template_specification: {},
        },
      },
    },
    tag: {},
    timeouts: {},
    traffic_source: {},
    warm_pool: { instance_reuse_policy: {} },
  },
  aws_autoscaling_policy: {
    predictive_scaling_configuration: {
      metric_specification: {
        customized_capacity_metric_specification: {
          metric_data_queries: METRIC_DATA_QUERIES,
        },
        customized_load_metric_specification: { metric_data_queries: METRIC_DATA_QUERIES },
        customized_scaling_metric_specification: {
          metric_data_queries: METRIC_DATA_QUERIES,
        },
        predefined_load_metric_specification: {},
        predefined_metric_pair_specification: {},
        predefined_scaling_metric_specification: {},
      },
    },
    step_adjustment: {},
    target_tracking_configuration: {
      customized_metric_specification: {
        metric_dimension: {},
        metrics: { metric_stat: { metric: { dimensions: {} } } },
      },
      predefined_metric_specification: {},
    },
  },
  aws_db_instance: { blue_green_update: {}, restore_to_point_in_time: {}, s3_import: {}, timeouts: {} },
  aws_db_parameter_group: { parameter: {} },
  aws_launch_template: {
    block_device_mappings: { ebs: {} },
    capacity_reservation_specification: { capacity_reservation_target: {} },
    cpu_options: {},
    credit_specification: {},
    enclave_options: {},
    hibernation_options: {},
    iam_instance_profile: {},
    instance_market_options: { spot_options: {} },
    instance_requirements: INSTANCE_REQUIREMENTS,
    license_specification: {},
    maintenance_options: {},
    metadata_options: {},
    monitoring: {},
    network_interfaces: {
      connection_tracking_specification: {},
      ena_srd_specification: { ena_srd_udp_specification: {} },
    },
    placement: {},
    private_dns_name_options: {},
    tag_specifications: {},
  },
  aws_lb: {
    access_logs: {},
    connection_logs: {},
    health_check_logs: {},
    ipam_pools: {},
    minimum_load_balancer_capacity: {},
    subnet_mapping: {},
    timeouts: {},
  },
  aws_lb_listener: {
    default_action: LISTENER_ACTION,
    mutual_authentication: {},
    timeouts: {},
  },
  aws_lb_listener_rule: {
    action: LISTENER_ACTION,
    condition: {
      host_header: {},
      http_header: {},
      http_request_method: {},
      path_pattern: {},
      query_string: {},
      source_ip: {},
    },
    transform: { host_header_rewrite_config: { rewrite: {} }, url_rewrite_config: { rewrite: {} } },
  },
  aws_lb_target_group: {
    health_check: {},
    stickiness: {},
    target_failover: {},
    target_group_health: { dns_failover: {}, unhealthy_state_routing: {} },
    target_health_state: {},
  },
  aws_rds_cluster: {
    restore_to_point_in_time: {},
    s3_import: {},
    scaling_configuration: {},
    serverlessv2_scaling_configuration: {},
    timeouts: {},
  },
  aws_rds_cluster_instance: { timeouts: {} },
  aws_rds_cluster_parameter_group: { parameter: {} },
};

export const DATA_SOURCE_BLOCKS: Readonly<Record<string, NestedBlocks>> = {
  aws_ami: { filter: {}, timeouts: {} },
  aws_availability_zones: { filter: {}, timeouts: {} },
  aws_ec2_instance_type: { timeouts: {} },
  aws_instances: { filter: {}, timeouts: {} },
  aws_iam_policy_document: { statement: { condition: {}, not_principals: {}, principals: {} } },
  aws_subnet: { filter: {}, timeouts: {} },
  aws_subnets: { filter: {}, timeouts: {} },
  aws_vpc: { filter: {}, timeouts: {} },
  aws_vpcs: { filter: {}, timeouts: {} },
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

/** `required_version`, `required_providers`, then the backend, as terraform-aws-modules' versions.tf reads. */
const TERRAFORM: BodySchema = {
  order: ["required_providers"],
  attributes: { required_version: "literal", experiments: "reference" },
  blocks: {
    required_providers: {
      labels: 0,
      body: {
        otherAttributes: {
          fields: { source: "providerSource", configuration_aliases: "reference" },
          otherFields: "literal",
        },
      },
    },
    backend: {
      labels: 1,
      body: ([type]) =>
        type === "local"
          ? { attributes: { path: "localPath", workspace_dir: "localPath" }, otherAttributes: "literal" }
          : { otherAttributes: "literal" },
    },
    cloud: {
      labels: 0,
      body: { otherAttributes: "literal", blocks: { workspaces: { labels: 0, body: { otherAttributes: "literal" } } } },
    },
    provider_meta: { labels: 1, body: { otherAttributes: "literal" } },
  },
};

/** The top level of a Terraform JSON document (cdktf's `//` metadata aside). */
export const ROOT: BodySchema = {
  blocks: {
    terraform: { labels: 0, body: TERRAFORM },
    provider: {
      labels: 1,
      body: ([name]) =>
        providerSchemaBody(PROVIDER_BLOCKS[name!] ?? {}, { attributes: { alias: "literal", version: "literal" } }),
    },
    variable: {
      labels: 1,
      body: {
        order: ["description", "type", "default", "nullable", "sensitive", "ephemeral"],
        attributes: {
          description: "literal",
          default: "literal",
          type: "type",
          sensitive: "literal",
          nullable: "literal",
          ephemeral: "literal",
        },
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
        order: ["description", "value", "sensitive", "ephemeral"],
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
