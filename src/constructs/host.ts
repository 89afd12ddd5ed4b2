import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { EipAssociation } from "@cdktf/provider-aws/lib/eip-association";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { UserError } from "../errors";

export interface HostProps {
  /** AMI id (or a reference to one, e.g. an SSM parameter's value). */
  readonly ami: string;
  /** Keep the instance when `ami` changes (a newer image is published) instead of replacing it. @default false */
  readonly ignoreAmiChanges?: boolean;
  /** Leave the instance alone when its user data changes. Cloud-init runs user data once per instance, so an
   * update in place would only stop and start the instance and apply nothing. @default false */
  readonly ignoreUserDataChanges?: boolean;
  /** EC2 instance type. */
  readonly instanceType: string;
  /** EC2 key pair for SSH. @default - none: no SSH login is possible */
  readonly keyName?: string;
  /** Security groups of the instance. */
  readonly securityGroupIds: readonly string[];
  /** Boot script or cloud-config, as text. Give this or `userDataBase64`. @default - none */
  readonly userData?: string;
  /** Boot payload already base64-encoded (e.g. gzip'd multipart cloud-init). @default - none */
  readonly userDataBase64?: string;
  /** `Name` tag. */
  readonly name: string;
  /** Require IMDSv2 session tokens, so a request forged through the instance cannot read its credentials.
   * @default true */
  readonly requireImdsv2?: boolean;
  /** Encrypted gp3 root volume of this size in GiB. @default - the AMI's root volume as it is (unencrypted
   * unless the account encrypts EBS by default) */
  readonly encryptedRootVolumeSize?: number;
  /** An instance role with `AmazonSSMManagedInstanceCore`, for Session Manager instead of SSH. @default false */
  readonly sessionManager?: boolean;
  /** AWS partition of the managed policy's ARN (`aws`, `aws-cn`, `aws-us-gov`; may be a reference).
   * @default "aws" */
  readonly partition?: string;
  /** One-minute CloudWatch metrics (about 2.10 USD a month for an instance). EBS optimisation is left to the
   * instance type: current types have it by default, and asking for it fails on t2. @default false */
  readonly detailedMonitoring?: boolean;
  /** Associate this Elastic IP allocation with the instance. @default - none: the address changes on stop/start */
  readonly elasticIpAllocationId?: string;
  /** SSM parameters (ARNs or ARN patterns) the instance role may read and decrypt. Every other parameter is
   * denied explicitly: AmazonSSMManagedInstanceCore alone allows ssm:GetParameter on all of them. Needs
   * `sessionManager`. @default - none */
  readonly readableParameterArns?: readonly string[];
  /** What must exist before the instance boots (e.g. the parameters its boot reads). @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The EC2 instance, with its role and address. */
export class Host extends Construct {
  public readonly instance: Instance;
  /** The instance role, when `sessionManager` is set. */
  public readonly role?: IamRole;

  constructor(scope: Construct, id: string, props: HostProps) {
    super(scope, id);
    if ((props.userData === undefined) === (props.userDataBase64 === undefined)) {
      throw new UserError("Host: give exactly one of 'userData' and 'userDataBase64'");
    }
    if (props.readableParameterArns?.length && !props.sessionManager) {
      throw new UserError("Host: 'readableParameterArns' needs 'sessionManager' (the instance role)");
    }
    if (props.encryptedRootVolumeSize !== undefined && !(props.encryptedRootVolumeSize >= 8)) {
      throw new UserError(`Host: 'encryptedRootVolumeSize' must be at least 8 GiB, got ${props.encryptedRootVolumeSize}`);
    }

    let instanceProfile: IamInstanceProfile | undefined;
    let readPolicy: IamRolePolicy | undefined;
    if (props.sessionManager) {
      // IAM names allow only [\w+=,.@-]; the Name tag allows anything.
      const namePrefix = `${props.name.replace(/[^\w+=,.@-]/g, "-").slice(0, 30)}-`;
      this.role = new IamRole(this, "role", {
        namePrefix,
        description: `Instance role of ${props.name}: Session Manager and its own SSM parameters`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      });
      new IamRolePolicyAttachment(this, "session_manager", {
        role: this.role.name,
        policyArn: `arn:${props.partition ?? "aws"}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
      });
      if (props.readableParameterArns?.length) {
        readPolicy = new IamRolePolicy(this, "read_parameters", {
          role: this.role.name,
          name: "read-own-parameters",
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "ReadOwnParameters", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: props.readableParameterArns },
              { Sid: "DenyOtherParameters", Effect: "Deny", Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], NotResource: props.readableParameterArns },
            ],
          }),
        });
      }
      instanceProfile = new IamInstanceProfile(this, "instance_profile", { namePrefix, role: this.role.name });
    }

    const ignoreChanges = [
      ...(props.ignoreAmiChanges ? ["ami"] : []),
      ...(props.ignoreUserDataChanges ? [props.userData === undefined ? "user_data_base64" : "user_data"] : []),
    ];
    this.instance = new Instance(this, "instance", {
      ami: props.ami,
      instanceType: props.instanceType,
      keyName: props.keyName,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      userData: props.userData,
      userDataBase64: props.userDataBase64,
      iamInstanceProfile: instanceProfile?.name,
      metadataOptions: props.requireImdsv2 === false ? undefined : { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: props.encryptedRootVolumeSize === undefined ? undefined : {
        volumeType: "gp3",
        volumeSize: props.encryptedRootVolumeSize,
        encrypted: true,
        deleteOnTermination: true,
      },
      monitoring: props.detailedMonitoring || undefined,
      lifecycle: ignoreChanges.length ? { ignoreChanges } : undefined,
      tags: { Name: props.name },
      dependsOn: props.dependsOn?.length || readPolicy ? [...(props.dependsOn ?? []), ...(readPolicy ? [readPolicy] : [])] : undefined,
    });

    if (props.elasticIpAllocationId) {
      new EipAssociation(this, "address", { allocationId: props.elasticIpAllocationId, instanceId: this.instance.id });
    }
  }
}
