import { Construct } from "constructs";
import { dependable, Fn, ITerraformDependable, TerraformLocal } from "cdktf";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IParameterReader, IRolePolicyHolder } from "./host";
import { amazonLinux2023, InstanceRole } from "./instance-role";
import { TerraformData } from "./terraform-data";
import { isKnown, propError } from "./validation";
import { DEFAULT_CLUSTER_INSTANCE_TYPE, DEFAULT_CLUSTER_SIZE, DEFAULT_ROOT_VOLUME_SIZE } from "../defaults";

/** What the hosts need of the cluster's network (a ClusterNetwork has it). */
export interface ClusterHostsNetwork {
  /** Subnets to launch in, across availability zones (may be a reference). */
  readonly subnetIds: readonly string[];
  /** The instances' security group: Keycloak's ports from the load balancer, the cluster ports from each other. */
  readonly instanceSecurityGroup: SecurityGroup;
}

export interface ClusterHostsProps {
  /** Names the Auto Scaling group, the launch template and the scaling policy, and prefixes the IAM role and instance
   * profile: 3-37 letters, digits and hyphens, starting with a letter. */
  readonly namePrefix: string;
  /** The subnets and the instances' security group. */
  readonly network: ClusterHostsNetwork;
  /** The load balancer's target group the instances register in (through the group). */
  readonly targetGroup: LbTargetGroup;
  /** EC2 instance type (may be a reference); Amazon Linux 2023 is picked for its architecture. @default "t3.medium" */
  readonly instanceType?: string;
  /** Boot script, as text (a fixed script that fetches the bundle). It carries the bundle's hash: a change makes a new
   * launch template version, which the instance refresh rolls out. Never a secret: anyone who can describe the launch
   * template reads it. */
  readonly userData: string;
  /** Fewest instances (may be a reference). @default 2 */
  readonly minSize?: number;
  /** Instances at creation; then the scaling policy sets it (a later change here is ignored). @default 2 */
  readonly desiredCapacity?: number;
  /** Most instances (may be a reference). @default 4 */
  readonly maxSize?: number;
  /** Target average CPU utilisation of the group, percent, above 0 and at most 100 (may be a reference).
   * @default 60 */
  readonly cpuTarget?: number;
  /** Seconds after an instance is put in service before failed load balancer health checks make it be replaced. Its
   * boot is done by then (the launch lifecycle hook holds it until): the margin is for the load balancer's first
   * checks (may be a reference). @default 600 */
  readonly healthCheckGracePeriod?: number;
  /** Encrypted gp3 root volume in GiB, 8 to 16384 (may be a reference). @default 20 */
  readonly rootVolumeSize?: number;
  /** One-minute CloudWatch metrics, which the CPU target tracking reacts to faster (about 2.10 USD a month per
   * instance). @default true */
  readonly detailedMonitoring?: boolean;
  /** Follow the latest Amazon Linux 2023 AMI: a newer image makes a new launch template version, rolled out by the
   * instance refresh with no downtime. False keeps the image found at creation (its architecture must then stay).
   * @default true */
  readonly followLatestAmi?: boolean;
  /** What must exist before instances boot (e.g. the parameters and bundle the boot reads, the database).
   * @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The root device of Amazon Linux 2023 AMIs. */
const AL2023_ROOT_DEVICE = "/dev/xvda";
/** Seconds a new instance takes to be ready and report metrics; used by the refresh and by the scaling policy. */
const INSTANCE_WARMUP_SECONDS = 300;
/** Seconds a new instance may take to complete its launch lifecycle hook before the group abandons it: above the
 * boot's own bounds (packages and the image's download and build, Keycloak ready within 600 s, another node's realm
 * apply awaited up to 900 s past its claim's settling), AWS's default of an hour. */
const LAUNCH_HOOK_TIMEOUT_SECONDS = 3600;

/** The launch lifecycle hook of a group made with `namePrefix`: the group's name and the hook's, which the boot needs
 * to complete it (`aws autoscaling complete-lifecycle-action`). */
export function launchHookOf(namePrefix: string): { readonly groupName: string; readonly hookName: string } {
  return { groupName: namePrefix, hookName: "keycloak-boot" };
}

/**
 * Keycloak's instances: a hardened launch template (Amazon Linux 2023 of the type's architecture, IMDSv2 only,
 * encrypted gp3 root, an instance role with Session Manager, no SSH unless a key is given) and an Auto Scaling group
 * across the network's subnets, registered in the load balancer's target group, replaced when the load balancer's
 * health check fails, rolled launch-before-terminate by an instance refresh when the launch template changes, and
 * scaled by CPU target tracking.
 */
export class ClusterHosts extends Construct implements IParameterReader, IRolePolicyHolder {
  /** The instance role: AmazonSSMManagedInstanceCore, and what `grantParameterRead` and `addRolePolicy` add. */
  public readonly role: IamRole;
  public readonly instanceProfile: IamInstanceProfile;
  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;
  public readonly scalingPolicy: AutoscalingPolicy;
  private readonly instanceRole: InstanceRole;

  constructor(scope: Construct, id: string, props: ClusterHostsProps) {
    super(scope, id);
    const minSize = props.minSize ?? DEFAULT_CLUSTER_SIZE.minSize;
    const desiredCapacity = props.desiredCapacity ?? DEFAULT_CLUSTER_SIZE.desiredCapacity;
    const maxSize = props.maxSize ?? DEFAULT_CLUSTER_SIZE.maxSize;
    const cpuTarget = props.cpuTarget ?? DEFAULT_CLUSTER_SIZE.cpuTarget;
    const rootVolumeSize = props.rootVolumeSize ?? DEFAULT_ROOT_VOLUME_SIZE;
    const gracePeriod = props.healthCheckGracePeriod ?? 600;
    validate(props.namePrefix, { minSize, desiredCapacity, maxSize }, cpuTarget, rootVolumeSize, gracePeriod);
    const name = props.namePrefix;
    const instanceType = props.instanceType ?? DEFAULT_CLUSTER_INSTANCE_TYPE;

    this.instanceRole = new InstanceRole(
      this,
      "ClusterHosts",
      {
        namePrefix: `${name}-`,
        description: "Instance role of the keycloak-ec2 cluster's hosts: Session Manager and what they were granted",
      },
      (policy) => (this.autoScalingGroup.dependsOn = [...(this.autoScalingGroup.dependsOn ?? []), dependable(policy)]),
    );
    this.role = this.instanceRole.role;
    this.instanceProfile = this.instanceRole.instanceProfile;
    const sessionManager = this.instanceRole.sessionManager;

    const { architecture, ami: latestAmi } = amazonLinux2023(this, instanceType);
    // Not following: the image found at creation, kept in the state (a change of architecture is refused at plan).
    const pinned =
      props.followLatestAmi === false
        ? new TerraformData(this, "ami", {
            input: { ami: latestAmi, architecture },
            lifecycle: { ignoreChanges: ["input"] },
          })
        : undefined;

    this.launchTemplate = new LaunchTemplate(this, "launch_template", {
      name,
      description: "Keycloak cluster instances",
      imageId: pinned ? pinned.outputValue("ami") : latestAmi,
      instanceType,
      // Through a local: the script is readable in the plan and the HCL, and a function argument may not hold
      // literal double quotes (cdktf refuses them).
      userData: Fn.base64encode(new TerraformLocal(this, "user_data", props.userData).asString),
      iamInstanceProfile: { arn: this.instanceProfile.arn },
      vpcSecurityGroupIds: [props.network.instanceSecurityGroup.id],
      // IMDSv2 only, one hop: a request forged through the instance cannot read its credentials (CKV_AWS_79).
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [
        {
          deviceName: AL2023_ROOT_DEVICE,
          ebs: { volumeType: "gp3", volumeSize: rootVolumeSize, encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      monitoring: { enabled: props.detailedMonitoring ?? true },
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
        resourceType,
        tags: { Name: name },
      })),
      updateDefaultVersion: true,
      lifecycle: pinned
        ? {
            precondition: [
              {
                // Parenthesized: a conditional binds looser than ==.
                condition: `\${${pinned.outputValue("architecture")} == (${architecture})}`,
                errorMessage:
                  "The instance type's architecture (x86_64, or arm64 for Graviton types) differs from the pinned AMI's (followLatestAmi false). Choose a type of the same architecture, or replace the terraform_data resource named ami on purpose, with terraform apply -replace.",
              },
            ],
          }
        : undefined,
      tags: { Name: name },
    });

    const hook = launchHookOf(name);
    this.autoScalingGroup = new AutoscalingGroup(this, "group", {
      name: hook.groupName,
      minSize,
      desiredCapacity,
      maxSize,
      vpcZoneIdentifier: [...props.network.subnetIds],
      // latest_version, not "$Latest": the provider starts an instance refresh only when the group's launch_template
      // block changes ("A refresh will not start when version = "$Latest" is configured", provider docs,
      // registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/autoscaling_group#instance_refresh).
      launchTemplate: { id: this.launchTemplate.id, version: `${this.launchTemplate.latestVersion}` },
      targetGroupArns: [props.targetGroup.arn],
      // ELB: an instance failing the target group's health check (Keycloak's /health/ready) is replaced, not only one
      // failing EC2's status checks; the grace period is required with it (same page: "When using ELB as the
      // health_check_type, health_check_grace_period is required").
      healthCheckType: "ELB",
      healthCheckGracePeriod: gracePeriod,
      defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
      // Launch before terminate, also when an unhealthy instance is replaced.
      instanceMaintenancePolicy: { minHealthyPercentage: 100, maxHealthyPercentage: 200 },
      // A change of launch_template (a new version: user data, AMI, type) starts a refresh by itself ("A refresh will
      // always be triggered by a change in any of launch_configuration, launch_template, or mixed_instances_policy",
      // same page), so no extra triggers. min 100 / max 100: one node at a time, the new one launched and healthy
      // before the old one is terminated ("To replace one instance at a time, set both the minimum and maximum
      // healthy percentage to 100 percent. This changes the behavior of an instance refresh to launch before
      // terminating", Auto Scaling user guide, "How an instance refresh works"). Never several at once: Keycloak's
      // distributed caches keep each entry on 2 owners, and two nodes stopped together can take both.
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 100,
          instanceWarmup: `${INSTANCE_WARMUP_SECONDS}`,
        },
      },
      // A new instance stays out of service (Pending:Wait), out of the target group and of the refresh's count, until
      // its boot completes the hook: CONTINUE once the node applied its configuration, ABANDON (which terminates it)
      // when it failed or never answered, so a node that cannot apply the configuration never serves ("A popular use
      // of lifecycle hooks is to control when instances are registered with Elastic Load Balancing", Auto Scaling
      // user guide, "Lifecycle hooks"). In initial_lifecycle_hook, not a separate resource: the group's first
      // instances are held too (the provider's note on aws_autoscaling_lifecycle_hook); changing it replaces the
      // group (hashicorp/terraform-provider-aws#34260), so it stays fixed.
      initialLifecycleHook: [
        {
          name: hook.hookName,
          lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
          heartbeatTimeout: LAUNCH_HOOK_TIMEOUT_SECONDS,
          defaultResult: "ABANDON",
        },
      ],
      // Terraform does not wait for instances in service: a first boot runs under the hook, up to an hour, and
      // `npm run wait` (deploy runs it) follows the nodes' boots and says which failed and why.
      waitForCapacityTimeout: "0",
      // A destroy drains the group first; an instance still under the launch hook may hold it up to the hook's
      // timeout (not verified on AWS: the provider's default is 10 minutes).
      timeouts: { delete: `${LAUNCH_HOOK_TIMEOUT_SECONDS / 60 + 10}m` },
      tag: [{ key: "Name", value: name, propagateAtLaunch: false }],
      // The scaling policy moves desired_capacity: a later apply must not reset it.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
      dependsOn: [...(props.dependsOn ?? []), sessionManager],
    });

    // The boot completes its own launch, and no other instance's: the group is named, the instance is the caller
    // (the ARN's group id is unknown until the group exists, which waits for this policy).
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    this.addRolePolicy("complete-launch", [
      {
        sid: "CompleteOwnLaunch",
        effect: "Allow",
        actions: ["autoscaling:CompleteLifecycleAction"],
        resources: [
          `arn:${this.instanceRole.partition}:autoscaling:*:${account}:autoScalingGroup:*:autoScalingGroupName/${hook.groupName}`,
        ],
      },
    ]);

    // Target tracking on the group's average CPU (predefined metric ASGAverageCPUUtilization, AWS Auto Scaling API
    // PutScalingPolicy TargetTrackingConfiguration): Auto Scaling makes and manages the CloudWatch alarms.
    this.scalingPolicy = new AutoscalingPolicy(this, "cpu_target", {
      name: `${name}-cpu-target`,
      autoscalingGroupName: this.autoScalingGroup.name,
      policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: cpuTarget,
      },
    });
  }

  /** Allows reading (and decrypting, under the default `aws/ssm` key) these parameters, and denies every other. */
  grantParameterRead(parameterArns: readonly string[]): void {
    this.instanceRole.grantParameterRead(parameterArns);
  }

  /** Adds an inline policy to the instance role, in place before the group launches instances. */
  addRolePolicy(name: string, statements: readonly DataAwsIamPolicyDocumentStatement[]): void {
    this.instanceRole.addRolePolicy(name, statements);
  }
}
function validate(
  namePrefix: string,
  sizes: { readonly minSize: number; readonly desiredCapacity: number; readonly maxSize: number },
  cpuTarget: number,
  rootVolumeSize: number,
  gracePeriod: number,
): void {
  // The IAM name prefix (name + "-") may have 38 characters; launch template names need 3.
  if (isKnown(namePrefix) && !/^[A-Za-z][A-Za-z0-9-]{2,36}$/.test(namePrefix)) {
    throw propError(
      "ClusterHosts",
      "namePrefix",
      `must be 3-37 letters, digits and hyphens, starting with a letter, got "${namePrefix}"`,
    );
  }
  for (const [prop, size] of Object.entries(sizes)) {
    if (isKnown(size) && !(Number.isInteger(size) && size >= 0)) {
      throw propError("ClusterHosts", prop, `must be a whole number of instances, got ${size}`);
    }
  }
  const { minSize, desiredCapacity, maxSize } = sizes;
  if (isKnown(maxSize) && maxSize < 1) throw propError("ClusterHosts", "maxSize", "must be at least 1");
  if (isKnown(minSize) && isKnown(maxSize) && minSize > maxSize) {
    throw propError("ClusterHosts", "minSize", `(${minSize}) must be at most maxSize (${maxSize})`);
  }
  if (isKnown(minSize) && isKnown(desiredCapacity) && minSize > desiredCapacity) {
    throw propError("ClusterHosts", "desiredCapacity", `(${desiredCapacity}) must be at least minSize (${minSize})`);
  }
  if (isKnown(desiredCapacity) && isKnown(maxSize) && desiredCapacity > maxSize) {
    throw propError("ClusterHosts", "desiredCapacity", `(${desiredCapacity}) must be at most maxSize (${maxSize})`);
  }
  if (isKnown(cpuTarget) && !(cpuTarget > 0 && cpuTarget <= 100)) {
    throw propError("ClusterHosts", "cpuTarget", `must be a percentage above 0 and at most 100, got ${cpuTarget}`);
  }
  if (
    isKnown(rootVolumeSize) &&
    !(Number.isInteger(rootVolumeSize) && rootVolumeSize >= 8 && rootVolumeSize <= 16384)
  ) {
    throw propError(
      "ClusterHosts",
      "rootVolumeSize",
      `must be a whole number of GiB from 8 to 16384, got ${rootVolumeSize}`,
    );
  }
  if (isKnown(gracePeriod) && !(Number.isInteger(gracePeriod) && gracePeriod >= 0)) {
    throw propError("ClusterHosts", "healthCheckGracePeriod", `must be a whole number of seconds, got ${gracePeriod}`);
  }
}
