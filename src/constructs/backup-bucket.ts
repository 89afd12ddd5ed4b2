import { Construct } from "constructs";
import { Fn, ITerraformDependable } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import {
  S3BucketLifecycleConfiguration,
  S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA as S3BucketVersioning } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { IRolePolicyHolder } from "./host";
import { isKnown, propError } from "./validation";

export interface BackupBucketProps {
  /** Prefix of the bucket's name (S3 adds a unique suffix): lower-case letters, digits, dashes, at most 37. */
  readonly bucketPrefix: string;
  /** Days a backup is kept, and a replaced or deleted version after that (may be a reference). @default 14 */
  readonly retainDays?: number;
  /** Refuse to destroy the bucket (Terraform's `prevent_destroy`). @default true */
  readonly protect?: boolean;
}

/**
 * The deployment's S3 bucket: the logical backups of its database, the boot bundle the instance fetches, Systems
 * Manager's command output. Versioned, encrypted, public access blocked, TLS only; backups expire after the
 * retention, and a host may write its prefixes but delete nothing.
 */
/** Days an overwritten boot bundle, status or command output is kept. */
const OLD_VERSION_DAYS = 30;

export class BackupBucket extends Construct {
  public readonly bucket: S3Bucket;
  /** Gates the bucket's set-up: depend on it before writing objects. */
  public readonly ready: ITerraformDependable[];
  private readonly policyDocument: DataAwsIamPolicyDocument;
  private readonly policyStatements: DataAwsIamPolicyDocumentStatement[];
  private readonly lifecycle: S3BucketLifecycleConfiguration;
  private readonly lifecycleRules: S3BucketLifecycleConfigurationRule[];
  private readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    if (isKnown(props.bucketPrefix) && !/^[a-z0-9](?:[a-z0-9-]{0,36})$/.test(props.bucketPrefix)) {
      throw propError(
        "BackupBucket",
        "bucketPrefix",
        `must be 1-37 lower-case letters, digits and dashes, got "${props.bucketPrefix}"`,
      );
    }
    const retain = props.retainDays ?? 14;
    if (isKnown(retain) && !(Number.isInteger(retain) && retain >= 1 && retain <= 3650)) {
      throw propError("BackupBucket", "retainDays", `must be a whole number of days from 1 to 3650, got ${retain}`);
    }
    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: props.bucketPrefix,
      // Unprotected (dev), a destroy empties it: a versioned bucket always holds something.
      forceDestroy: props.protect === false ? true : undefined,
      lifecycle: props.protect === false ? undefined : { preventDestroy: true },
    });
    const bucket = this.bucket.id;
    const publicAccess = new S3BucketPublicAccessBlock(this, "public_access", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const ownership = new S3BucketOwnershipControls(this, "ownership", {
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const versioning = new S3BucketVersioning(this, "versioning", {
      bucket,
      versioningConfiguration: { status: "Enabled" },
    });
    const encryption = new S3BucketServerSideEncryptionConfiguration(this, "encryption", {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    this.policyStatements = [
      {
        sid: "DenyWithoutTls",
        effect: "Deny",
        actions: ["s3:*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        resources: [this.bucket.arn, `${this.bucket.arn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ];
    this.policyDocument = new DataAwsIamPolicyDocument(this, "tls_only_policy", { statement: this.policyStatements });
    // After the public access block: S3 refuses a policy while the block is being set.
    this.policy = new S3BucketPolicy(this, "tls_only", {
      bucket,
      policy: this.policyDocument.json,
      dependsOn: [publicAccess],
    });
    this.lifecycleRules = [
      {
        id: "expire-backups",
        status: "Enabled",
        filter: [{ prefix: "backups/" }],
        expiration: [{ days: retain }],
        noncurrentVersionExpiration: [{ noncurrentDays: retain }],
      },
      {
        id: "expire-old-versions",
        status: "Enabled",
        filter: [{ prefix: "" }],
        // This rule covers backups/ too, and S3 applies the shorter of two overlapping expirations: never shorter
        // than the backups' own retention.
        noncurrentVersionExpiration: [
          {
            noncurrentDays: isKnown(retain) ? Math.max(OLD_VERSION_DAYS, retain) : Fn.max([OLD_VERSION_DAYS, retain]),
          },
        ],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      },
    ];
    this.lifecycle = new S3BucketLifecycleConfiguration(this, "expiry", {
      bucket,
      rule: this.lifecycleRules,
      // Versioning first, as the provider's documentation asks for a versioned bucket's lifecycle.
      dependsOn: [versioning],
    });
    this.ready = [publicAccess, ownership, versioning, encryption, this.policy, this.lifecycle];
  }

  /**
   * Lets an Application Load Balancer of this account write its access logs under `prefix` (without slashes at either
   * end, never holding "AWSLogs"), where they expire after `retainDays`. The bucket policy grants the log delivery
   * service principal, which AWS documents for every Region since 2025-09-10 (the regional ELB accounts of
   * `aws_elb_service_account` exist only in the Regions opened before August 2022); the bucket's SSE-S3 is the only
   * encryption ALB logs support (ALB user guide, "Enable access logs"). Returns what the load balancer must depend
   * on: enabling the logs writes a test file and fails while the policy is missing.
   */
  allowLoadBalancerLogs(prefix: string, retainDays: number): ITerraformDependable[] {
    if (this.policyStatements.some((statement) => statement.sid === "LoadBalancerLogs"))
      throw propError("BackupBucket", "prefix", "load balancer logs are allowed once per bucket, under one prefix");
    if (!/^[a-z0-9-]+(?:\/[a-z0-9-]+)*$/.test(prefix) || /awslogs/i.test(prefix))
      throw propError("BackupBucket", "prefix", `must be lower-case path segments without "AWSLogs", got "${prefix}"`);
    if (isKnown(retainDays) && !(Number.isInteger(retainDays) && retainDays >= 1 && retainDays <= 3650))
      throw propError("BackupBucket", "retainDays", `must be a whole number of days from 1 to 3650, got ${retainDays}`);
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    this.policyStatements.push({
      sid: "LoadBalancerLogs",
      effect: "Allow",
      actions: ["s3:PutObject"],
      principals: [{ type: "Service", identifiers: ["logdelivery.elasticloadbalancing.amazonaws.com"] }],
      resources: [`${this.bucket.arn}/${prefix}/AWSLogs/${account}/*`],
    });
    this.policyDocument.putStatement(this.policyStatements);
    this.lifecycleRules.push({
      id: "expire-load-balancer-logs",
      status: "Enabled",
      filter: [{ prefix: `${prefix}/` }],
      expiration: [{ days: retainDays }],
      noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
    });
    this.lifecycle.putRule(this.lifecycleRules);
    return [this.policy];
  }

  /**
   * An inline policy for `host`: get objects under `read`, put objects under `write` (prefixes without slashes at
   * either end), list those prefixes. Never delete: versioning keeps what a put overwrites. `readVersions`: prefixes
   * under which the host may also get an object by its version id (s3:GetObjectVersion, which a GET with a versionId
   * needs): a cluster node fetching its launch template version's own bundle. @default - none
   */
  grantHostAccess(
    host: IRolePolicyHolder,
    policyName: string,
    access: { readonly read: string[]; readonly write: string[]; readonly readVersions?: string[] },
  ): void {
    const objects = (prefixes: string[]) => prefixes.map((prefix) => `${this.bucket.arn}/${prefix}/*`);
    const versions = access.readVersions ?? [];
    host.addRolePolicy(policyName, [
      ...(access.read.length
        ? [{ sid: "Read", effect: "Allow", actions: ["s3:GetObject"], resources: objects(access.read) }]
        : []),
      ...(versions.length
        ? [{ sid: "ReadVersions", effect: "Allow", actions: ["s3:GetObjectVersion"], resources: objects(versions) }]
        : []),
      ...(access.write.length
        ? [{ sid: "Write", effect: "Allow", actions: ["s3:PutObject"], resources: objects(access.write) }]
        : []),
      {
        sid: "List",
        effect: "Allow",
        actions: ["s3:ListBucket"],
        resources: [this.bucket.arn],
        condition: [
          {
            test: "StringLike",
            variable: "s3:prefix",
            values: [...new Set([...access.read, ...versions, ...access.write])].map((prefix) => `${prefix}/*`),
          },
        ],
      },
    ]);
  }

  /**
   * What the SSM agent on `host` needs beyond PutObject to store Run Command output under `prefix`: the canned ACL it
   * sends with the object (bucket-owner-full-control, which BucketOwnerEnforced accepts) and the bucket's encryption
   * check, as the Systems Manager user guide's instance policy for command output in S3 lists them.
   */
  grantCommandOutput(host: IRolePolicyHolder, policyName: string, prefix: string): void {
    host.addRolePolicy(policyName, [
      {
        sid: "OutputAcl",
        effect: "Allow",
        actions: ["s3:PutObjectAcl"],
        resources: [`${this.bucket.arn}/${prefix}/*`],
      },
      { sid: "Encryption", effect: "Allow", actions: ["s3:GetEncryptionConfiguration"], resources: [this.bucket.arn] },
    ]);
  }
}
