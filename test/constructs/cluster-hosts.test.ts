import "../cdktf-matchers";
import { parse } from "@cdktf/hcl2json";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ClusterHosts, ClusterHostsNetwork, ClusterHostsProps, launchHookOf } from "../../src/constructs/cluster-hosts";
import { exportHcl } from "../../src/hcl/export";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

type Props = Omit<ClusterHostsProps, "network" | "targetGroup">;
const PROPS: Props = { namePrefix: "kc-cluster", userData: "#!/bin/bash\necho boot 0123abcd\n" };
const ARNS = [
  "arn:aws:ssm:eu-west-3:123456789012:parameter/app/a",
  "arn:aws:ssm:eu-west-3:123456789012:parameter/app/b",
];

/** A ClusterHosts in a stack (fresh unless given) with a stand-in network and a real target group. */
function build(props: Partial<Props> = {}, stack = newStack()) {
  const network: ClusterHostsNetwork = {
    subnetIds: ["subnet-a", "subnet-b"],
    instanceSecurityGroup: new SecurityGroup(stack, "instance_sg", { name: "instances", vpcId: "vpc-1" }),
  };
  const targetGroup = new LbTargetGroup(stack, "tg", { name: "kc", port: 8080, protocol: "HTTP", vpcId: "vpc-1" });
  const hosts = new ClusterHosts(stack, "hosts", { ...PROPS, ...props, network, targetGroup });
  return { stack, hosts };
}

/** The parsed JSON of a stack holding one ClusterHosts, and its JSON text. */
function synth(props: Partial<Props> = {}, stack = newStack()) {
  build(props, stack);
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as Record<string, any> };
}

/** The only resource (or data source) of a type, with its logical id as `logicalId`. */
function only(tf: Record<string, any>, type: string, block: "resource" | "data" = "resource"): Record<string, any> {
  const items = Object.entries(tf[block][type] ?? {});
  expect(items).toHaveLength(1);
  return { logicalId: items[0][0], ...(items[0][1] as object) };
}

describe("ClusterHosts validation", () => {
  const expectThrow = (props: Partial<Props>, message: RegExp) => expect(() => build(props)).toThrow(message);

  it.each(["kc", "1kc", "kc_cluster", "k".repeat(38)])("rejects the name prefix %p", (namePrefix) => {
    expectThrow({ namePrefix }, /ClusterHosts: 'namePrefix' must be 3-37 letters, digits and hyphens/);
  });

  it.each<[string, Partial<Props>, RegExp]>([
    ["min above max", { minSize: 5, maxSize: 4 }, /'minSize' \(5\) must be at most maxSize \(4\)/],
    ["desired below min", { minSize: 3, desiredCapacity: 2 }, /'desiredCapacity' \(2\) must be at least minSize \(3\)/],
    ["desired above max", { desiredCapacity: 5 }, /'desiredCapacity' \(5\) must be at most maxSize \(4\)/],
    ["a fractional size", { minSize: 1.5 }, /'minSize' must be a whole number of instances/],
    ["a negative size", { minSize: -1 }, /'minSize' must be a whole number of instances/],
    ["a maximum of 0", { minSize: 0, desiredCapacity: 0, maxSize: 0 }, /'maxSize' must be at least 1/],
  ])("rejects %s", (_, props, message) => {
    expectThrow(props, new RegExp(`ClusterHosts: ${message.source}`));
  });

  it("accepts min = desired = max", () => {
    expect(() => build({ minSize: 3, desiredCapacity: 3, maxSize: 3 })).not.toThrow();
  });

  it.each([0, 101, -5])("rejects a CPU target of %p percent", (cpuTarget) => {
    expectThrow({ cpuTarget }, /ClusterHosts: 'cpuTarget' must be a percentage above 0 and at most 100/);
  });

  it.each([4, 20.5, 16385])("rejects a root volume of %p GiB", (rootVolumeSize) => {
    expectThrow({ rootVolumeSize }, /ClusterHosts: 'rootVolumeSize' must be a whole number of GiB from 8 to 16384/);
  });

  it("rejects a negative grace period", () => {
    expectThrow({ healthCheckGracePeriod: -1 }, /ClusterHosts: 'healthCheckGracePeriod' must be a whole number/);
  });

  it("refuses the same role policy name twice", () => {
    // GIVEN
    const { hosts } = build();
    hosts.addRolePolicy("bucket-access", [{ actions: ["s3:GetObject"], resources: ["*"] }]);
    // WHEN / THEN
    expect(() => hosts.addRolePolicy("bucket-access", [])).toThrow(/ClusterHosts: 'addRolePolicy' was called twice/);
  });
});

describe("ClusterHosts launch template", () => {
  it("requires IMDSv2 session tokens with one hop", () => {
    const template = only(synth().tf, "aws_launch_template");
    expect(template.metadata_options).toEqual({
      http_endpoint: "enabled",
      http_tokens: "required",
      http_put_response_hop_limit: 1,
    });
  });

  it("encrypts a gp3 root volume of 20 GiB, deleted with the instance", () => {
    const template = only(synth().tf, "aws_launch_template");
    expect(template.block_device_mappings).toEqual([
      {
        device_name: "/dev/xvda",
        ebs: { volume_type: "gp3", volume_size: 20, encrypted: "true", delete_on_termination: "true" },
      },
    ]);
  });

  it("boots Amazon Linux 2023 of the type's architecture, t3.medium by default", () => {
    const { tf } = synth();
    const type = only(tf, "aws_ec2_instance_type", "data");
    expect(type.instance_type).toBe("t3.medium");
    const ami = only(tf, "aws_ssm_parameter", "data");
    expect(ami.name).toBe(
      `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-\${contains(data.aws_ec2_instance_type.${type.logicalId}.supported_architectures, "arm64") ? "arm64" : "x86_64"}`,
    );
    const template = only(tf, "aws_launch_template");
    expect(template.image_id).toBe(`\${data.aws_ssm_parameter.${ami.logicalId}.insecure_value}`);
    expect(template.instance_type).toBe("t3.medium");
  });

  it("carries the instance profile, the instances' security group, the user data and detailed monitoring", () => {
    const { tf } = synth();
    const template = only(tf, "aws_launch_template");
    expect(template).toMatchObject({
      name: "kc-cluster",
      iam_instance_profile: {
        arn: `\${aws_iam_instance_profile.${only(tf, "aws_iam_instance_profile").logicalId}.arn}`,
      },
      vpc_security_group_ids: ["${aws_security_group.instance_sg.id}"],
      monitoring: { enabled: true },
      update_default_version: true,
    });
    // The script through a local: readable in the plan, and free to hold double quotes.
    const [localId, script] = Object.entries(tf.locals as Record<string, string>).find(([id]) =>
      id.startsWith("hosts_user_data"),
    )!;
    expect(script).toBe("#!/bin/bash\necho boot 0123abcd\n");
    expect(template.user_data).toBe(`\${base64encode(local.${localId})}`);
    expect(template).not.toHaveProperty("key_name");
  });

  it("takes plain monitoring when asked", () => {
    const template = only(synth({ detailedMonitoring: false }).tf, "aws_launch_template");
    expect(template).toMatchObject({ monitoring: { enabled: false } });
  });

  it("tags the instances, their volumes and network interfaces with the name", () => {
    const template = only(synth().tf, "aws_launch_template");
    expect(template.tag_specifications).toEqual(
      ["instance", "volume", "network-interface"].map((resource_type) => ({
        resource_type,
        tags: { Name: "kc-cluster" },
      })),
    );
  });

  it("keeps the AMI found at creation, for its architecture only, when not following the latest", () => {
    const { tf } = synth({ followLatestAmi: false });
    const pin = only(tf, "terraform_data");
    expect(pin.lifecycle).toEqual({ ignore_changes: ["input"] });
    const template = only(tf, "aws_launch_template");
    expect(template.image_id).toBe(`\${terraform_data.${pin.logicalId}.output.ami}`);
    expect(template.lifecycle.precondition[0].condition).toMatch(
      new RegExp(`^\\$\\{terraform_data\\.${pin.logicalId}\\.output\\.architecture == \\(contains\\(`),
    );
  });
});

describe("ClusterHosts Auto Scaling group", () => {
  it("runs 2 to 4 instances, 2 at first, across the network's subnets, in the target group", () => {
    const group = only(synth().tf, "aws_autoscaling_group");
    expect(group).toMatchObject({
      name: "kc-cluster",
      min_size: 2,
      desired_capacity: 2,
      max_size: 4,
      vpc_zone_identifier: ["subnet-a", "subnet-b"],
      target_group_arns: ["${aws_lb_target_group.tg.arn}"],
    });
  });

  it("replaces instances that fail the load balancer's health check, after a grace period of 600 s", () => {
    const group = only(synth().tf, "aws_autoscaling_group");
    expect(group).toMatchObject({ health_check_type: "ELB", health_check_grace_period: 600 });
  });

  it("launches the template's latest version, not $Latest, so that a new version starts a refresh", () => {
    const { tf } = synth();
    const template = only(tf, "aws_launch_template").logicalId;
    expect(only(tf, "aws_autoscaling_group").launch_template).toEqual({
      id: `\${aws_launch_template.${template}.id}`,
      version: `\${aws_launch_template.${template}.latest_version}`,
    });
  });

  it("holds each new instance out of service until its boot completes the launch hook, which only it may", () => {
    // GIVEN / WHEN
    const tf = synth().tf;
    // THEN the hook exists before the first instance, and a node that never answers is abandoned
    const group = only(tf, "aws_autoscaling_group");
    expect(group.initial_lifecycle_hook).toEqual([
      {
        name: "keycloak-boot",
        lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING",
        heartbeat_timeout: 3600,
        default_result: "ABANDON",
      },
    ]);
    expect(group.wait_for_capacity_timeout).toBe("0");
    const policy = Object.values(tf.resource.aws_iam_role_policy as Record<string, Record<string, any>>).find(
      (p) => p.name === "complete-launch",
    )!;
    const document = tf.data.aws_iam_policy_document[policy.policy.match(/aws_iam_policy_document\.([^.]+)\.json/)[1]];
    expect(document.statement).toEqual([
      {
        sid: "CompleteOwnLaunch",
        effect: "Allow",
        actions: ["autoscaling:CompleteLifecycleAction"],
        resources: [
          expect.stringMatching(
            /^arn:\$\{data\.aws_partition\.[^}]+\}:autoscaling:\*:\$\{data\.aws_caller_identity\.[^}]+\.account_id\}:autoScalingGroup:\*:autoScalingGroupName\/kc-cluster$/,
          ),
        ],
      },
    ]);
    expect(launchHookOf("kc-cluster")).toEqual({ groupName: group.name, hookName: "keycloak-boot" });
  });

  it("rolls a refresh launch-before-terminate, triggered by the launch template alone", () => {
    const group = only(synth().tf, "aws_autoscaling_group");
    expect(group.instance_refresh).toEqual({
      strategy: "Rolling",
      // One node at a time, launched before the old one ends.
      preferences: { min_healthy_percentage: 100, max_healthy_percentage: 100, instance_warmup: "300" },
    });
    expect(group.instance_maintenance_policy).toEqual({ min_healthy_percentage: 100, max_healthy_percentage: 200 });
  });

  it("leaves the desired capacity to the scaling policy after creation", () => {
    const group = only(synth().tf, "aws_autoscaling_group");
    expect(group.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
  });

  it("scales by target tracking on the group's average CPU, 60 % by default", () => {
    const { tf, json } = synth();
    expect(json).toHaveResourceWithProperties(AutoscalingPolicy, {
      name: "kc-cluster-cpu-target",
      autoscaling_group_name: `\${aws_autoscaling_group.${only(tf, "aws_autoscaling_group").logicalId}.name}`,
      policy_type: "TargetTrackingScaling",
      target_tracking_configuration: {
        predefined_metric_specification: { predefined_metric_type: "ASGAverageCPUUtilization" },
        target_value: 60,
      },
    });
  });

  it("takes the sizes, the CPU target and the instance type from variables, unchecked", () => {
    // GIVEN
    const stack = newStack();
    const variable = (name: string) => new TerraformVariable(stack, name, { type: "number" }).numberValue;
    const type = new TerraformVariable(stack, "instance_type", { type: "string" }).stringValue;
    // WHEN
    const { tf } = synth(
      { minSize: variable("min"), maxSize: variable("max"), cpuTarget: variable("cpu"), instanceType: type },
      stack,
    );
    // THEN
    expect(only(tf, "aws_autoscaling_group")).toMatchObject({ min_size: "${var.min}", max_size: "${var.max}" });
    expect(only(tf, "aws_autoscaling_policy").target_tracking_configuration.target_value).toBe("${var.cpu}");
    expect(only(tf, "aws_ec2_instance_type", "data").instance_type).toBe("${var.instance_type}");
  });
});

describe("ClusterHosts instance role", () => {
  /** Hosts granted two parameters one at a time and given a policy; the parsed JSON. */
  function synthGranted(): Record<string, any> {
    const { stack, hosts } = build();
    hosts.grantParameterRead([ARNS[0]]);
    hosts.grantParameterRead([ARNS[1]]);
    hosts.addRolePolicy("bucket-access", [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/boot/*"] }]);
    return JSON.parse(Testing.synth(stack));
  }

  // The role's own behaviour: test/constructs/instance-role.test.ts. Here, its wiring.
  it("names the role after the cluster, and reads only the granted parameters, in one policy", () => {
    const tf = synthGranted();
    expect(only(tf, "aws_iam_role").name_prefix).toBe("kc-cluster-");
    expect(JSON.stringify(tf)).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [expect.objectContaining({ sid: "ReadOwnParameters", resources: ARNS }), expect.anything()],
    });
  });

  it("launches instances only after every role policy and the managed-policy attachment exist", () => {
    const tf = synthGranted();
    const policies = Object.keys(tf.resource.aws_iam_role_policy).map((id) => `aws_iam_role_policy.${id}`);
    expect(policies).toHaveLength(3);
    expect(only(tf, "aws_autoscaling_group").depends_on).toEqual(
      expect.arrayContaining([
        ...policies,
        `aws_iam_role_policy_attachment.${only(tf, "aws_iam_role_policy_attachment").logicalId}`,
      ]),
    );
  });
});

describe("ClusterHosts HCL export", () => {
  it.each<[string, Partial<Props>]>([
    ["latest AMI", {}],
    ["pinned AMI", { followLatestAmi: false }],
  ])("exports the stack (%s) to HCL that HCL's parser reads", async (_, props) => {
    // GIVEN
    const { stack, hosts } = build(props);
    hosts.grantParameterRead(ARNS);
    // WHEN
    const files = await exportHcl(JSON.parse(Testing.synth(stack)), { backend: false });
    // THEN
    const main = (await parse("main.tf", files["main.tf"])) as Record<string, any>;
    expect(Object.keys(main.resource)).toEqual(
      expect.arrayContaining(["aws_launch_template", "aws_autoscaling_group", "aws_autoscaling_policy"]),
    );
  });
});
