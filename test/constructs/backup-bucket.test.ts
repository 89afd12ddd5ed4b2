import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { BackupBucket, BackupBucketProps } from "../../src/constructs/backup-bucket";
import { Host, HostProps } from "../../src/constructs/host";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

const HOST: HostProps = {
  ami: "ami-0123456789abcdef0",
  instanceType: "t3.small",
  securityGroupIds: ["sg-0123"],
  userData: "#!/bin/bash\n",
  name: "keycloak",
  instanceRole: true,
};
const only = (tf: Record<string, any>, block: "resource" | "data", type: string): Record<string, any> => {
  const items = Object.entries(tf[block][type]);
  expect(items).toHaveLength(1);
  return { id: items[0][0], ...(items[0][1] as object) };
};

/** The parsed JSON of a stack (fresh unless given) holding one BackupBucket of prefix "kc-". */
function synthBucket(props: Partial<BackupBucketProps>, stack = newStack()): Record<string, any> {
  new BackupBucket(stack, "bucket", { bucketPrefix: "kc-", ...props });
  return JSON.parse(Testing.synth(stack));
}

/** The statements of the data source whose `.json` a resource's attribute refers to. */
const documentOf = (tf: Record<string, any>, reference: string): Record<string, any>[] =>
  tf.data.aws_iam_policy_document[reference.match(/^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/)![1]]
    .statement;

describe("BackupBucket validation", () => {
  it.each(["", "KC-", "-kc", "kc_backups", "kc.backups", "x".repeat(38)])("rejects the bucket prefix %p", (prefix) => {
    // GIVEN / WHEN / THEN
    expect(() => new BackupBucket(newStack(), "bucket", { bucketPrefix: prefix })).toThrow(
      /BackupBucket: 'bucketPrefix' must be 1-37 lower-case letters, digits and dashes, got "/,
    );
  });

  it.each(["k", "0-", "x".repeat(37)])("accepts the bucket prefix %p", (prefix) => {
    // GIVEN / WHEN / THEN
    expect(() => new BackupBucket(newStack(), "bucket", { bucketPrefix: prefix })).not.toThrow();
  });

  it.each([0, 2.5, 3651])("rejects a retention of %p days", (retainDays) => {
    // GIVEN / WHEN / THEN
    expect(() => new BackupBucket(newStack(), "bucket", { bucketPrefix: "kc-", retainDays })).toThrow(
      /BackupBucket: 'retainDays' must be a whole number of days from 1 to 3650, got /,
    );
  });
});

describe("BackupBucket bucket", () => {
  it("is named from the prefix and prevents its destruction by default, without force_destroy", () => {
    // GIVEN / WHEN
    const bucket = only(synthBucket({}), "resource", "aws_s3_bucket");
    // THEN
    expect(bucket.bucket_prefix).toBe("kc-");
    expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket).not.toHaveProperty("force_destroy");
  });

  it("is emptied and destroyed with the stack when unprotected", () => {
    // GIVEN / WHEN
    const bucket = only(synthBucket({ protect: false }), "resource", "aws_s3_bucket");
    // THEN
    expect(bucket.force_destroy).toBe(true);
    expect(bucket).not.toHaveProperty("lifecycle");
  });

  it("is versioned and encrypted with S3-managed keys", () => {
    // GIVEN / WHEN
    const tf = synthBucket({});
    // THEN
    const bucket = `\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.id}`;
    const json = JSON.stringify(tf);
    expect(json).toHaveResourceWithProperties(S3BucketVersioningA, {
      bucket,
      versioning_configuration: { status: "Enabled" },
    });
    expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      bucket,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
  });

  it("blocks every kind of public access and disables ACLs", () => {
    // GIVEN / WHEN
    const tf = synthBucket({});
    // THEN
    const bucket = `\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.id}`;
    const json = JSON.stringify(tf);
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      bucket,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(json).toHaveResourceWithProperties(S3BucketOwnershipControls, {
      bucket,
      rule: { object_ownership: "BucketOwnerEnforced" },
    });
  });

  it("denies every request without TLS, once the public access block is in place", () => {
    // GIVEN / WHEN
    const tf = synthBucket({});
    // THEN
    const bucketId = only(tf, "resource", "aws_s3_bucket").id;
    const policy = only(tf, "resource", "aws_s3_bucket_policy");
    expect(policy.bucket).toBe(`\${aws_s3_bucket.${bucketId}.id}`);
    expect(documentOf(tf, policy.policy)).toEqual([
      {
        sid: "DenyWithoutTls",
        effect: "Deny",
        actions: ["s3:*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        resources: [`\${aws_s3_bucket.${bucketId}.arn}`, `\${aws_s3_bucket.${bucketId}.arn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
    expect(policy.depends_on).toEqual([
      `aws_s3_bucket_public_access_block.${only(tf, "resource", "aws_s3_bucket_public_access_block").id}`,
    ]);
  });

  it("accepts a prefix and a retention given as variables, unchecked, as references", () => {
    // GIVEN
    const stack = newStack();
    const prefix = new TerraformVariable(stack, "bucket_prefix", { type: "string" });
    const retain = new TerraformVariable(stack, "backup_retention_days", { type: "number" });
    // WHEN
    const tf = synthBucket({ bucketPrefix: prefix.stringValue, retainDays: retain.numberValue }, stack);
    // THEN
    expect(only(tf, "resource", "aws_s3_bucket").bucket_prefix).toBe("${var.bucket_prefix}");
    const [backups] = only(tf, "resource", "aws_s3_bucket_lifecycle_configuration").rule;
    expect(backups.expiration).toEqual([{ days: "${var.backup_retention_days}" }]);
    expect(backups.noncurrent_version_expiration).toEqual([{ noncurrent_days: "${var.backup_retention_days}" }]);
    const [, others] = only(tf, "resource", "aws_s3_bucket_lifecycle_configuration").rule;
    expect(others.noncurrent_version_expiration).toEqual([
      { noncurrent_days: "${max(30, var.backup_retention_days)}" },
    ]);
  });

  it("gates objects written to it on its whole set-up", () => {
    // GIVEN
    const stack = newStack();
    const bucket = new BackupBucket(stack, "bucket", { bucketPrefix: "kc-" });
    // WHEN
    new S3Object(stack, "object", {
      bucket: bucket.bucket.id,
      key: "boot/bundle.tgz",
      content: "x",
      dependsOn: bucket.ready,
    });
    // THEN
    const tf = JSON.parse(Testing.synth(stack));
    const setUp = [
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_versioning",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_lifecycle_configuration",
    ];
    expect(tf.resource.aws_s3_object.object.depends_on).toEqual(
      setUp.map((type) => `${type}.${only(tf, "resource", type).id}`),
    );
  });
});

describe("BackupBucket lifecycle", () => {
  it("expires backups after 14 days by default, their old versions 14 days later, other old versions after 30", () => {
    // GIVEN / WHEN
    const lifecycle = only(synthBucket({}), "resource", "aws_s3_bucket_lifecycle_configuration");
    // THEN
    expect(lifecycle.rule).toEqual([
      {
        id: "expire-backups",
        status: "Enabled",
        filter: [{ prefix: "backups/" }],
        expiration: [{ days: 14 }],
        noncurrent_version_expiration: [{ noncurrent_days: 14 }],
      },
      {
        id: "expire-old-versions",
        status: "Enabled",
        filter: [{ prefix: "" }],
        noncurrent_version_expiration: [{ noncurrent_days: 30 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      },
    ]);
  });

  it("expires backups and their old versions after the retention given", () => {
    // GIVEN / WHEN
    const lifecycle = only(synthBucket({ retainDays: 7 }), "resource", "aws_s3_bucket_lifecycle_configuration");
    // THEN
    expect(lifecycle.rule[0]).toMatchObject({
      filter: [{ prefix: "backups/" }],
      expiration: [{ days: 7 }],
      noncurrent_version_expiration: [{ noncurrent_days: 7 }],
    });
  });

  it("keeps old versions of backups for a retention over 30 days: S3 applies the shorter of two overlapping rules", () => {
    // GIVEN / WHEN
    const lifecycle = only(synthBucket({ retainDays: 90 }), "resource", "aws_s3_bucket_lifecycle_configuration");
    // THEN the rule for every prefix, backups/ included, expires old versions no sooner than the backups' rule
    expect(
      lifecycle.rule.map((rule: { noncurrent_version_expiration: unknown }) => rule.noncurrent_version_expiration),
    ).toEqual([[{ noncurrent_days: 90 }], [{ noncurrent_days: 90 }]]);
  });

  it("is set on the bucket once versioning is enabled", () => {
    // GIVEN / WHEN
    const tf = synthBucket({});
    // THEN
    const lifecycle = only(tf, "resource", "aws_s3_bucket_lifecycle_configuration");
    expect(lifecycle.bucket).toBe(`\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.id}`);
    expect(lifecycle.depends_on).toEqual([
      `aws_s3_bucket_versioning.${only(tf, "resource", "aws_s3_bucket_versioning").id}`,
    ]);
  });
});

describe("BackupBucket grantHostAccess", () => {
  /** A host granted `access` to a bucket, under the policy name "bucket-access"; the parsed JSON. */
  function synthGranted(access: { read: string[]; write: string[]; readVersions?: string[] }): Record<string, any> {
    const stack = newStack();
    const bucket = new BackupBucket(stack, "bucket", { bucketPrefix: "kc-" });
    bucket.grantHostAccess(new Host(stack, "host", HOST), "bucket-access", access);
    return JSON.parse(Testing.synth(stack));
  }
  const ACCESS = { read: ["boot", "backups"], write: ["backups", "command-output"] };

  it("gets objects under the read prefixes, puts under the write prefixes, and lists both", () => {
    // GIVEN / WHEN
    const tf = synthGranted(ACCESS);
    // THEN
    const arn = `\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.arn}`;
    expect(documentOf(tf, only(tf, "resource", "aws_iam_role_policy").policy)).toEqual([
      { sid: "Read", effect: "Allow", actions: ["s3:GetObject"], resources: [`${arn}/boot/*`, `${arn}/backups/*`] },
      {
        sid: "Write",
        effect: "Allow",
        actions: ["s3:PutObject"],
        resources: [`${arn}/backups/*`, `${arn}/command-output/*`],
      },
      {
        sid: "List",
        effect: "Allow",
        actions: ["s3:ListBucket"],
        resources: [arn],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: ["boot/*", "backups/*", "command-output/*"] }],
      },
    ]);
  });

  it("never allows a delete, nor any action beyond get, put and list", () => {
    // GIVEN / WHEN
    const tf = synthGranted(ACCESS);
    // THEN
    const statements = documentOf(tf, only(tf, "resource", "aws_iam_role_policy").policy);
    expect(statements.every((s) => s.effect === "Allow")).toBe(true);
    expect(new Set(statements.flatMap((s) => s.actions))).toEqual(
      new Set(["s3:GetObject", "s3:PutObject", "s3:ListBucket"]),
    );
    expect(JSON.stringify(statements)).not.toMatch(/Delete/);
  });

  it("grants no put when nothing is to be written", () => {
    // GIVEN / WHEN
    const tf = synthGranted({ read: ["boot"], write: [] });
    // THEN
    const statements = documentOf(tf, only(tf, "resource", "aws_iam_role_policy").policy);
    expect(statements.map((s) => s.sid)).toEqual(["Read", "List"]);
    expect(statements[1].condition[0].values).toEqual(["boot/*"]);
  });

  it("gets objects by version id only under the readVersions prefixes (a GET with a versionId)", () => {
    // GIVEN / WHEN
    const tf = synthGranted({ read: ["boot", "status"], write: ["status"], readVersions: ["boot"] });
    // THEN
    const arn = `\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.arn}`;
    const statements = documentOf(tf, only(tf, "resource", "aws_iam_role_policy").policy);
    expect(statements.map((s) => s.sid)).toEqual(["Read", "ReadVersions", "Write", "List"]);
    expect(statements[1]).toEqual({
      sid: "ReadVersions",
      effect: "Allow",
      actions: ["s3:GetObjectVersion"],
      resources: [`${arn}/boot/*`],
    });
  });

  it("puts the policy, under its name, on the host's role, before the instance boots", () => {
    // GIVEN / WHEN
    const tf = synthGranted(ACCESS);
    // THEN
    const policy = only(tf, "resource", "aws_iam_role_policy");
    expect(policy.name).toBe("bucket-access");
    expect(policy.role).toBe(`\${aws_iam_role.${only(tf, "resource", "aws_iam_role").id}.name}`);
    expect(only(tf, "resource", "aws_instance").depends_on).toContain(`aws_iam_role_policy.${policy.id}`);
  });

  it("refuses a host without an instance role", () => {
    // GIVEN
    const stack = newStack();
    const bucket = new BackupBucket(stack, "bucket", { bucketPrefix: "kc-" });
    const host = new Host(stack, "host", { ...HOST, instanceRole: false });
    // WHEN / THEN
    expect(() => bucket.grantHostAccess(host, "bucket-access", ACCESS)).toThrow(/Host: 'instanceRole' must be set/);
  });
});

describe("BackupBucket grantCommandOutput", () => {
  it("lets the SSM agent put its output with the canned ACL it sends, after checking the bucket's encryption", () => {
    // GIVEN
    const stack = newStack();
    const bucket = new BackupBucket(stack, "bucket", { bucketPrefix: "kc-" });
    // WHEN
    bucket.grantCommandOutput(new Host(stack, "host", HOST), "command-output", "ssm");
    // THEN
    const tf = JSON.parse(Testing.synth(stack));
    const arn = `\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.arn}`;
    const policy = only(tf, "resource", "aws_iam_role_policy");
    expect(policy.name).toBe("command-output");
    expect(documentOf(tf, policy.policy)).toEqual([
      { sid: "OutputAcl", effect: "Allow", actions: ["s3:PutObjectAcl"], resources: [`${arn}/ssm/*`] },
      { sid: "Encryption", effect: "Allow", actions: ["s3:GetEncryptionConfiguration"], resources: [arn] },
    ]);
  });
});

describe("BackupBucket allowLoadBalancerLogs", () => {
  it("lets the ALB log delivery service put this account's logs under the prefix, kept retainDays", () => {
    // GIVEN
    const stack = newStack();
    const bucket = new BackupBucket(stack, "bucket", { bucketPrefix: "kc-" });
    // WHEN
    const gate = bucket.allowLoadBalancerLogs("logs/load-balancer", 30);
    // THEN
    const tf = JSON.parse(Testing.synth(stack));
    const arn = `\${aws_s3_bucket.${only(tf, "resource", "aws_s3_bucket").id}.arn}`;
    const account = `\${data.aws_caller_identity.${only(tf, "data", "aws_caller_identity").id}.account_id}`;
    const policy = only(tf, "resource", "aws_s3_bucket_policy");
    const statements = documentOf(tf, policy.policy);
    // The TLS-only Deny stays; the service principal AWS documents for every Region, scoped to this account's logs.
    expect(statements.map((s) => s.sid)).toEqual(["DenyWithoutTls", "LoadBalancerLogs"]);
    expect(statements[1]).toEqual({
      sid: "LoadBalancerLogs",
      effect: "Allow",
      actions: ["s3:PutObject"],
      principals: [{ type: "Service", identifiers: ["logdelivery.elasticloadbalancing.amazonaws.com"] }],
      resources: [`${arn}/logs/load-balancer/AWSLogs/${account}/*`],
    });
    expect(tf.data.aws_elb_service_account).toBeUndefined();
    const rules = only(tf, "resource", "aws_s3_bucket_lifecycle_configuration").rule;
    expect(rules.find((r: { id: string }) => r.id === "expire-load-balancer-logs")).toEqual({
      id: "expire-load-balancer-logs",
      status: "Enabled",
      filter: [{ prefix: "logs/load-balancer/" }],
      expiration: [{ days: 30 }],
      noncurrent_version_expiration: [{ noncurrent_days: 1 }],
    });
    // What the load balancer waits for: the policy itself.
    expect(gate).toHaveLength(1);
    expect(gate[0]).toBeInstanceOf(S3BucketPolicy);
    expect((gate[0] as S3BucketPolicy).friendlyUniqueId).toBe(policy.id);
  });

  it.each([
    ["logs/AWSLogs", 'must be lower-case path segments without "AWSLogs"'],
    ["/logs", 'must be lower-case path segments without "AWSLogs"'],
    ["logs/", 'must be lower-case path segments without "AWSLogs"'],
  ])("refuses the prefix %p", (prefix, message) => {
    const bucket = new BackupBucket(newStack(), "bucket", { bucketPrefix: "kc-" });
    expect(() => bucket.allowLoadBalancerLogs(prefix, 30)).toThrow(`BackupBucket: 'prefix' ${message}`);
  });

  it("allows the logs once: a second prefix would repeat the statement's and the rule's ids", () => {
    const bucket = new BackupBucket(newStack(), "bucket", { bucketPrefix: "kc-" });
    bucket.allowLoadBalancerLogs("logs", 30);
    expect(() => bucket.allowLoadBalancerLogs("other-logs", 30)).toThrow(
      "BackupBucket: 'prefix' load balancer logs are allowed once per bucket, under one prefix",
    );
  });

  it("refuses a retention outside 1 to 3650 days", () => {
    const bucket = new BackupBucket(newStack(), "bucket", { bucketPrefix: "kc-" });
    expect(() => bucket.allowLoadBalancerLogs("logs", 0)).toThrow(
      "BackupBucket: 'retainDays' must be a whole number of days from 1 to 3650, got 0",
    );
  });
});
