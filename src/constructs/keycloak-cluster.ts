import { Construct } from "constructs";
import { Token } from "cdktf";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { WORLD_CIDRS } from "../aws/cidr";
import { RealmSettings } from "../boot/realm";
import { parameterPrefix, SECRET_NAMES, secretsOf } from "../boot/secrets";
import {
  DEFAULT_ACCESS_LOG_DAYS,
  DEFAULT_ADMIN_USER,
  DEFAULT_BACKUP_RETENTION_DAYS,
  DEFAULT_KEYCLOAK_VERSION,
  DEFAULT_NAMES,
  DEFAULT_REALM,
} from "../defaults";
import { BackupBucket } from "./backup-bucket";
import { ClusterDatabase, ClusterDatabaseEngine } from "./cluster-database";
import { ClusterHosts, launchHookOf } from "./cluster-hosts";
import { ClusterNetwork } from "./cluster-network";
import { BUCKET_PREFIXES, KeycloakBootstrap } from "./keycloak-bootstrap";
import { LoadBalancer } from "./load-balancer";
import { checkCidrs } from "./network";
import { Secrets } from "./secrets";
import { isKnown, propError } from "./validation";

export interface KeycloakClusterProps {
  /** Name of the deployment: the SSM path of its secrets (`/<name>/keycloak/...`) and the prefix of resource names.
   * Lower-case letters, digits and dashes. @default "keycloak-ec2-cluster" */
  readonly deploymentName?: string;
  /** The public name, `https://<hostname>/`: the load balancer's certificate (ACM) and its alias record. */
  readonly hostname: string;
  /** The Route 53 public hosted zone holding `hostname` (name or id): the certificate's validation records and the
   * alias go there. */
  readonly dnsZone: string;
  /** CIDRs allowed on the load balancer's 443 (and 80, which redirects) (may be a reference). @default the world */
  readonly httpsCidrs?: readonly string[];
  /** CIDRs that may reach `/admin/` and the master realm: listener rules, so a literal list. [] = nobody.
   * @default - the httpsCidrs (which must then be literal) */
  readonly adminCidrs?: readonly string[];
  /** The VPC of `subnetIds` (the plan checks that they are in it). @default - the subnets' VPC, or the default VPC */
  readonly vpcId?: string;
  /** Public subnets in at least two availability zones. @default - the default VPC's default subnets */
  readonly subnetIds?: readonly string[];
  /** EC2 instance type of the nodes (may be a reference). @default "t3.medium" */
  readonly instanceType?: string;
  /** Size of each node's encrypted gp3 root volume in GiB. @default 20 */
  readonly rootVolumeSize?: number;
  /** The Auto Scaling group's sizes and CPU target. @default 2, 2, 4 and 60 % */
  readonly size?: {
    readonly minSize?: number;
    readonly desiredCapacity?: number;
    readonly maxSize?: number;
    readonly cpuTarget?: number;
  };
  /** The database. @default RDS for PostgreSQL, db.t4g.medium, Multi-AZ, 20 GiB */
  readonly database?: {
    readonly engine?: ClusterDatabaseEngine;
    readonly instanceClass?: string;
    readonly multiAz?: boolean;
    readonly allocatedStorage?: number;
  };
  /** Days the database's automated backups are kept, 7 to 35. @default 14 */
  readonly backupRetentionDays?: number;
  /** The database's deletion protection and `prevent_destroy`, and the bucket's. @default true */
  readonly dataProtection?: boolean;
  /**
   * The load balancer's access logs, in the deployment's bucket under {@link BUCKET_PREFIXES}.loadBalancerLogs, kept
   * `retainDays` (1 to 3650, may be a reference; @default 90).
   * @default - no access logs
   */
  readonly accessLogs?: { readonly retainDays?: number };
  /** Exact tag of quay.io/keycloak/keycloak, 26.6.0 or later (may be a reference). @default "26.7.4" */
  readonly keycloakVersion?: string;
  /** User name of the bootstrap administrator of the master realm. @default "admin" */
  readonly adminUser?: string;
  /** The application realm, imported at the first start and reconciled at each change. @default - the demo realm */
  readonly realm?: RealmSettings;
}

/**
 * Keycloak as a cluster, on AWS's own engines: an Application Load Balancer with an ACM certificate in front of an
 * Auto Scaling group of hardened instances across availability zones, Keycloak's distributed caches discovering
 * each other through the database (jdbc-ping), and Amazon RDS for PostgreSQL (or Aurora) with TLS. A change of
 * configuration rolls through the group (instance refresh) without downtime. Needs an AWS and a `random` provider.
 */
export class KeycloakCluster extends Construct {
  public readonly network: ClusterNetwork;
  public readonly loadBalancer: LoadBalancer;
  public readonly database: ClusterDatabase;
  public readonly hosts: ClusterHosts;
  public readonly secrets: Secrets;
  /** The deployment's bucket: the boot bundle, the boot's reports. */
  public readonly bucket: BackupBucket;
  public readonly bootstrap: KeycloakBootstrap;
  /** The SSM SecureString parameter holding the generated admin password. */
  public readonly adminPasswordParameter: SsmParameter;
  public readonly region: string;
  /** `https://<hostname>`. */
  public readonly url: string;
  public readonly adminConsoleUrl: string;
  public readonly realmIssuerUrl: string;

  constructor(scope: Construct, id: string, props: KeycloakClusterProps) {
    super(scope, id);
    const name = props.deploymentName ?? DEFAULT_NAMES.cluster;
    // The Auto Scaling group's IAM name prefixes need 3 characters; the RDS identifier refuses "--".
    if (isKnown(name) && (!/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(name) || name.includes("--")))
      throw propError(
        "KeycloakCluster",
        "deploymentName",
        `must be 3-32 lower-case letters, digits and dashes, starting with a letter, without "--", got "${name}"`,
      );
    const httpsCidrs = props.httpsCidrs ?? WORLD_CIDRS;
    const adminCidrs = props.adminCidrs ?? httpsCidrs;
    checkCidrs("KeycloakCluster", "httpsCidrs", httpsCidrs);
    if (!isKnown(adminCidrs))
      throw propError(
        "KeycloakCluster",
        "adminCidrs",
        "must be a literal list (the load balancer's rules are written at synth); give it when httpsCidrs is a reference",
      );
    checkCidrs("KeycloakCluster", "adminCidrs", adminCidrs);
    const realm = props.realm ?? DEFAULT_REALM;
    const protect = props.dataProtection ?? true;
    const retainDays = props.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
    this.region = new DataAwsRegion(this, "region").region;

    this.network = new ClusterNetwork(this, "network", {
      namePrefix: name,
      vpcId: props.vpcId,
      subnetIds: props.subnetIds,
      httpsCidrs,
    });
    // The bucket holds the boot bundle, the reports and the access logs only: the database's backups are RDS's.
    this.bucket = new BackupBucket(this, "bucket", { bucketPrefix: `${name}-`, retainDays, protect });
    this.loadBalancer = new LoadBalancer(this, "load_balancer", {
      name,
      network: this.network,
      hostname: props.hostname,
      zone: props.dnsZone,
      adminCidrs,
      publicRealms: [realm.name],
      accessLogs: props.accessLogs && {
        bucket: this.bucket.bucket.bucket,
        prefix: BUCKET_PREFIXES.loadBalancerLogs,
        dependsOn: this.bucket.allowLoadBalancerLogs(
          BUCKET_PREFIXES.loadBalancerLogs,
          props.accessLogs.retainDays ?? DEFAULT_ACCESS_LOG_DAYS,
        ),
      },
    });
    this.secrets = new Secrets(this, "secrets", {
      parameterPrefix: parameterPrefix(name),
      names: secretsOf("cluster"),
    });
    this.adminPasswordParameter = this.secrets.parameter(SECRET_NAMES.adminPassword);
    this.database = new ClusterDatabase(this, "database", {
      identifier: name,
      network: this.network,
      // The master user's password, generated by Terraform and read by the nodes from SSM (secret db-password).
      masterPassword: this.secrets.parameter(SECRET_NAMES.databasePassword).value,
      ...props.database,
      // Aurora grows its own storage (ClusterDatabase refuses a size for it); a config gives one either way.
      allocatedStorage: props.database?.engine === "aurora-postgresql" ? undefined : props.database?.allocatedStorage,
      backupRetentionDays: retainDays,
      protect,
    });
    // Keycloak trusts forwarding headers only from inside the VPC, where the load balancer's nodes are.
    // Every CIDR block of the VPC (subnetIds may be in a secondary one), space-separated as the boot takes them.
    const vpc = new DataAwsVpc(this, "vpc", { id: this.network.vpcId });
    const vpcCidrs = `\${join(" ", ${vpc.fqn}.cidr_block_associations[*].cidr_block)}`;
    this.bootstrap = new KeycloakBootstrap(this, "bootstrap", {
      mode: "cluster",
      region: this.region,
      keycloakVersion: props.keycloakVersion ?? DEFAULT_KEYCLOAK_VERSION,
      parameterPrefix: parameterPrefix(name),
      adminUser: props.adminUser ?? DEFAULT_ADMIN_USER,
      hostname: props.hostname,
      database: {
        endpoint: this.database.endpoint,
        port: Token.asString(this.database.port),
      },
      trustedProxyCidrs: vpcCidrs,
      launchHook: launchHookOf(name),
      realm,
      bucket: this.bucket,
      associationName: `${name}-apply`,
      pinUserDataToBundle: true,
    });
    this.hosts = new ClusterHosts(this, "hosts", {
      namePrefix: name,
      network: this.network,
      targetGroup: this.loadBalancer.targetGroup,
      instanceType: props.instanceType,
      userData: this.bootstrap.userData,
      ...props.size,
      rootVolumeSize: props.rootVolumeSize,
      // The first node boots against a database, secrets and a bundle that exist.
      dependsOn: [
        ...Object.values(this.secrets.parameters),
        this.bootstrap.bundleObject,
        ...(this.database.instance ? [this.database.instance] : this.database.clusterInstances),
      ],
    });
    this.secrets.grantRead(this.hosts);
    this.bucket.grantHostAccess(this.hosts, "bucket-access", {
      // backups/: a single instance's dump copied there to move its data into the cluster (docs/operations.md).
      read: [BUCKET_PREFIXES.boot, BUCKET_PREFIXES.status, BUCKET_PREFIXES.backups],
      write: [BUCKET_PREFIXES.status],
      // The user data fetches its launch template version's own bundle, by version id (KeycloakBootstrap).
      readVersions: [BUCKET_PREFIXES.boot],
    });

    this.url = this.loadBalancer.url;
    this.adminConsoleUrl = `${this.url}/admin/master/console/`;
    this.realmIssuerUrl = `${this.url}/realms/${realm.name}`;
  }
}
