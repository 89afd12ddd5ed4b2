import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnapshotPolicy, SnapshotPolicyProps } from "../../src/constructs/snapshot-policy";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

const PROPS: SnapshotPolicyProps = {
  targetTag: { key: "keycloak-ec2:snapshots", value: "kc" },
  description: "Daily snapshots of kc",
};
const only = (tf: Record<string, any>, block: "resource" | "data", type: string): Record<string, any> => {
  const items = Object.entries(tf[block][type]);
  expect(items).toHaveLength(1);
  return { id: items[0][0], ...(items[0][1] as object) };
};

/** The parsed JSON of a stack (fresh unless given) holding one SnapshotPolicy. */
function synthPolicy(props: Partial<SnapshotPolicyProps>, stack = newStack()): Record<string, any> {
  new SnapshotPolicy(stack, "snapshots", { ...PROPS, ...props });
  return JSON.parse(Testing.synth(stack));
}

/** The one schedule of the one DLM policy. */
const scheduleOf = (tf: Record<string, any>): Record<string, any> => {
  const { schedule } = only(tf, "resource", "aws_dlm_lifecycle_policy").policy_details;
  expect(schedule).toHaveLength(1);
  return schedule[0];
};

describe("SnapshotPolicy validation", () => {
  it.each([0, 7.5, 1001])("rejects keeping %p snapshots", (retainDays) => {
    // GIVEN / WHEN / THEN
    expect(() => new SnapshotPolicy(newStack(), "snapshots", { ...PROPS, retainDays })).toThrow(
      /SnapshotPolicy: 'retainDays' must be a whole number of days from 1 to 1000, got /,
    );
  });

  it("accepts the bounds of 1 and 1000 snapshots", () => {
    // GIVEN / WHEN / THEN
    expect(() => new SnapshotPolicy(newStack(), "snapshots", { ...PROPS, retainDays: 1 })).not.toThrow();
    expect(() => new SnapshotPolicy(newStack(), "snapshots", { ...PROPS, retainDays: 1000 })).not.toThrow();
  });

  it.each(["3:00", "24:00", "03:60", "03:00Z", "0300", ""])("rejects the time %p", (time) => {
    // GIVEN / WHEN / THEN
    expect(() => new SnapshotPolicy(newStack(), "snapshots", { ...PROPS, time })).toThrow(
      /SnapshotPolicy: 'time' must be a UTC time HH:MM, got "/,
    );
  });
});

describe("SnapshotPolicy schedule", () => {
  it("snapshots the volumes with the target tag, and nothing but volumes", () => {
    // GIVEN / WHEN
    const json = JSON.stringify(synthPolicy({}));
    // THEN
    expect(json).toHaveResourceWithProperties(DlmLifecyclePolicy, {
      description: "Daily snapshots of kc",
      state: "ENABLED",
      policy_details: expect.objectContaining({
        resource_types: ["VOLUME"],
        target_tags: { "keycloak-ec2:snapshots": "kc" },
      }),
    });
  });

  it("snapshots every 24 hours at 03:00 UTC, keeping 14 snapshots by default", () => {
    // GIVEN / WHEN
    const schedule = scheduleOf(synthPolicy({}));
    // THEN
    expect(schedule).toEqual({
      name: "daily",
      create_rule: { interval: 24, interval_unit: "HOURS", times: ["03:00"] },
      retain_rule: { count: 14 },
      copy_tags: true,
    });
  });

  it("starts at the time given and keeps the number of snapshots given", () => {
    // GIVEN / WHEN
    const schedule = scheduleOf(synthPolicy({ time: "23:59", retainDays: 30 }));
    // THEN
    expect(schedule.create_rule.times).toEqual(["23:59"]);
    expect(schedule.retain_rule).toEqual({ count: 30 });
  });

  it("accepts a retention given as a variable, unchecked, as a reference", () => {
    // GIVEN
    const stack = newStack();
    const retain = new TerraformVariable(stack, "snapshot_retention_days", { type: "number" });
    // WHEN
    const schedule = scheduleOf(synthPolicy({ retainDays: retain.numberValue }, stack));
    // THEN
    expect(schedule.retain_rule).toEqual({ count: "${var.snapshot_retention_days}" });
  });
});

describe("SnapshotPolicy role", () => {
  it("runs as a role that only Data Lifecycle Manager may assume", () => {
    // GIVEN / WHEN
    const tf = synthPolicy({});
    // THEN
    const role = only(tf, "resource", "aws_iam_role");
    const documentId = role.assume_role_policy.match(/^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/)[1];
    expect(tf.data.aws_iam_policy_document[documentId].statement).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["dlm.amazonaws.com"] }],
      },
    ]);
    expect(only(tf, "resource", "aws_dlm_lifecycle_policy").execution_role_arn).toBe(`\${aws_iam_role.${role.id}.arn}`);
  });

  it("names the role with the prefix keycloak-ec2- by default, or the one given", () => {
    // GIVEN / WHEN
    const json = JSON.stringify(synthPolicy({}));
    const named = JSON.stringify(synthPolicy({ iamNamePrefix: "kc-dlm-" }));
    // THEN
    expect(json).toHaveResourceWithProperties(IamRole, { name_prefix: "keycloak-ec2-" });
    expect(named).toHaveResourceWithProperties(IamRole, { name_prefix: "kc-dlm-" });
  });

  it("has the DLM service-role managed policy in the stack's partition, and only that", () => {
    // GIVEN / WHEN
    const tf = synthPolicy({});
    // THEN
    const role = only(tf, "resource", "aws_iam_role");
    expect(JSON.stringify(tf)).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      role: `\${aws_iam_role.${role.id}.name}`,
      policy_arn: expect.stringMatching(
        /^arn:\$\{data\.aws_partition\.[^.]+\.partition\}:iam::aws:policy\/service-role\/AWSDataLifecycleManagerServiceRole$/,
      ),
    });
    expect(Object.keys(tf.resource.aws_iam_role_policy_attachment)).toHaveLength(1);
    expect(tf.resource.aws_iam_role_policy).toBeUndefined();
  });

  it("creates the DLM policy only once its role has its permissions", () => {
    // GIVEN / WHEN
    const tf = synthPolicy({});
    // THEN
    expect(only(tf, "resource", "aws_dlm_lifecycle_policy").depends_on).toEqual([
      `aws_iam_role_policy_attachment.${only(tf, "resource", "aws_iam_role_policy_attachment").id}`,
    ]);
  });
});
