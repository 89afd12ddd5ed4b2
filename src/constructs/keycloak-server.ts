import { Construct } from "constructs";
import { Fn } from "cdktf";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { DataAwsInstances } from "@cdktf/provider-aws/lib/data-aws-instances";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { WORLD_CIDRS } from "../aws/cidr";
import { RealmSettings } from "../boot/realm";
import { parameterPrefix, SECRET_NAMES, secretsOf } from "../boot/secrets";
import { PROXY_PORTS } from "../boot/proxy";
import { InstanceMode } from "../boot/unit";
import { BackupBucket } from "./backup-bucket";
import { DataVolume } from "./data-volume";
import { SnapshotPolicy } from "./snapshot-policy";
import {
  DEFAULT_ADMIN_USER,
  DEFAULT_BACKUP_RETENTION_DAYS,
  DEFAULT_DATA_VOLUME_SIZE,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_KEYCLOAK_VERSION,
  DEFAULT_NAMES,
  DEFAULT_REALM,
  DEFAULT_ROOT_VOLUME_SIZE,
  LETS_ENCRYPT,
  TLS_MODES,
  TlsMode,
} from "../defaults";
import { DnsName } from "./dns-name";
import { Host } from "./host";
import { amazonLinux2023 } from "./instance-role";
import { BUCKET_PREFIXES, KeycloakBootstrap } from "./keycloak-bootstrap";
import { checkCidrs, Network } from "./network";
import { Secrets } from "./secrets";
import { TerraformData } from "./terraform-data";
import { isKnown, propError } from "./validation";

export interface KeycloakServerProps {
  /** `production`: Keycloak in production mode on PostgreSQL with TLS. `dev`: `start-dev` on Keycloak's embedded
   * database, with the same hardened host and HTTPS; not for production. @default "production" */
  readonly mode?: InstanceMode;
  /** Name of the deployment: the SSM path of its secrets (`/<name>/keycloak/...`) and the default of the names
   * below. Lower-case letters, digits and dashes. @default "keycloak-ec2" (production), "keycloak-ec2-dev" (dev) */
  readonly deploymentName?: string;
  /** EC2 instance type (may be a reference, e.g. a variable). Amazon Linux 2023 is picked for its architecture.
   * @default "t3.small" */
  readonly instanceType?: string;
  /** An existing public subnet (with a route to an internet gateway) to launch in; its VPC holds the security
   * group. Needed in accounts without a default VPC. @default - the default VPC, in a subnet EC2 picks */
  readonly subnetId?: string;
  /** Availability zone of the instance and its data volume, which must share one (may be a reference). Refused
   * with `subnetId`: the subnet decides the zone. @default - the subnet's zone, else the region's zone "a" */
  readonly availabilityZone?: string;
  /** The VPC `subnetId` must be in: a check, the plan stops otherwise. Needs `subnetId`. @default - no check */
  readonly vpcId?: string;
  /** Existing EC2 key pair for SSH. @default - none: log in with Session Manager */
  readonly keyName?: string;
  /** IPv4/IPv6 CIDRs allowed on port 22 (may be a reference). @default [] - no SSH rule at all */
  readonly sshCidrs?: readonly string[];
  /** IPv4/IPv6 CIDRs allowed on HTTPS port 443 (may be a reference). @default ["0.0.0.0/0", "::/0"] */
  readonly httpsCidrs?: readonly string[];
  /** IPv4/IPv6 CIDRs that may reach the admin console and admin REST API (`/admin/`); the proxy refuses everyone
   * else with 403. They also need to be within `httpsCidrs` to reach port 443 (may be a reference). An empty list:
   * nobody. @default - the httpsCidrs */
  readonly adminCidrs?: readonly string[];
  /** Name of the security group. @default "<deploymentName>-sg" */
  readonly securityGroupName?: string;
  /** `Name` tag of the instance and the Elastic IP. @default - the deployment name */
  readonly instanceName?: string;
  /** Size of the encrypted gp3 root volume in GiB (may be a reference). @default 20 */
  readonly rootVolumeSize?: number;
  /** An Elastic IP, so that the address and the certificate survive stop/start (about 3.6 USD a month).
   * @default true */
  readonly elasticIp?: boolean;
  /** Replace the instance when AWS publishes a newer Amazon Linux 2023 AMI; the data volume keeps the data, and
   * Keycloak is down while the new instance boots. @default false - a new AMI changes nothing */
  readonly followLatestAmi?: boolean;
  /** Size of the encrypted gp3 data volume in GiB (may be a reference): PostgreSQL, the dev profile's H2
   * database, TLS material, the boot's state. It outlives the instance. @default 10 */
  readonly dataVolumeSize?: number;
  /** Refuse to destroy the data volume and the backup bucket (Terraform's `prevent_destroy`). @default true
   * (production), false (dev) */
  readonly dataProtection?: boolean;
  /** Days the daily snapshots of the data volume and the daily logical backups are kept (may be a reference).
   * @default 14 */
  readonly backupRetentionDays?: number;
  /** Exact tag of quay.io/keycloak/keycloak, a 26.x release (may be a reference). @default "26.7.4" */
  readonly keycloakVersion?: string;
  /** DNS name clients use, and the certificate's; point it at the Elastic IP (`dnsZone` does).
   * @default - the Elastic IP itself (`https://<address>/`) */
  readonly hostname?: string;
  /** A Route 53 public hosted zone (name or id) holding `hostname`: an `A` record for it, pointing at the Elastic
   * IP, is created before the instance (needs `hostname` and the Elastic IP). @default - no record */
  readonly dnsZone?: string;
  /** How the HTTPS proxy on 443 gets its certificate. @default - acme (production), self-signed (dev), supplied
   * when `tlsCertificate` is given */
  readonly tls?: KeycloakServerTls;
  /** User name of the bootstrap administrator of the master realm. @default "admin" */
  readonly adminUser?: string;
  /** SSM parameters holding a certificate chain and key of your own (the `supplied` TLS mode). @default - none */
  readonly tlsCertificate?: { readonly certificateParameter: string; readonly privateKeyParameter: string };
  /** The application realm imported at first start. @default - realm "app" with an SPA, a BFF and a service client on localhost URIs */
  readonly realm?: RealmSettings;
}

/** The HTTPS proxy's certificate. */
export interface KeycloakServerTls {
  /** `acme`: from an ACME CA, renewed by the proxy (opens port 80 to the world for HTTP-01). `self-signed`: made at
   * boot. `supplied`: `tlsCertificate`. @default - acme (production), self-signed (dev), supplied with `tlsCertificate` */
  readonly mode?: TlsMode;
  /** Contact of the ACME account. @default - none */
  readonly acmeEmail?: string;
  /** The ACME directory URL. @default - Let's Encrypt's production directory */
  readonly acmeDirectory?: string;
  /** The ACME profile. @default - "shortlived" for the Elastic IP (Let's Encrypt's only profile for IP addresses),
   * the CA's default for a hostname */
  readonly acmeProfile?: string;
}

/**
 * Keycloak on one hardened EC2 instance: the security group, the instance with its role and Elastic IP, the
 * generated secrets in SSM, and the boot that installs and starts Keycloak. Use it in any `TerraformStack` that has
 * an AWS provider and a `random` provider.
 */
export class KeycloakServer extends Construct {
  public readonly network: Network;
  public readonly host: Host;
  public readonly secrets: Secrets;
  public readonly bootstrap: KeycloakBootstrap;
  /** The Elastic IP, unless `elasticIp` is false. */
  public readonly elasticIp?: Eip;
  /** The data volume and its attachment. */
  public readonly dataVolume: DataVolume;
  /** The deployment's bucket: logical backups, the boot bundle, Systems Manager's output. */
  public readonly bucket: BackupBucket;
  /** Daily snapshots of the data volume. */
  public readonly snapshotPolicy: SnapshotPolicy;
  /** The EC2 instance (`aws_instance`). */
  public readonly instance: Instance;
  /** The instance's security group: add rules to it, or reference it from other groups. */
  public readonly securityGroup: SecurityGroup;
  /** The instance role (Session Manager, and reading its own secrets). */
  public readonly role: IamRole;
  /** The SSM SecureString parameter holding the generated admin password. */
  public readonly adminPasswordParameter: SsmParameter;
  /** The public IPv4 address (the Elastic IP's, or the instance's). */
  public readonly publicIp: string;
  /** The public DNS name (the Elastic IP's, or the instance's). */
  public readonly publicDns: string;
  /** The region the instance runs in (from the stack's AWS provider). */
  public readonly region: string;
  /** Keycloak's base URL, `https://<hostname or Elastic IP>` (the proxy on 443). */
  public readonly url: string;
  /** How the certificate is obtained. */
  public readonly tlsMode: TlsMode;
  /** The hostname's record, when `dnsZone` is given. */
  public readonly dnsName?: DnsName;
  /** The admin console of the master realm. */
  public readonly adminConsoleUrl: string;
  /** The OpenID Connect issuer of the application realm (what applications configure). */
  public readonly realmIssuerUrl: string;

  constructor(scope: Construct, id: string, props: KeycloakServerProps = {}) {
    super(scope, id);
    const mode = props.mode ?? "production";
    const name = props.deploymentName ?? DEFAULT_NAMES[mode];
    if (isKnown(name) && !/^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) {
      throw propError(
        "KeycloakServer",
        "deploymentName",
        `must be 1-32 lower-case letters, digits and dashes, starting with a letter, got "${name}"`,
      );
    }
    // Checked here too, so that a mistake names the prop the user set rather than the inner construct's.
    checkCidrs("KeycloakServer", "httpsCidrs", props.httpsCidrs ?? []);
    checkCidrs("KeycloakServer", "sshCidrs", props.sshCidrs ?? []);
    checkCidrs("KeycloakServer", "adminCidrs", props.adminCidrs ?? []);
    const tlsMode =
      props.tls?.mode ?? (props.tlsCertificate ? "supplied" : mode === "production" ? "acme" : "self-signed");
    if (!TLS_MODES.includes(tlsMode))
      throw propError("KeycloakServer", "tls.mode", `must be one of ${TLS_MODES.join(", ")}, got "${tlsMode}"`);
    if ((tlsMode === "supplied") !== (props.tlsCertificate !== undefined))
      throw propError(
        "KeycloakServer",
        "tlsCertificate",
        tlsMode === "supplied"
          ? "is required with tls.mode supplied"
          : `is only used with tls.mode supplied, not ${tlsMode}`,
      );
    if (props.dnsZone !== undefined && (props.hostname === undefined || props.elasticIp === false))
      throw propError("KeycloakServer", "dnsZone", "needs 'hostname' and the Elastic IP (elasticIp not false)");
    this.tlsMode = tlsMode;
    const size = props.rootVolumeSize;
    if (size !== undefined && isKnown(size) && !(Number.isInteger(size) && size >= 8 && size <= 16384)) {
      throw propError("KeycloakServer", "rootVolumeSize", `must be a whole number of GiB from 8 to 16384, got ${size}`);
    }
    const realm = props.realm ?? DEFAULT_REALM;
    const instanceType = props.instanceType ?? DEFAULT_INSTANCE_TYPE;
    const instanceName = props.instanceName ?? name;
    this.region = new DataAwsRegion(this, "region").region;

    // The AMI of the instance type's architecture, looked up at plan time, so that the type may be a variable.
    const { architecture, ami } = amazonLinux2023(this, instanceType);
    // The architecture the instance was created with. The AMI is not followed after creation, so a type of the
    // other architecture would stop the instance and fail to start it (an x86_64 image on arm64): refused at plan.
    const createdFor = new TerraformData(this, "architecture", {
      input: { architecture },
      lifecycle: { ignoreChanges: ["input"] },
    });

    if (props.vpcId !== undefined && props.subnetId === undefined) {
      throw propError("KeycloakServer", "vpcId", "needs 'subnetId': a VPC does not say where to launch");
    }
    if (props.availabilityZone !== undefined && props.subnetId !== undefined) {
      throw propError("KeycloakServer", "availabilityZone", "cannot go with 'subnetId': the subnet decides the zone");
    }
    const subnet = props.subnetId === undefined ? undefined : this.lookUpSubnet(props.subnetId, props.vpcId);
    // The zone is fixed, not picked by EC2 at each launch: a replaced instance must meet its data volume.
    const availabilityZone = subnet?.availabilityZone ?? props.availabilityZone ?? `${this.region}a`;
    const httpsCidrs = props.httpsCidrs ?? WORLD_CIDRS;
    this.network = new Network(this, "network", {
      vpcId: subnet?.vpcId,
      securityGroupName: props.securityGroupName ?? `${name}-sg`,
      ingress: [
        {
          id: "https",
          port: PROXY_PORTS.https,
          cidrs: httpsCidrs,
          description: "HTTPS: Keycloak behind its proxy (admin paths only from adminCidrs)",
        },
        // Let's Encrypt validates HTTP-01 on port 80 from addresses it does not publish: open to all, answering only
        // the challenge and a redirect to HTTPS.
        {
          id: "http",
          port: PROXY_PORTS.http,
          cidrs: tlsMode === "acme" ? WORLD_CIDRS : [],
          description: "HTTP: the ACME CA's HTTP-01 challenge, and a redirect to HTTPS",
        },
        { id: "ssh", port: 22, cidrs: props.sshCidrs ?? [], description: "SSH from the configured sshCidrs" },
      ],
    });
    this.securityGroup = this.network.securityGroup;
    this.elasticIp =
      props.elasticIp === false ? undefined : new Eip(this, "address", { domain: "vpc", tags: { Name: instanceName } });
    this.secrets = new Secrets(this, "secrets", { parameterPrefix: parameterPrefix(name), names: secretsOf(mode) });
    this.adminPasswordParameter = this.secrets.parameter(SECRET_NAMES.adminPassword);

    const protect = props.dataProtection ?? mode === "production";
    const retainDays = props.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
    this.bucket = new BackupBucket(this, "bucket", { bucketPrefix: `${name}-`, retainDays, protect });
    const snapshotTag = { key: "keycloak-ec2:snapshots", value: name };
    this.dataVolume = new DataVolume(this, "data", {
      availabilityZone,
      sizeGiB: props.dataVolumeSize ?? DEFAULT_DATA_VOLUME_SIZE,
      name: `${instanceName}-data`,
      protect,
      tags: { [snapshotTag.key]: snapshotTag.value },
    });
    this.snapshotPolicy = new SnapshotPolicy(this, "snapshots", {
      targetTag: snapshotTag,
      retainDays,
      iamNamePrefix: `${name}-dlm-`,
      description: `Daily snapshots of the data volume of keycloak-ec2 deployment ${name}`,
    });
    this.bootstrap = new KeycloakBootstrap(this, "bootstrap", {
      mode,
      region: this.region,
      keycloakVersion: props.keycloakVersion ?? DEFAULT_KEYCLOAK_VERSION,
      parameterPrefix: parameterPrefix(name),
      adminUser: props.adminUser ?? DEFAULT_ADMIN_USER,
      hostname: props.hostname,
      publicDns: this.elasticIp?.publicDns,
      publicIp: this.elasticIp?.publicIp,
      tls: {
        mode: tlsMode,
        acmeEmail: props.tls?.acmeEmail,
        acmeDirectory: props.tls?.acmeDirectory ?? LETS_ENCRYPT.production,
        acmeProfile: props.tls?.acmeProfile,
      },
      adminCidrs: Fn.join(" ", [...(props.adminCidrs ?? httpsCidrs)]),
      tlsCertificate: props.tlsCertificate,
      dataVolume: { volumeId: this.dataVolume.volume.id, deviceName: this.dataVolume.deviceName },
      backups:
        mode === "production" ? { bucket: this.bucket.bucket.bucket, prefix: BUCKET_PREFIXES.backups } : undefined,
      realm,
      bucket: this.bucket,
      associationName: `${name}-apply`,
    });

    // Before the instance: the CA resolves the name when the proxy first asks for a certificate.
    this.dnsName =
      props.dnsZone !== undefined && props.hostname !== undefined && this.elasticIp
        ? new DnsName(this, "dns", { zone: props.dnsZone, hostname: props.hostname, address: this.elasticIp.publicIp })
        : undefined;
    this.host = new Host(this, "host", {
      ami,
      ignoreAmiChanges: !props.followLatestAmi,
      ignoreUserDataChanges: true,
      instanceType,
      subnetId: props.subnetId,
      availabilityZone: subnet === undefined ? availabilityZone : undefined,
      // A subnet of one's own may not map public addresses on launch; the default VPC's subnets do.
      associatePublicIpAddress: props.subnetId === undefined ? undefined : true,
      keyName: props.keyName,
      securityGroupIds: [this.securityGroup.id],
      userData: this.bootstrap.userData,
      name: instanceName,
      encryptedRootVolumeSize: props.rootVolumeSize ?? DEFAULT_ROOT_VOLUME_SIZE,
      instanceRole: true,
      iamNamePrefix: `${name}-`,
      detailedMonitoring: true,
      elasticIpAllocationId: this.elasticIp?.allocationId,
      // The boot fetches its bundle, reads the secrets and downloads packages at once: all must be in place.
      dependsOn: [
        ...Object.values(this.secrets.parameters),
        ...this.network.egressRules,
        this.bootstrap.bundleObject,
        ...(this.dnsName ? [this.dnsName.record] : []),
      ],
      preconditions: [
        {
          // Parenthesized: a conditional binds looser than ==.
          condition: `\${${createdFor.outputValue("architecture")} == (${architecture})}`,
          errorMessage:
            "The instance type's architecture (x86_64, or arm64 for Graviton types) differs from the running instance's, whose image cannot boot on the other. Choose a type of the same architecture, or replace the instance and the terraform_data resource named architecture together, on purpose, with terraform apply -replace (back the data up first).",
        },
        ...(subnet === undefined ? [this.sameZoneCondition(instanceName, availabilityZone)] : []),
      ],
    });
    this.instance = this.host.instance;
    this.role = this.host.role!;
    this.secrets.grantRead(this.host);
    this.bucket.grantHostAccess(this.host, "bucket-access", {
      read: [BUCKET_PREFIXES.boot, BUCKET_PREFIXES.backups],
      write: [BUCKET_PREFIXES.backups, BUCKET_PREFIXES.commandOutput, BUCKET_PREFIXES.status],
    });
    this.bucket.grantCommandOutput(this.host, "command-output", BUCKET_PREFIXES.commandOutput);
    const attachment = this.dataVolume.attachTo(this.instance);
    this.bootstrap.applyTo(this.instance, [attachment]);
    if (props.tlsCertificate) this.grantCertificateRead(props.tlsCertificate);

    this.publicIp = this.elasticIp?.publicIp ?? this.instance.publicIp;
    this.publicDns = this.elasticIp?.publicDns ?? this.instance.publicDns;
    this.url = `https://${props.hostname ?? this.publicIp}`;
    this.adminConsoleUrl = `${this.url}/admin/master/console/`;
    this.realmIssuerUrl = `${this.url}/realms/${realm.name}`;
  }

  /**
   * Refuses at plan time a zone other than the one where an instance of this name already runs in the VPC. A
   * deployment made before the zone was fixed (EC2 picked it) keeps its data on the root volume; moving the instance
   * to the default zone would replace it and lose that data.
   */
  private sameZoneCondition(
    instanceName: string,
    availabilityZone: string,
  ): { condition: string; errorMessage: string } {
    const running = (id: string, zone?: string) =>
      new DataAwsInstances(this, id, {
        instanceTags: { Name: instanceName },
        instanceStateNames: ["pending", "running", "stopping", "stopped"],
        filter: [
          { name: "vpc-id", values: [this.network.vpcId] },
          ...(zone === undefined ? [] : [{ name: "availability-zone", values: [zone] }]),
        ],
      });
    const named = running("instances_named");
    const inZone = running("instances_named_in_zone", availabilityZone);
    return {
      condition: `\${length(${named.fqn}.ids) == length(${inZone.fqn}.ids)}`,
      errorMessage: `An instance named ${instanceName} (\${join(", ", ${named.fqn}.ids)}) runs in this VPC outside availability zone ${availabilityZone}, where its data volume and replacement would go; it would be replaced and data on its root volume lost. Set availabilityZone to that instance's zone (aws ec2 describe-instances --instance-ids <id> --query "Reservations[].Instances[].Placement.AvailabilityZone"), or see docs/operations.md, "Deployments made before the data volume".`,
    };
  }

  /** The user's subnet; its VPC must be `vpcId` when that is given. */
  private lookUpSubnet(subnetId: string, vpcId: string | undefined): DataAwsSubnet {
    return new DataAwsSubnet(this, "subnet", {
      id: subnetId,
      lifecycle:
        vpcId === undefined
          ? undefined
          : {
              postcondition: [
                {
                  condition: `\${self.vpc_id == "${vpcId}"}`,
                  errorMessage: `The subnet is not in the VPC given as vpcId${isKnown(vpcId) ? ` (${vpcId})` : ""}: give a subnet of that VPC.`,
                },
              ],
            },
    });
  }

  /**
   * Lets the instance read the user's certificate parameters. Looked up without decryption: the plan fails early if
   * they do not exist, and the private key never enters the Terraform state in clear.
   */
  private grantCertificateRead(tls: NonNullable<KeycloakServerProps["tlsCertificate"]>): void {
    const lookup = (id: string, parameterName: string) =>
      new DataAwsSsmParameter(this, id, { name: parameterName, withDecryption: false }).arn;
    this.host.grantParameterRead([
      lookup("tls_certificate", tls.certificateParameter),
      lookup("tls_private_key", tls.privateKeyParameter),
    ]);
  }
}
