import { synthesize } from "./synth";

// The cluster profile's stack as a whole: what each part of issue 12 needs, in the synthesized Terraform JSON. The
// constructs have tests of their own (test/constructs/cluster-*.test.ts, load-balancer.test.ts); these pin the
// composition: the wiring between the parts, the boot, the outputs.

type Json = Record<string, any>;
const RAW = {
  profile: "cluster",
  name: "sso",
  keycloak: { hostname: "sso.example.com", realm: { spa: false, bff: false } },
  dnsZone: "example.com",
  adminCidrs: ["203.0.113.0/24"],
};
const { tf } = synthesize(RAW);
const all = (type: string): Json[] => Object.values(tf.resource[type] ?? {});
const only = (type: string): Json => {
  const list = all(type);
  expect(list).toHaveLength(1);
  return list[0];
};
const ref = (type: string, attribute: string) => `\${${type}.${Object.keys(tf.resource[type])[0]}.${attribute}}`;

describe("the cluster profile's stack", () => {
  it("puts the load balancer, the nodes and the database in the same subnets, each in its own security group", () => {
    const subnets = only("aws_lb").subnets;
    expect(only("aws_autoscaling_group").vpc_zone_identifier).toEqual(subnets);
    expect(only("aws_db_subnet_group").subnet_ids).toEqual(subnets);
    const groups = Object.keys(tf.resource.aws_security_group);
    expect(groups).toHaveLength(3);
    expect(only("aws_lb").security_groups).toHaveLength(1);
    expect(only("aws_launch_template").vpc_security_group_ids).toHaveLength(1);
    expect(only("aws_db_instance").vpc_security_group_ids).toHaveLength(1);
    expect(
      new Set([
        only("aws_lb").security_groups[0],
        only("aws_launch_template").vpc_security_group_ids[0],
        only("aws_db_instance").vpc_security_group_ids[0],
      ]).size,
    ).toBe(3);
  });

  it("opens no SSH, and only the load balancer to the internet", () => {
    const ingress = all("aws_vpc_security_group_ingress_rule");
    expect(ingress.map((rule) => rule.from_port)).not.toContain(22);
    const fromCidrs = ingress.filter((rule) => rule.for_each !== undefined || rule.cidr_ipv4 !== undefined);
    expect(new Set(fromCidrs.map((rule) => rule.from_port))).toEqual(new Set([443, 80]));
    expect(only("aws_launch_template").key_name).toBeUndefined();
  });

  it("serves https://<hostname> with an ACM certificate validated in the zone, and the hostname's alias", () => {
    expect(only("aws_acm_certificate")).toMatchObject({ domain_name: "sso.example.com", validation_method: "DNS" });
    const https = all("aws_lb_listener").find((listener) => listener.port === 443)!;
    expect(https.certificate_arn).toBe(ref("aws_acm_certificate_validation", "certificate_arn"));
    const alias = all("aws_route53_record").find((record) => record.alias)!;
    expect(alias).toMatchObject({ name: "sso.example.com", type: "A" });
    expect(tf.output.keycloak_url.value).toBe("https://sso.example.com");
    expect(tf.output.realm_issuer_url.value).toBe("https://sso.example.com/realms/app");
  });

  it("registers the nodes with the target group, checks their health on the management port, rolls changes", () => {
    // The names the profile check reads in a state (src/deploy/preflight/state-profile.ts).
    expect(Object.keys(tf.resource.aws_autoscaling_group)).toEqual(["hosts_group"]);
    expect(Object.keys(tf.resource.aws_security_group)).toContain("network_lb");
    expect(Object.keys(tf.resource.aws_db_subnet_group)).toEqual(["database_subnet_group"]);
    const group = only("aws_autoscaling_group");
    expect(group.target_group_arns).toEqual([ref("aws_lb_target_group", "arn")]);
    expect(group).toMatchObject({ min_size: 2, desired_capacity: 2, max_size: 4, health_check_type: "ELB" });
    expect(group.instance_refresh).toMatchObject({ strategy: "Rolling" });
    expect(only("aws_lb_target_group")).toMatchObject({
      port: 8080,
      health_check: { port: "9000", path: "/health/ready" },
    });
    expect(only("aws_autoscaling_policy")).toMatchObject({
      policy_type: "TargetTrackingScaling",
      target_tracking_configuration: { target_value: 60 },
    });
  });

  it("boots each node from the bundle, named by its hash in the user data: a change is a new launch template version", () => {
    const userData: string = tf.locals.hosts_user_data;
    expect(userData).toContain("${aws_s3_object.bootstrap_bundle_object.key}");
    expect(userData).toContain("${sha256(local.bootstrap_bundle)}");
    // Its own version of the bundle, refused if it is not that hash: a rollback boots the old configuration.
    expect(userData).toContain("\nversion='${aws_s3_object.bootstrap_bundle_object.version_id}'\n");
    expect(userData).toContain(' --version-id "$version" ');
    expect(userData).toContain("refusing to run it");
    expect(only("aws_launch_template").user_data).toBe("${base64encode(local.hosts_user_data)}");
    // No Systems Manager association: a changed bundle reaches the nodes through the instance refresh.
    expect(tf.resource.aws_ssm_association).toBeUndefined();
    const bundle: string = tf.locals.bootstrap_bundle;
    expect(bundle).toContain("PROFILE='cluster'");
    // Every CIDR block of the VPC: subnets may be in a secondary one, where the load balancer's nodes then are.
    expect(bundle).toContain(
      `TRUSTED_PROXY_CIDRS='\${join(" ", data.aws_vpc.vpc.cidr_block_associations[*].cidr_block)}'`,
    );
    expect(bundle).toContain(`DB_ENDPOINT='${ref("aws_db_instance", "address")}'`);
    expect(bundle).not.toMatch(/DB_SECRET_ARN|secretsmanager/);
  });

  it("lets the nodes get old versions of the boot bundle only (the pinned user data's versioned GET)", () => {
    const statements: Json[] = tf.data.aws_iam_policy_document.hosts_bucket_access_policy.statement;
    expect(statements.find((s) => s.sid === "ReadVersions")).toEqual({
      sid: "ReadVersions",
      effect: "Allow",
      actions: ["s3:GetObjectVersion"],
      resources: [`${ref("aws_s3_bucket", "arn")}/boot/*`],
    });
  });

  it("runs the database encrypted, Multi-AZ, TLS only, protected, backed up a fortnight, its password generated", () => {
    const database = only("aws_db_instance");
    expect(database).toMatchObject({
      engine: "postgres",
      instance_class: "db.t4g.medium",
      multi_az: true,
      storage_encrypted: true,
      publicly_accessible: false,
      deletion_protection: true,
      skip_final_snapshot: false,
      backup_retention_period: 14,
      lifecycle: { prevent_destroy: true },
      // Storage grows by itself up to five times the size: a full disk would stop the database.
      allocated_storage: 20,
      max_allocated_storage: 100,
    });
    // The generated db-password of SSM, which the nodes read at boot; not one RDS manages (and rotates weekly).
    expect(database.password).toBe("${aws_ssm_parameter.secrets_db_password_parameter.value}");
    expect(database).not.toHaveProperty("manage_master_user_password");
    expect(only("aws_db_parameter_group").parameter).toContainEqual(
      expect.objectContaining({ name: "rds.force_ssl", value: "1" }),
    );
  });

  it("lets the nodes read their own SSM secrets, the database's among them, and their bucket, and nothing more", () => {
    const policies = JSON.stringify(tf.data.aws_iam_policy_document);
    expect(policies).not.toContain("secretsmanager:");
    expect(policies).toContain("${aws_ssm_parameter.secrets_db_password_parameter.arn}");
    expect(Object.keys(tf.resource.aws_ssm_parameter)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/admin_password/),
        expect.stringMatching(/db_password/),
        expect.stringMatching(/service_client_secret/),
      ]),
    );
  });

  it("outputs what an operator needs, each described", () => {
    for (const output of [
      "load_balancer_dns",
      "autoscaling_group",
      "instances_command",
      "database_endpoint",
      "admin_password_command",
      "node_status_prefix",
      "boot_bundle_sha256",
    ])
      expect(tf.output[output]?.description).toMatch(/\w/);
  });

  it("restricts the admin paths to adminCidrs at the load balancer", () => {
    const rules = all("aws_lb_listener_rule");
    const forwarded = rules.filter((rule) => JSON.stringify(rule.condition).includes("203.0.113.0/24"));
    expect(forwarded.length).toBeGreaterThan(0);
    expect(JSON.stringify(rules)).toContain('"status_code":"403"');
  });

  it("writes the load balancer's access logs to its bucket, kept accessLogs.retainDays, only when enabled", () => {
    expect(only("aws_lb").access_logs).toBeUndefined();
    const logged = synthesize({ ...RAW, accessLogs: { enabled: true, retainDays: 30 } }).tf;
    const lb = Object.values(logged.resource.aws_lb as Json)[0];
    expect(lb.access_logs).toMatchObject({ prefix: "logs/load-balancer", enabled: true });
    const rules = Object.values(logged.resource.aws_s3_bucket_lifecycle_configuration as Json)[0].rule as Json[];
    expect(rules.find((rule) => rule.id === "expire-load-balancer-logs")?.expiration).toEqual([{ days: 30 }]);
  });
});
