import "../cdktf-matchers";
import { synthesize } from "./synth";

type Json = Record<string, any>;

/** The instance and the user data it boots with, as Terraform would see them. */
const instanceOf = (tf: Json) => tf.resource.aws_instance.host_instance;

describe("day 2: changes reach the running instance without replacing it", () => {
  it.each<[string, Json, Json]>([
    ["the Keycloak version", { keycloak: { version: "26.7.3" } }, { keycloak: { version: "26.7.4" } }],
    [
      "a redirect URI",
      { keycloak: { realm: { spa: { redirectUris: ["https://app.example.com/*"] } } } },
      { keycloak: { realm: { spa: { redirectUris: ["https://app.example.com/*", "https://new.example.com/*"] } } } },
    ],
    ["the hostname", { keycloak: { hostname: "sso.example.com" } }, { keycloak: { hostname: "id.example.com" } }],
  ])("%s: the instance and its user data stay identical, the delivered bundle and its hash differ", (_, a, b) => {
    // GIVEN two configs that differ only in one setting
    const before = synthesize(a).tf;
    const after = synthesize(b).tf;
    // THEN
    expect(instanceOf(after)).toEqual(instanceOf(before));
    // What the bundle delivers: its text, and the variables it references (the version is one, for Terraform Cloud).
    const delivered = (tf: Json) => ({ bundle: tf.locals.bootstrap_bundle, variables: tf.variable });
    expect(delivered(after)).not.toEqual(delivered(before));
    expect(after.resource.aws_s3_object.bootstrap_bundle_object.content).toBe("${local.bootstrap_bundle}");
    const association = (tf: Json) => tf.resource.aws_ssm_association.bootstrap_apply;
    expect(association(after)).toEqual(association(before)); // the hash is Terraform's: sha256(local.bootstrap_bundle)
    expect(association(after).parameters.commands).toContain("expected='${sha256(local.bootstrap_bundle)}'");
  });
});

describe("day 2: data that outlives the instance", () => {
  const { tf } = synthesize({ region: "eu-west-3" });

  it("keeps the data on an encrypted gp3 volume with a final snapshot, protected from destroy, in the instance's zone", () => {
    expect(tf.resource.aws_ebs_volume.data_volume).toMatchObject({
      availability_zone: "${data.aws_region.region.region}a",
      size: 10,
      type: "gp3",
      encrypted: true,
      final_snapshot: true,
      lifecycle: { prevent_destroy: true },
      tags: { Name: "keycloak-ec2-data", "keycloak-ec2:snapshots": "keycloak-ec2" },
    });
    expect(instanceOf(tf).availability_zone).toBe("${data.aws_region.region.region}a");
    expect(tf.resource.aws_volume_attachment.data_attachment).toEqual(
      expect.objectContaining({
        device_name: "/dev/sdf",
        volume_id: "${aws_ebs_volume.data_volume.id}",
        instance_id: "${aws_instance.host_instance.id}",
        stop_instance_before_detaching: true,
      }),
    );
  });

  it("takes the zone from the config, or the subnet's, and sizes the volume from the config", () => {
    const zoned = synthesize({ region: "eu-west-3", availabilityZone: "eu-west-3b", dataVolumeSize: 50 }).tf;
    expect(zoned.resource.aws_ebs_volume.data_volume).toMatchObject({ availability_zone: "eu-west-3b", size: 50 });
    const inSubnet = synthesize({ subnetId: "subnet-0123456789abcdef0" }).tf;
    expect(inSubnet.resource.aws_ebs_volume.data_volume.availability_zone).toBe(
      "${data.aws_subnet.subnet.availability_zone}",
    );
    expect(instanceOf(inSubnet).availability_zone).toBeUndefined();
  });

  it("leaves the dev profile's volume unprotected by default, and protection to the config", () => {
    expect(synthesize({ profile: "dev" }).tf.resource.aws_ebs_volume.data_volume.lifecycle).toBeUndefined();
    const unprotected = synthesize({ dataProtection: false }).tf.resource;
    expect(unprotected.aws_ebs_volume.data_volume.lifecycle).toBeUndefined();
    expect(unprotected.aws_s3_bucket.bucket_bucket.lifecycle).toBeUndefined();
  });

  it("snapshots the volume daily by its tag, kept for the retention", () => {
    const policy = synthesize({ backupRetentionDays: 30 }).tf.resource.aws_dlm_lifecycle_policy.snapshots_policy;
    expect(policy.state).toBe("ENABLED");
    expect(policy.policy_details).toMatchObject({
      resource_types: ["VOLUME"],
      target_tags: { "keycloak-ec2:snapshots": "keycloak-ec2" },
      schedule: [
        {
          create_rule: { interval: 24, interval_unit: "HOURS", times: ["03:00"] },
          retain_rule: { count: 30 },
          copy_tags: true,
        },
      ],
    });
    expect(tf.resource.aws_iam_role_policy_attachment.snapshots_snapshots.policy_arn).toBe(
      "arn:${data.aws_partition.snapshots_partition.partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
    );
  });

  it("keeps logical backups in a versioned, encrypted, private, TLS-only bucket that expires them", () => {
    const r = tf.resource;
    expect(r.aws_s3_bucket.bucket_bucket).toMatchObject({
      bucket_prefix: "keycloak-ec2-",
      lifecycle: { prevent_destroy: true },
    });
    expect(r.aws_s3_bucket.bucket_bucket.force_destroy).toBeUndefined();
    expect(r.aws_s3_bucket_versioning.bucket_versioning.versioning_configuration).toEqual({ status: "Enabled" });
    expect(r.aws_s3_bucket_public_access_block.bucket_public_access).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(
      r.aws_s3_bucket_server_side_encryption_configuration.bucket_encryption.rule[0]
        .apply_server_side_encryption_by_default,
    ).toEqual({ sse_algorithm: "AES256" });
    expect(tf.data.aws_iam_policy_document.bucket_tls_only_policy.statement[0]).toMatchObject({
      effect: "Deny",
      actions: ["s3:*"],
      condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    });
    expect(r.aws_s3_bucket_lifecycle_configuration.bucket_expiry.rule[0]).toMatchObject({
      filter: [{ prefix: "backups/" }],
      expiration: [{ days: 14 }],
      noncurrent_version_expiration: [{ noncurrent_days: 14 }],
    });
  });

  it("lets the instance read its bundle and backups, write backups and command output, and delete nothing", () => {
    const statements: Json[] = tf.data.aws_iam_policy_document.host_bucket_access_policy.statement;
    const actions = statements.flatMap((s) => s.actions);
    expect(actions.sort()).toEqual(["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
    expect(statements.find((s) => s.sid === "Read")!.resources).toEqual([
      "${aws_s3_bucket.bucket_bucket.arn}/boot/*",
      "${aws_s3_bucket.bucket_bucket.arn}/backups/postgresql/*",
    ]);
    expect(statements.find((s) => s.sid === "Write")!.resources).toEqual([
      "${aws_s3_bucket.bucket_bucket.arn}/backups/postgresql/*",
      "${aws_s3_bucket.bucket_bucket.arn}/ssm/*",
      "${aws_s3_bucket.bucket_bucket.arn}/status/*",
    ]);
    // The SSM agent sends Run Command output with a canned ACL, after checking the bucket's encryption.
    const output: Json[] = tf.data.aws_iam_policy_document.host_command_output_policy.statement;
    expect(output.map((s) => [s.actions, s.resources])).toEqual([
      [["s3:PutObjectAcl"], ["${aws_s3_bucket.bucket_bucket.arn}/ssm/*"]],
      [["s3:GetEncryptionConfiguration"], ["${aws_s3_bucket.bucket_bucket.arn}"]],
    ]);
    expect(instanceOf(tf).depends_on).toEqual(
      expect.arrayContaining(["aws_iam_role_policy.host_bucket_access", "aws_s3_object.bootstrap_bundle_object"]),
    );
  });

  it("refuses at plan time a zone other than the one where an instance of this name already runs", () => {
    // A deployment made before the zone was fixed: EC2 placed its instance, whose data is on its root volume.
    const zoneCheck = instanceOf(tf).lifecycle.precondition[1];
    expect(zoneCheck.condition).toBe(
      "${length(data.aws_instances.instances_named.ids) == length(data.aws_instances.instances_named_in_zone.ids)}",
    );
    expect(zoneCheck.error_message).toMatch(
      /outside availability zone \$\{data.aws_region.region.region\}a, .* Set availabilityZone to that instance's zone/,
    );
    const [named, inZone] = [tf.data.aws_instances.instances_named, tf.data.aws_instances.instances_named_in_zone];
    expect(named.instance_tags).toEqual({ Name: "keycloak-ec2" });
    expect(named.instance_state_names).toEqual(["pending", "running", "stopping", "stopped"]);
    expect(inZone.filter).toContainEqual({ name: "availability-zone", values: ["${data.aws_region.region.region}a"] });
    expect(inZone.filter).toContainEqual(named.filter[0]);
  });

  it("outputs what backup and restore need, and what later changes are compared with", () => {
    expect(tf.output).toMatchObject({
      instance_id: { value: "${aws_instance.host_instance.id}" },
      region: { value: "${data.aws_region.region.region}" },
      data_volume_id: { value: "${aws_ebs_volume.data_volume.id}" },
      backup_bucket: { value: "${aws_s3_bucket.bucket_bucket.bucket}" },
      backup_prefix: { value: "backups/postgresql" },
      boot_status_key: { value: "status/boot.json" },
      boot_bundle_sha256: { value: "${sha256(local.bootstrap_bundle)}" },
      availability_zone: { value: "${aws_instance.host_instance.availability_zone}" },
      key_name: { value: "${aws_instance.host_instance.key_name}" },
      data_volume_size: { value: "${aws_ebs_volume.data_volume.size}" },
    });
  });
});
