import { Construct } from "constructs";
import { Fn, Lazy } from "cdktf";
import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsEc2InstanceType } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { propError } from "./validation";

/**
 * The instance role that a single host (Host) and the cluster's hosts (ClusterHosts) share: assumed by EC2, with
 * `AmazonSSMManagedInstanceCore` (Session Manager instead of SSH), its instance profile, and the inline policies its
 * owner grants. Not a construct of its own: its resources are made in the owner's scope, under the names they have
 * always had there (`host_role`, `host_read_parameters`), so that no deployed role is replaced.
 */
export class InstanceRole {
  public readonly role: IamRole;
  public readonly instanceProfile: IamInstanceProfile;
  /** The Session Manager policy's attachment: the instances need it from their first boot. */
  public readonly sessionManager: IamRolePolicyAttachment;
  /** The AWS partition (`aws`, `aws-cn`, `aws-us-gov`), for ARNs. */
  public readonly partition: string;
  private readonly readableParameterArns: string[] = [];
  private readonly policyNames = new Set<string>();

  /**
   * `owner`: the construct named in errors; `onPolicy`: called with each inline policy, which what launches the
   * instances must depend on (an instance, an Auto Scaling group).
   */
  constructor(
    private readonly scope: Construct,
    private readonly owner: string,
    props: { readonly namePrefix: string; readonly description: string },
    private readonly onPolicy: (policy: IamRolePolicy) => void,
  ) {
    const assumeRole = new DataAwsIamPolicyDocument(scope, "assume_role_policy", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
        },
      ],
    });
    this.role = new IamRole(scope, "role", {
      namePrefix: props.namePrefix,
      description: props.description,
      assumeRolePolicy: assumeRole.json,
    });
    const partition = new DataAwsPartition(scope, "partition").partition;
    this.partition = partition;
    this.sessionManager = new IamRolePolicyAttachment(scope, "session_manager", {
      role: this.role.name,
      policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    this.instanceProfile = new IamInstanceProfile(scope, "instance_profile", {
      namePrefix: props.namePrefix,
      role: this.role.name,
    });
  }

  /**
   * Allows reading (and decrypting, under the default `aws/ssm` key) these parameters, and denies every other: the
   * managed policy alone allows `ssm:GetParameter` on all of them. Grants may come one by one (one policy, filled
   * lazily).
   */
  grantParameterRead(parameterArns: readonly string[]): void {
    if (this.readableParameterArns.length === 0) {
      const arns = Lazy.listValue({ produce: () => this.readableParameterArns });
      this.policy("read_parameters", "read-own-parameters", [
        {
          sid: "ReadOwnParameters",
          effect: "Allow",
          actions: ["ssm:GetParameter", "ssm:GetParameters"],
          resources: arns,
        },
        {
          sid: "DenyOtherParameters",
          effect: "Deny",
          actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
          notResources: arns,
        },
      ]);
    }
    this.readableParameterArns.push(...parameterArns);
  }

  /** Adds an inline policy named `name` (unique per role) to the role. */
  addRolePolicy(name: string, statements: readonly DataAwsIamPolicyDocumentStatement[]): void {
    this.policy(name.replace(/-/g, "_"), name, statements);
  }

  private policy(id: string, name: string, statements: readonly DataAwsIamPolicyDocumentStatement[]): void {
    if (this.policyNames.has(name)) throw propError(this.owner, "addRolePolicy", `was called twice for "${name}"`);
    this.policyNames.add(name);
    const document = new DataAwsIamPolicyDocument(this.scope, `${id}_policy`, { statement: [...statements] });
    this.onPolicy(new IamRolePolicy(this.scope, id, { role: this.role.name, name, policy: document.json }));
  }
}

/**
 * The current Amazon Linux 2023 AMI for an instance type's architecture (x86_64, or arm64 for Graviton types), from
 * AWS's public SSM parameter, looked up at plan time so that the type may be a reference. Made in `scope`, under the
 * names `instance_type` and `al2023_ami`.
 */
export function amazonLinux2023(scope: Construct, instanceType: string): { architecture: string; ami: string } {
  const architectures = new DataAwsEc2InstanceType(scope, "instance_type", { instanceType }).supportedArchitectures;
  const architecture = Fn.conditional(Fn.contains(architectures, "arm64"), "arm64", "x86_64");
  const parameter = new DataAwsSsmParameter(scope, "al2023_ami", {
    name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`,
  });
  return { architecture, ami: parameter.insecureValue };
}
