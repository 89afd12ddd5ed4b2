import { Construct } from "constructs";
import { dependable, ITerraformDependable, Precondition } from "cdktf";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EipAssociation } from "@cdktf/provider-aws/lib/eip-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { InstanceRole } from "./instance-role";
import { isKnown, propError } from "./validation";

/** Something that may be allowed to read SSM parameters: `secrets.grantRead(host)`. */
export interface IParameterReader {
  /** Allows reading (and decrypting, under the default `aws/ssm` key) these parameters, given by ARN. */
  grantParameterRead(parameterArns: readonly string[]): void;
}

/** Something whose IAM role takes inline policies, in place before its instances boot (Host, ClusterHosts). */
export interface IRolePolicyHolder {
  /** Adds an inline policy named `name` (unique per holder) with these statements to the role. */
  addRolePolicy(name: string, statements: readonly DataAwsIamPolicyDocumentStatement[]): void;
}

export interface HostProps {
  /** AMI id (or a reference to one, e.g. an SSM parameter's value). */
  readonly ami: string;
  /** Keep the instance when `ami` changes (a newer image is published) instead of replacing it. @default false */
  readonly ignoreAmiChanges?: boolean;
  /** Leave the instance alone when its user data changes. Cloud-init runs user data once per instance, so an
   * update in place would only stop and start the instance and apply nothing. @default false */
  readonly ignoreUserDataChanges?: boolean;
  /** EC2 instance type (may be a reference). */
  readonly instanceType: string;
  /** EC2 key pair for SSH. @default - none: no SSH login is possible */
  readonly keyName?: string;
  /** Subnet to launch in (may be a reference). @default - the default subnet of the default VPC, in an
   * availability zone EC2 picks */
  readonly subnetId?: string;
  /** Give the instance a public IPv4 address at launch. @default - the subnet's setting */
  readonly associatePublicIpAddress?: boolean;
  /** Availability zone to launch in (may be a reference). Give it, or a subnet, when something zonal (an EBS
   * volume) must meet the instance. @default - the subnet's, or one EC2 picks */
  readonly availabilityZone?: string;
  /** Security groups of the instance. */
  readonly securityGroupIds: readonly string[];
  /** Boot script or cloud-config, as text. Give this or `userDataBase64`. @default - none */
  readonly userData?: string;
  /** Boot payload already base64-encoded (e.g. gzip'd cloud-config). @default - none */
  readonly userDataBase64?: string;
  /** `Name` tag (may be a reference). */
  readonly name: string;
  /** Require IMDSv2 session tokens, so a request forged through the instance cannot read its credentials.
   * @default true */
  readonly requireImdsv2?: boolean;
  /** Encrypted gp3 root volume of this size in GiB (may be a reference). @default - the AMI's root volume as it is
   * (unencrypted unless the account encrypts EBS by default) */
  readonly encryptedRootVolumeSize?: number;
  /**
   * An instance role with `AmazonSSMManagedInstanceCore`, for Session Manager instead of SSH; `grantParameterRead`
   * then allows reading given SSM parameters, and explicitly denies every other (the managed policy alone allows
   * `ssm:GetParameter` on all of them). @default false
   */
  readonly instanceRole?: boolean;
  /** Prefix of the role's and instance profile's names (IAM adds a unique suffix): at most 38 characters of
   * letters, digits and `+=,.@_-`. @default "keycloak-ec2-" */
  readonly iamNamePrefix?: string;
  /** One-minute CloudWatch metrics (about 2.10 USD a month for an instance). EBS optimisation is left to the
   * instance type: current types have it by default, and asking for it fails on t2. @default false */
  readonly detailedMonitoring?: boolean;
  /** Associate this Elastic IP allocation with the instance. @default - none: the address changes on stop/start */
  readonly elasticIpAllocationId?: string;
  /** What must exist before the instance boots (e.g. the parameters its boot reads, its egress rules).
   * @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Conditions checked at plan time before the instance is created or changed, each with its error message.
   * @default - none */
  readonly preconditions?: readonly Precondition[];
}

/** The EC2 instance, with its role and address. */
export class Host extends Construct implements IParameterReader, IRolePolicyHolder {
  public readonly instance: Instance;
  /** The instance role, when `instanceRole` is set. */
  public readonly role?: IamRole;
  private readonly instanceRole?: InstanceRole;

  constructor(scope: Construct, id: string, props: HostProps) {
    super(scope, id);
    if ((props.userData === undefined) === (props.userDataBase64 === undefined)) {
      throw propError("Host", "userData", "and 'userDataBase64': give exactly one of them");
    }
    const size = props.encryptedRootVolumeSize;
    if (size !== undefined && isKnown(size) && !(Number.isInteger(size) && size >= 8 && size <= 16384)) {
      throw propError("Host", "encryptedRootVolumeSize", `must be a whole number of GiB from 8 to 16384, got ${size}`);
    }

    const namePrefix = props.iamNamePrefix ?? "keycloak-ec2-";
    if (isKnown(namePrefix) && !/^[\w+=,.@-]{1,38}$/.test(namePrefix)) {
      throw propError("Host", "iamNamePrefix", `must be 1-38 letters, digits and +=,.@_-, got "${namePrefix}"`);
    }
    // Instance and policies depend on each other only through onPolicy: the instance is made below.
    const instanceRole = props.instanceRole
      ? new InstanceRole(
          this,
          "Host",
          {
            namePrefix,
            description: "Instance role of a keycloak-ec2 host: Session Manager and its own SSM parameters",
          },
          (policy) => (this.instance.dependsOn = [...(this.instance.dependsOn ?? []), dependable(policy)]),
        )
      : undefined;
    this.instanceRole = instanceRole;
    this.role = instanceRole?.role;
    const roleReady: ITerraformDependable[] = instanceRole ? [instanceRole.sessionManager] : [];

    const ignoreChanges = [
      ...(props.ignoreAmiChanges ? ["ami"] : []),
      ...(props.ignoreUserDataChanges ? [props.userData === undefined ? "user_data_base64" : "user_data"] : []),
    ];
    const dependsOn = [...(props.dependsOn ?? []), ...roleReady];
    this.instance = new Instance(this, "instance", {
      ami: props.ami,
      instanceType: props.instanceType,
      keyName: props.keyName,
      subnetId: props.subnetId,
      associatePublicIpAddress: props.associatePublicIpAddress,
      availabilityZone: props.availabilityZone,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      userData: props.userData,
      userDataBase64: props.userDataBase64,
      iamInstanceProfile: instanceRole?.instanceProfile.name,
      metadataOptions:
        props.requireImdsv2 === false
          ? undefined
          : { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice:
        size === undefined
          ? undefined
          : { volumeType: "gp3", volumeSize: size, encrypted: true, deleteOnTermination: true },
      monitoring: props.detailedMonitoring || undefined,
      lifecycle:
        ignoreChanges.length || props.preconditions?.length
          ? {
              ignoreChanges: ignoreChanges.length ? ignoreChanges : undefined,
              precondition: props.preconditions ? [...props.preconditions] : undefined,
            }
          : undefined,
      tags: { Name: props.name },
      dependsOn: dependsOn.length ? dependsOn : undefined,
    });

    if (props.elasticIpAllocationId) {
      new EipAssociation(this, "address", { allocationId: props.elasticIpAllocationId, instanceId: this.instance.id });
    }
  }

  grantParameterRead(parameterArns: readonly string[]): void {
    if (!this.instanceRole)
      throw propError(
        "Host",
        "instanceRole",
        "must be set for grantParameterRead: only an instance role can read parameters",
      );
    this.instanceRole.grantParameterRead(parameterArns);
  }

  /**
   * Adds an inline policy to the instance role (e.g. the S3 prefixes the host may write), in place before the
   * instance boots. `name` is the policy's name, unique per host.
   */
  addRolePolicy(name: string, statements: readonly DataAwsIamPolicyDocumentStatement[]): void {
    if (!this.instanceRole)
      throw propError("Host", "instanceRole", "must be set for addRolePolicy: only an instance role has policies");
    this.instanceRole.addRolePolicy(name, statements);
  }
}
