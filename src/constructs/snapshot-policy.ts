import { Construct } from "constructs";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DlmLifecyclePolicy } from "@cdktf/provider-aws/lib/dlm-lifecycle-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { isKnown, propError } from "./validation";

export interface SnapshotPolicyProps {
  /** Volumes carrying this tag (key and value) are snapshotted. */
  readonly targetTag: { readonly key: string; readonly value: string };
  /** How many daily snapshots are kept (may be a reference). @default 14 */
  readonly retainDays?: number;
  /** Time of day (UTC, `HH:MM`) the snapshot starts; AWS starts it within the hour. @default "03:00" */
  readonly time?: string;
  /** Prefix of the role's name (IAM adds a unique suffix). @default "keycloak-ec2-" */
  readonly iamNamePrefix?: string;
  /** What the policy is for, shown by the DLM console. */
  readonly description: string;
}

/**
 * Daily EBS snapshots of the tagged volumes by Data Lifecycle Manager, kept for a number of days: the restore of
 * last resort, a whole volume as it was (docs/operations.md). Snapshots are crash-consistent, which PostgreSQL
 * recovers from as after a power cut.
 */
export class SnapshotPolicy extends Construct {
  public readonly policy: DlmLifecyclePolicy;
  public readonly role: IamRole;

  constructor(scope: Construct, id: string, props: SnapshotPolicyProps) {
    super(scope, id);
    const retain = props.retainDays ?? 14;
    if (isKnown(retain) && !(Number.isInteger(retain) && retain >= 1 && retain <= 1000)) {
      throw propError("SnapshotPolicy", "retainDays", `must be a whole number of days from 1 to 1000, got ${retain}`);
    }
    const time = props.time ?? "03:00";
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) {
      throw propError("SnapshotPolicy", "time", `must be a UTC time HH:MM, got "${time}"`);
    }
    const assumeRole = new DataAwsIamPolicyDocument(this, "assume_role_policy", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["dlm.amazonaws.com"] }],
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      namePrefix: props.iamNamePrefix ?? "keycloak-ec2-",
      description: "Data Lifecycle Manager: daily snapshots of a keycloak-ec2 data volume",
      assumeRolePolicy: assumeRole.json,
    });
    const partition = new DataAwsPartition(this, "partition").partition;
    const permissions = new IamRolePolicyAttachment(this, "snapshots", {
      role: this.role.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole`,
    });
    this.policy = new DlmLifecyclePolicy(this, "policy", {
      description: props.description,
      executionRoleArn: this.role.arn,
      state: "ENABLED",
      policyDetails: {
        resourceTypes: ["VOLUME"],
        targetTags: { [props.targetTag.key]: props.targetTag.value },
        schedule: [
          {
            name: "daily",
            createRule: { interval: 24, intervalUnit: "HOURS", times: [time] },
            retainRule: { count: retain },
            copyTags: true,
          },
        ],
      },
      dependsOn: [permissions],
    });
  }
}
