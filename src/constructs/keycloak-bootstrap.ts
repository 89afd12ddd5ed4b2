import { Construct } from "constructs";
import { Fn, ITerraformDependable, TerraformLocal } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import {
  BootInput,
  bootSettings,
  CLUSTER_FIELDS,
  INSTANCE_FIELDS,
  nodeStatusPrefix,
  realmHashKey,
  settingsFile,
  staticBootFiles,
} from "../boot/boot-files";
import { bundleScript, fetchScript } from "../boot/bundle";
import { RealmSettings } from "../boot/realm";
import { MIN_CLUSTER_KEYCLOAK_VERSION } from "../defaults";
import { escapeTemplate } from "../text/template";
import { compareVersions } from "../text/version";
import { BackupBucket } from "./backup-bucket";
import { isKnown, propError } from "./validation";

export interface KeycloakBootstrapProps extends BootInput {
  /** The application realm: imported at the first start, reconciled into the running Keycloak at every change. */
  readonly realm: RealmSettings;
  /** The deployment's bucket: the bundle is stored under `boot/`, Systems Manager's output under `ssm/`. */
  readonly bucket: BackupBucket;
  /** Name of the association that applies changes (`<name>-apply`); not made when the user data is pinned. */
  readonly associationName: string;
  /**
   * Whether the user data names the bundle's SHA-256, so that a changed bundle makes new user data: for an Auto
   * Scaling group, whose instance refresh then replaces the instances (a new launch template version), instead of a
   * Systems Manager association re-running the boot in place (`applyTo`, refused then). The user data fetches the
   * bundle's own S3 object version (`version_id`) and refuses (exit 1) a bundle that is not its hash: each launch
   * template version boots its own configuration (a rollback, a cancelled refresh, an old node replaced during one).
   * The host needs s3:GetObjectVersion on `boot/` (BackupBucket.grantHostAccess, `readVersions`). The bucket expires
   * a bundle 30 days (or its retention, if longer) after an apply replaces it: a launch template version older than
   * that cannot boot.
   * @default - true in mode "cluster", false otherwise
   */
  readonly pinUserDataToBundle?: boolean;
}

/** Key prefixes in the deployment's bucket. */
export const BUCKET_PREFIXES = {
  boot: "boot",
  commandOutput: "ssm",
  backups: "backups/postgresql",
  status: "status",
  /** The cluster's load balancer access logs (`<prefix>/AWSLogs/<account>/...`). */
  loadBalancerLogs: "logs/load-balancer",
} as const;

/** Where the boot reports what it last did (src/boot/files/keycloak-boot.sh, report_status). */
export const BOOT_STATUS_KEY = `${BUCKET_PREFIXES.status}/boot.json`;

/** Where a cluster's nodes record the hash of the realm last applied (src/boot/files/keycloak-realm.sh); the claim of
 * the node applying a change is beside it, `realm.claim`. The nodes' role must read and write `status/`. */
export const REALM_HASH_KEY = realmHashKey(BOOT_STATUS_KEY);

/** Where each cluster node reports what it last did, `<prefix><instance id>.json` (report_status). */
export const NODE_STATUS_PREFIX = nodeStatusPrefix(BOOT_STATUS_KEY);

/** A CIDR as the boot checks it (keycloak-cluster.sh, is_cidr). */
const CIDR = /^[0-9A-Fa-f.:]+(\/[0-9]{1,3})?$/;

/**
 * Everything the instance does to become a Keycloak server, and again at every change: the guide's manual steps
 * after SSH (PostgreSQL, certificate, Keycloak in Docker, the realm), done by an idempotent boot. Its settings and
 * files travel as one bundle in S3, a Terraform local (ops read it as text in the plan and the HCL); the user data
 * only fetches and runs it, so it never changes. A Systems Manager association re-runs the fetch whenever the
 * bundle's hash changes. Values in `BootInput` may be Terraform references: they go into the settings file.
 *
 * A cluster's nodes (mode "cluster") are not updated in place: their user data names the bundle's object version and
 * hash (`pinUserDataToBundle`), so a change makes a new launch template version, which the Auto Scaling group's
 * instance refresh rolls out, and each launch template version boots its own bundle; there is no association.
 */
export class KeycloakBootstrap extends Construct {
  /** The boot bundle, as Terraform will render it. */
  public readonly bundle: TerraformLocal;
  /** The bundle's object in S3. */
  public readonly bundleObject: S3Object;
  /** SHA-256 of the bundle (hex): the boot reports the hash of the bundle it ran, so a change is seen to arrive. */
  public readonly bundleSha256: string;
  /** The instance's user data: fetches the bundle and runs it. Changes only with the bucket or the region, or, when
   * pinned (`pinUserDataToBundle`), with the bundle (its object version and hash). */
  public readonly userData: string;
  /** Whether the user data names the bundle's hash (see `pinUserDataToBundle`). */
  public readonly pinnedToBundle: boolean;
  /** The association that applies a changed bundle to the running instance, once `applyTo` was called. */
  public association?: SsmAssociation;
  private readonly props: KeycloakBootstrapProps;

  constructor(scope: Construct, id: string, props: KeycloakBootstrapProps) {
    super(scope, id);
    if (isKnown(props.keycloakVersion) && !/^26\.\d+\.\d+$/.test(props.keycloakVersion)) {
      throw propError(
        "KeycloakBootstrap",
        "keycloakVersion",
        `must be an exact Keycloak 26.x release such as "26.7.4", got "${props.keycloakVersion}"`,
      );
    }
    if (isKnown(props.realm.name) && (props.realm.name === "master" || !/^[A-Za-z0-9_-]+$/.test(props.realm.name))) {
      throw propError(
        "KeycloakBootstrap",
        "realm.name",
        `must be letters, digits, _ and - and not "master" (Keycloak's administration realm), got "${props.realm.name}"`,
      );
    }
    if (props.mode === "cluster") KeycloakBootstrap.checkCluster(props);
    // The settings file single-quotes every value for bash.
    const quoted: Array<[string, string | undefined]> = [
      ...(
        ["region", "keycloakVersion", "parameterPrefix", "adminUser", "hostname", "publicDns", "publicIp"] as const
      ).map((prop): [string, string | undefined] => [prop, props[prop]]),
      ["trustedProxyCidrs", props.trustedProxyCidrs],
      ["database.endpoint", props.database?.endpoint],
      ["database.port", props.database?.port],
    ];
    for (const [prop, value] of quoted) {
      if (value !== undefined && isKnown(value) && /['\n]/.test(value)) {
        throw propError("KeycloakBootstrap", prop, "must not hold quotes or line breaks");
      }
    }
    this.props = props;
    this.pinnedToBundle = props.pinUserDataToBundle ?? props.mode === "cluster";
    const input: BootInput = { ...props, status: { bucket: props.bucket.bucket.bucket, key: BOOT_STATUS_KEY } };
    this.bundle = new TerraformLocal(
      this,
      "bundle",
      bundleScript(settingsFile(bootSettings(input)), staticBootFiles(input, props.realm), escapeTemplate),
    );
    const bucket = props.bucket.bucket.bucket;
    this.bundleObject = new S3Object(this, "bundle_object", {
      bucket,
      key: `${BUCKET_PREFIXES.boot}/bundle.sh`,
      content: this.bundle.asString,
      contentType: "text/x-shellscript",
      dependsOn: props.bucket.ready,
    });
    this.bundleSha256 = Fn.sha256(this.bundle.asString);
    this.userData = fetchScript({
      region: props.region,
      bucket,
      key: this.bundleObject.key,
      // Pinned: this version of the object, never the bundle of a later (or earlier) apply.
      ...(this.pinnedToBundle ? { sha256: this.bundleSha256, versionId: this.bundleObject.versionId } : {}),
    });
  }

  /** The cluster's own props, checked where known: the boot (src/boot/boot-files.ts) checks them again, unnamed. */
  private static checkCluster(props: KeycloakBootstrapProps): void {
    if (isKnown(props.keycloakVersion) && compareVersions(props.keycloakVersion, MIN_CLUSTER_KEYCLOAK_VERSION) < 0)
      throw propError(
        "KeycloakBootstrap",
        "keycloakVersion",
        `must be ${MIN_CLUSTER_KEYCLOAK_VERSION} or later in mode "cluster" (jdbc-ping discovery, rolling updates), got "${props.keycloakVersion}"`,
      );
    for (const prop of ["hostname", ...CLUSTER_FIELDS] as const)
      if (props[prop] === undefined) throw propError("KeycloakBootstrap", prop, 'is required in mode "cluster"');
    for (const prop of INSTANCE_FIELDS)
      if (props[prop] !== undefined)
        throw propError(
          "KeycloakBootstrap",
          prop,
          'is not used in mode "cluster" (the load balancer terminates TLS and guards /admin/, RDS holds the data)',
        );
    const cidrs = props.trustedProxyCidrs!;
    if (isKnown(cidrs) && (cidrs.trim() === "" || !cidrs.split(" ").every((cidr) => CIDR.test(cidr))))
      throw propError(
        "KeycloakBootstrap",
        "trustedProxyCidrs",
        `must be IP addresses or CIDRs separated by single spaces, got "${cidrs}"`,
      );
    const port = props.database!.port;
    if (isKnown(port) && !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
      throw propError("KeycloakBootstrap", "database.port", `must be a port number, got "${port}"`);
  }

  /**
   * Re-runs the boot on `instance` whenever the bundle changes: Systems Manager runs an association when it is
   * created and at every update (docs/design-facts.md §11), and the command holds the bundle's hash. Its output goes
   * to the bucket under `ssm/`. `after`: what must exist before the first run (e.g. the data volume's attachment).
   */
  applyTo(instance: Instance, after: readonly ITerraformDependable[] = []): SsmAssociation {
    if (this.association) throw propError("KeycloakBootstrap", "applyTo", "was called twice");
    if (this.pinnedToBundle)
      throw propError(
        "KeycloakBootstrap",
        "applyTo",
        "is not for a bootstrap whose user data is pinned to the bundle (pinUserDataToBundle): new user data brings the change",
      );
    const { region, bucket } = this.props;
    this.association = new SsmAssociation(this, "apply", {
      associationName: this.props.associationName,
      name: "AWS-RunShellScript",
      targets: [{ key: "InstanceIds", values: [instance.id] }],
      parameters: {
        commands: fetchScript({
          region,
          bucket: bucket.bucket.bucket,
          key: this.bundleObject.key,
          sha256: this.bundleSha256,
        }),
        executionTimeout: "3600",
      },
      outputLocation: {
        s3BucketName: bucket.bucket.bucket,
        s3KeyPrefix: BUCKET_PREFIXES.commandOutput,
        s3Region: region,
      },
      complianceSeverity: "HIGH",
      dependsOn: after.length ? [...after] : undefined,
    });
    return this.association;
  }
}
