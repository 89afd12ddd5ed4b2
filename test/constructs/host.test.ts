import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Host, HostProps } from "../../src/constructs/host";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

const PROPS: HostProps = {
  ami: "ami-0123456789abcdef0",
  instanceType: "t3.small",
  securityGroupIds: ["sg-0123"],
  userData: "#!/bin/bash\n",
  name: "keycloak",
};
const ARNS = [
  "arn:aws:ssm:eu-west-3:123456789012:parameter/app/a",
  "arn:aws:ssm:eu-west-3:123456789012:parameter/app/b",
];
const only = (tf: Record<string, any>, block: "resource" | "data", type: string): Record<string, any> => {
  const items = Object.entries(tf[block][type]);
  expect(items).toHaveLength(1);
  return { id: items[0][0], ...(items[0][1] as object) };
};

describe("Host validation", () => {
  it.each([
    ["neither", { userData: undefined }],
    ["both", { userDataBase64: "IyEvYmluL2Jhc2gK" }],
  ])("rejects %s of userData and userDataBase64", (_, change) => {
    // GIVEN / WHEN / THEN
    expect(() => new Host(newStack(), "host", { ...PROPS, ...change })).toThrow(
      /Host: 'userData' and 'userDataBase64': give exactly one/,
    );
  });

  it.each([4, 20.5, 16385])("rejects a root volume of %p GiB", (size) => {
    // GIVEN / WHEN / THEN
    expect(() => new Host(newStack(), "host", { ...PROPS, encryptedRootVolumeSize: size })).toThrow(
      /Host: 'encryptedRootVolumeSize' must be a whole number/,
    );
  });

  it("refuses grantParameterRead without an instance role", () => {
    // GIVEN
    const host = new Host(newStack(), "host", PROPS);
    // WHEN / THEN
    expect(() => host.grantParameterRead(ARNS)).toThrow(/Host: 'instanceRole' must be set for grantParameterRead/);
  });

  it.each(["x".repeat(39), "my prefix-"])("rejects the IAM name prefix %p", (iamNamePrefix) => {
    // GIVEN / WHEN / THEN
    expect(() => new Host(newStack(), "host", { ...PROPS, instanceRole: true, iamNamePrefix })).toThrow(
      /Host: 'iamNamePrefix' must be 1-38 letters/,
    );
  });
});

describe("Host instance", () => {
  it("requires IMDSv2 session tokens by default", () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new Host(stack, "host", PROPS);
    // THEN
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Instance, {
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
    });
  });

  it("encrypts a gp3 root volume of the size given by a variable", () => {
    // GIVEN
    const stack = newStack();
    const size = new TerraformVariable(stack, "root_volume_size", { type: "number" });
    // WHEN
    new Host(stack, "host", { ...PROPS, encryptedRootVolumeSize: size.numberValue });
    // THEN
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Instance, {
      root_block_device: {
        volume_type: "gp3",
        volume_size: "${var.root_volume_size}",
        encrypted: true,
        delete_on_termination: true,
      },
    });
  });

  it("makes no role and no instance profile unless asked", () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new Host(stack, "host", PROPS);
    // THEN
    const json = Testing.synth(stack);
    expect(json).not.toHaveResource(IamRole);
    expect(only(JSON.parse(json), "resource", "aws_instance")).not.toHaveProperty("iam_instance_profile");
  });
});

describe("Host instance role", () => {
  /** A host with a role that was granted two parameters, one grant at a time; the parsed JSON. */
  function synthGranted(): Record<string, any> {
    const stack = newStack();
    const host = new Host(stack, "host", { ...PROPS, instanceRole: true });
    host.grantParameterRead([ARNS[0]]);
    host.grantParameterRead([ARNS[1]]);
    return JSON.parse(Testing.synth(stack));
  }

  it("is assumed by EC2 through a policy document data source, not a JSON string", () => {
    // GIVEN / WHEN
    const tf = synthGranted();
    // THEN
    const role = only(tf, "resource", "aws_iam_role");
    const document =
      tf.data.aws_iam_policy_document[
        role.assume_role_policy.match(/^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/)[1]
      ];
    expect(document.statement).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
      },
    ]);
  });

  it("has the Session Manager managed policy in the stack's partition", () => {
    // GIVEN / WHEN
    const json = JSON.stringify(synthGranted());
    // THEN
    expect(json).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: expect.stringMatching(
        /^arn:\$\{data\.aws_partition\.[^.]+\.partition\}:iam::aws:policy\/AmazonSSMManagedInstanceCore$/,
      ),
    });
  });

  it("allows reading the granted parameters and denies every other", () => {
    // GIVEN / WHEN
    const json = JSON.stringify(synthGranted());
    // THEN
    expect(json).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [
        expect.objectContaining({
          effect: "Allow",
          actions: ["ssm:GetParameter", "ssm:GetParameters"],
          resources: ARNS,
        }),
        expect.objectContaining({
          effect: "Deny",
          actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
          not_resources: ARNS,
        }),
      ],
    });
  });

  it("boots the instance only after the read policy and the managed-policy attachment exist", () => {
    // GIVEN / WHEN
    const tf = synthGranted();
    // THEN (plain references: Terraform refuses a "${...}" template in depends_on)
    expect(only(tf, "resource", "aws_instance").depends_on).toEqual(
      expect.arrayContaining([
        `aws_iam_role_policy.${only(tf, "resource", "aws_iam_role_policy").id}`,
        `aws_iam_role_policy_attachment.${only(tf, "resource", "aws_iam_role_policy_attachment").id}`,
      ]),
    );
  });
});
