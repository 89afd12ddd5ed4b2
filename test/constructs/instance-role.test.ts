import "../cdktf-matchers";
import { TerraformStack, Testing } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { InstanceRole } from "../../src/constructs/instance-role";

// The instance role Host and ClusterHosts share. Their own tests check the wiring: the names their resources keep,
// and that what launches the instances waits for every policy.

const ARNS = ["arn:aws:ssm:eu-west-3:123456789012:parameter/kc/a", "arn:aws:ssm:eu-west-3:123456789012:parameter/kc/b"];

/** A role in a fresh stack; the policies handed to onPolicy. */
function build() {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  const policies: IamRolePolicy[] = [];
  const role = new InstanceRole(stack, "Owner", { namePrefix: "kc-", description: "a test role" }, (policy) =>
    policies.push(policy),
  );
  return { stack, role, policies };
}

const documentOf = (tf: Record<string, any>, reference: string) =>
  tf.data.aws_iam_policy_document[/data\.aws_iam_policy_document\.([^.]+)\.json/.exec(reference)![1]];

describe("InstanceRole", () => {
  it("is assumed by EC2, with the Session Manager managed policy of the stack's partition, and an instance profile", () => {
    const { stack } = build();
    const tf = JSON.parse(Testing.synth(stack));
    const [iamRole] = Object.values(tf.resource.aws_iam_role as Record<string, any>);
    expect(iamRole).toMatchObject({ name_prefix: "kc-", description: "a test role" });
    expect(documentOf(tf, iamRole.assume_role_policy).statement).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
      },
    ]);
    expect(JSON.stringify(tf)).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: expect.stringMatching(
        /^arn:\$\{data\.aws_partition\.[^}]+\}:iam::aws:policy\/AmazonSSMManagedInstanceCore$/,
      ),
    });
    expect(Object.values(tf.resource.aws_iam_instance_profile as Record<string, any>)).toHaveLength(1);
  });

  it("allows reading the parameters granted one at a time, in one policy, and denies every other", () => {
    const { stack, role, policies } = build();
    role.grantParameterRead([ARNS[0]]);
    role.grantParameterRead([ARNS[1]]);
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(JSON.parse(Testing.synth(stack)))).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [
        expect.objectContaining({
          sid: "ReadOwnParameters",
          effect: "Allow",
          actions: ["ssm:GetParameter", "ssm:GetParameters"],
          resources: ARNS,
        }),
        expect.objectContaining({
          sid: "DenyOtherParameters",
          effect: "Deny",
          actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
          not_resources: ARNS,
        }),
      ],
    });
  });

  it("adds inline policies under their names, each handed to the owner, and refuses a name twice", () => {
    const { role, policies } = build();
    role.addRolePolicy("bucket-access", [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/boot/*"] }]);
    expect(policies.map((p) => p.friendlyUniqueId)).toEqual(["bucket_access"]);
    expect(() => role.addRolePolicy("bucket-access", [])).toThrow(
      `Owner: 'addRolePolicy' was called twice for "bucket-access"`,
    );
  });
});
