import "../cdktf-matchers";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Password } from "@cdktf/provider-random/lib/password";
import { SECRET_NAMES } from "../../src/boot/secrets";
import { synthesize } from "./synth";

type Json = Record<string, any>;
const resources = (tf: Json, type: string): Json[] => Object.values(tf.resource[type] ?? {});
const ingress = (tf: Json) => tf.resource.aws_vpc_security_group_ingress_rule ?? {};

describe("production profile (the default)", () => {
  const { json, tf } = synthesize({ region: "eu-west-3" });
  const instance = tf.resource.aws_instance.host_instance;

  it("runs the latest Amazon Linux 2023 of the instance type's architecture, not replaced by a newer AMI", () => {
    expect(tf.data.aws_ec2_instance_type.instance_type).toEqual({ instance_type: "${var.instance_type}" });
    expect(tf.data.aws_ssm_parameter.al2023_ami.name).toBe(
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${contains(data.aws_ec2_instance_type.instance_type.supported_architectures, "arm64") ? "arm64" : "x86_64"}',
    );
    expect(instance.ami).toBe("${data.aws_ssm_parameter.al2023_ami.insecure_value}");
    expect(instance.lifecycle.ignore_changes).toEqual(["ami", "user_data"]);
    expect(instance.instance_type).toBe("${var.instance_type}");
  });

  it("declares the values ops may vary as described, validated variables defaulting to the config", () => {
    const custom = synthesize({
      instanceType: "t3.medium",
      httpsCidrs: ["203.0.113.0/24"],
      rootVolumeSize: 30,
      keycloak: { version: "26.7.3" },
    }).tf.variable;
    expect(Object.keys(custom).sort()).toEqual([
      "admin_cidrs",
      "https_cidrs",
      "instance_type",
      "keycloak_version",
      "root_volume_size",
    ]);
    expect(custom.instance_type).toMatchObject({ type: "string", default: "t3.medium", nullable: false });
    expect(custom.https_cidrs).toMatchObject({ type: "list(string)", default: ["203.0.113.0/24"] });
    expect(custom.root_volume_size).toMatchObject({ type: "number", default: 30 });
    expect(custom.keycloak_version).toMatchObject({ type: "string", default: "26.7.3" });
    for (const variable of [...Object.values(custom), ...Object.values(tf.variable)] as Json[]) {
      // Each has a default (null counts): one without is required, and cdktf plans with -input=false.
      expect(variable).toHaveProperty("default");
      expect(variable.description).toMatch(/\w/);
      expect(variable.validation.length).toBeGreaterThan(0);
    }
  });

  it("requires IMDSv2 and encrypts a gp3 root volume of the variable's size", () => {
    expect(json).toHaveResourceWithProperties(Instance, {
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      root_block_device: {
        volume_type: "gp3",
        volume_size: "${var.root_volume_size}",
        encrypted: true,
        delete_on_termination: true,
      },
    });
  });

  it("has no key pair and no SSH rule; HTTPS 443 from the https_cidrs, each by its address family; 80 for HTTP-01", () => {
    expect(instance.key_name).toBeUndefined();
    expect(Object.keys(ingress(tf)).sort()).toEqual(["network_http", "network_https"]);
    expect(ingress(tf).network_http).toMatchObject({
      for_each: '${toset(["0.0.0.0/0", "::/0"])}',
      from_port: 80,
      to_port: 80,
    });
    expect(ingress(tf).network_https).toMatchObject({
      for_each: "${toset(var.https_cidrs)}",
      from_port: 443,
      to_port: 443,
      ip_protocol: "tcp",
      cidr_ipv4: '${strcontains(each.value, ":") ? null : each.value}',
      cidr_ipv6: '${strcontains(each.value, ":") ? each.value : null}',
    });
    expect(tf.variable.https_cidrs.default).toEqual(["0.0.0.0/0", "::/0"]);
    expect(tf.resource.aws_security_group.network_security_group.ingress).toBeUndefined();
  });

  it("describes every security group rule", () => {
    for (const rule of [
      ...resources(tf, "aws_vpc_security_group_ingress_rule"),
      ...resources(tf, "aws_vpc_security_group_egress_rule"),
    ]) {
      expect(rule.description).toMatch(/\w/);
    }
  });

  it("lets only HTTPS out, and boots only once its egress and secrets exist", () => {
    const egress = resources(tf, "aws_vpc_security_group_egress_rule");
    expect(egress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.for_each])).toEqual([
      ["tcp", 443, 443, '${toset(["0.0.0.0/0", "::/0"])}'],
    ]);
    expect(instance.depends_on).toEqual(
      expect.arrayContaining(["aws_vpc_security_group_egress_rule.network_egress_443"]),
    );
  });

  it("opens SSH only from sshCidrs, with the key pair", () => {
    const ssh = synthesize({ keyName: "ops", sshCidrs: ["203.0.113.0/24"] }).tf;
    expect(ingress(ssh).network_ssh).toMatchObject({
      for_each: '${toset(["203.0.113.0/24"])}',
      from_port: 22,
      to_port: 22,
      ip_protocol: "tcp",
    });
    expect(ssh.resource.aws_instance.host_instance.key_name).toBe("ops");
    expect(ssh.output.ssh_command.value).toBe("ssh -i ops.pem ec2-user@${aws_eip.address.public_dns}");
  });

  it("keeps the security group's name and description whatever the ports and the profile (AWS would replace the group)", () => {
    const group = (raw: Json) => {
      const { name, description } = synthesize(raw).tf.resource.aws_security_group.network_security_group;
      return { name, description };
    };
    const plain = group({});
    expect(plain).toEqual({ name: "keycloak-ec2-sg", description: "Keycloak on EC2, managed by keycloak-ec2" });
    expect(group({ keyName: "ops", sshCidrs: ["203.0.113.0/24"] })).toEqual(plain);
    // Same name, other profile (profiles have names of their own by default; this is the case that would collide).
    expect(group({ profile: "dev", name: "keycloak-ec2" })).toEqual(plain);
    expect(group({ httpsCidrs: ["198.51.100.0/24"], instanceType: "t3.large" })).toEqual(plain);
  });

  it("keeps its address on an Elastic IP", () => {
    expect(json).toHaveResourceWithProperties(Eip, { domain: "vpc" });
    expect(tf.resource.aws_eip_association.host_address).toMatchObject({
      allocation_id: "${aws_eip.address.allocation_id}",
      instance_id: "${aws_instance.host_instance.id}",
    });
    expect(synthesize({ elasticIp: false }).tf.resource.aws_eip).toBeUndefined();
  });

  it("uses Session Manager through an instance role, which may read only this deployment's parameters", () => {
    expect(json).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: "arn:${data.aws_partition.host_partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
    });
    const own = Object.values(SECRET_NAMES).map(
      (name) => `\${aws_ssm_parameter.secrets_${name.replace(/-/g, "_")}_parameter.arn}`,
    );
    // The managed policy allows ssm:GetParameter(s) on every parameter: the explicit Deny is what limits the role.
    expect(tf.data.aws_iam_policy_document.host_read_parameters_policy.statement).toEqual([
      { sid: "ReadOwnParameters", effect: "Allow", actions: ["ssm:GetParameter", "ssm:GetParameters"], resources: own },
      {
        sid: "DenyOtherParameters",
        effect: "Deny",
        actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        not_resources: own,
      },
    ]);
    expect(tf.resource.aws_iam_role_policy.host_read_parameters.policy).toBe(
      "${data.aws_iam_policy_document.host_read_parameters_policy.json}",
    );
    expect(tf.resource.aws_iam_role.host_role.assume_role_policy).toBe(
      "${data.aws_iam_policy_document.host_assume_role_policy.json}",
    );
    expect(instance.iam_instance_profile).toBe("${aws_iam_instance_profile.host_instance_profile.name}");
    expect(instance.depends_on).toEqual(
      expect.arrayContaining([
        "aws_iam_role_policy.host_read_parameters",
        "aws_iam_role_policy_attachment.host_session_manager",
      ]),
    );
  });

  it("names and describes IAM resources within IAM's characters whatever the instance's Name tag", () => {
    const named = synthesize({ instanceName: "Keycloak (production) ✓" }).tf;
    expect(named.resource.aws_iam_role.host_role.name_prefix).toBe("keycloak-ec2-");
    expect(named.resource.aws_iam_role.host_role.description).toMatch(/^[\x20-\x7e]+$/);
    expect(named.resource.aws_iam_instance_profile.host_instance_profile.name_prefix).toBe("keycloak-ec2-");
    expect(named.resource.aws_instance.host_instance.tags).toEqual({ Name: "Keycloak (production) ✓" });
  });

  it("leaves EBS optimisation to the instance type (asking for it fails on t2)", () => {
    expect(instance.ebs_optimized).toBeUndefined();
    expect(instance.monitoring).toBe(true);
  });

  it("lets the role read a user-supplied certificate's parameters, looked up without decrypting them", () => {
    const own = synthesize({
      keycloak: { tlsCertificate: { certificateParameter: "/sso/cert", privateKeyParameter: "sso-key" } },
    }).tf;
    expect(own.data.aws_ssm_parameter.tls_certificate).toEqual({ name: "/sso/cert", with_decryption: false });
    expect(own.data.aws_ssm_parameter.tls_private_key).toEqual({ name: "sso-key", with_decryption: false });
    expect(own.data.aws_iam_policy_document.host_read_parameters_policy.statement[0].resources.slice(-2)).toEqual([
      "${data.aws_ssm_parameter.tls_certificate.arn}",
      "${data.aws_ssm_parameter.tls_private_key.arn}",
    ]);
  });

  it("generates four alphanumeric secrets into SecureString parameters, which the instance waits for", () => {
    expect(resources(tf, "random_password")).toHaveLength(4);
    expect(json).toHaveResourceWithProperties(Password, { length: 32, special: false });
    const parameters = resources(tf, "aws_ssm_parameter");
    expect(parameters.map((p) => [p.name, p.type, p.value]).sort()).toEqual([
      ["/keycloak-ec2/keycloak/admin-password", "SecureString", "${random_password.secrets_admin_password.result}"],
      [
        "/keycloak-ec2/keycloak/bff-client-secret",
        "SecureString",
        "${random_password.secrets_bff_client_secret.result}",
      ],
      ["/keycloak-ec2/keycloak/db-password", "SecureString", "${random_password.secrets_db_password.result}"],
      [
        "/keycloak-ec2/keycloak/service-client-secret",
        "SecureString",
        "${random_password.secrets_service_client_secret.result}",
      ],
    ]);
    expect(json).toHaveResourceWithProperties(SsmParameter, { type: "SecureString" });
    expect(instance.depends_on).toEqual(
      expect.arrayContaining(Object.keys(tf.resource.aws_ssm_parameter).map((id) => `aws_ssm_parameter.${id}`)),
    );
  });

  it("never lets a secret's value reach anything but its SSM parameter", () => {
    const references = [...json.matchAll(/"([a-z_]+)": "\$\{random_password\.[a-z_]+\.result\}"/g)].map((m) => m[1]);
    expect(references).toEqual(["value", "value", "value", "value"]);
    expect(tf.locals.bootstrap_bundle).not.toMatch(
      /random_password|aws_ssm_parameter\.|KC_BOOTSTRAP_ADMIN_PASSWORD=[^"%$\n]/,
    );
    expect(instance.user_data).not.toMatch(/random_password|aws_ssm_parameter\./);
  });

  it("boots from a bundle in S3 that carries the region, the version variable, the Elastic IP and the data volume", () => {
    const bundle: string = tf.locals.bootstrap_bundle;
    expect(tf.resource.aws_s3_object.bootstrap_bundle_object).toMatchObject({
      bucket: "${aws_s3_bucket.bucket_bucket.bucket}",
      key: "boot/bundle.sh",
      content: "${local.bootstrap_bundle}",
    });
    expect(instance.user_data).toContain(
      "aws s3 cp --only-show-errors --region '${data.aws_region.region.region}' 's3://${aws_s3_bucket.bucket_bucket.bucket}/${aws_s3_object.bootstrap_bundle_object.key}'",
    );
    expect(instance.user_data_base64).toBeUndefined();
    expect(bundle).toMatch(/^#!\/bin\/bash\n/);
    expect(bundle).toContain("AWS_REGION='${data.aws_region.region.region}'");
    expect(bundle).toContain("KEYCLOAK_IMAGE='quay.io/keycloak/keycloak:${var.keycloak_version}'");
    expect(bundle).toContain("PUBLIC_DNS='${aws_eip.address.public_dns}'\nPUBLIC_IP='${aws_eip.address.public_ip}'");
    expect(bundle).toContain("DATA_VOLUME_ID='${aws_ebs_volume.data_volume.id}'\nDATA_DEVICE='/dev/sdf'");
    expect(bundle).toContain(
      "BACKUP_BUCKET='${aws_s3_bucket.bucket_bucket.bucket}'\nBACKUP_PREFIX='backups/postgresql'",
    );
    // Every other ${ and %{ is escaped, so that Terraform passes the script's own variables through.
    const references =
      /\$\{(aws_eip\.address\.public_(dns|ip)|data\.aws_region\.region\.region|var\.keycloak_version|aws_ebs_volume\.data_volume\.id|aws_s3_bucket\.bucket_bucket\.bucket|join\(" ", \(var\.admin_cidrs == null\) \? var\.https_cidrs : var\.admin_cidrs\))\}/g;
    expect(bundle.replace(references, "")).not.toMatch(/(^|[^$])\$\{|(^|[^%])%\{/);
  });

  it("outputs where Keycloak is and how to log in", () => {
    const url = "https://${aws_eip.address.public_ip}";
    expect(tf.output).toMatchObject({
      instance_ip: { value: "${aws_eip.address.public_ip}", description: "Public IP address" },
      instance_dns: { value: "${aws_eip.address.public_dns}", description: "Public DNS" },
      keycloak_url: { value: url },
      admin_console_url: { value: `${url}/admin/master/console/` },
      realm_issuer_url: { value: `${url}/realms/app` },
      admin_password_parameter: { value: "${aws_ssm_parameter.secrets_admin_password_parameter.name}" },
      admin_password_command: {
        value:
          "aws ssm get-parameter --region ${data.aws_region.region.region} --name ${aws_ssm_parameter.secrets_admin_password_parameter.name} --with-decryption --query Parameter.Value --output text",
      },
      session_manager_command: {
        value:
          "aws ssm start-session --region ${data.aws_region.region.region} --target ${aws_instance.host_instance.id}",
      },
    });
    expect(tf.output.ssh_command).toBeUndefined();
    for (const output of Object.values(tf.output) as Array<{ description: string }>)
      expect(output.description).toMatch(/\w/);
  });

  it("uses the configured hostname in the URLs", () => {
    expect(synthesize({ keycloak: { hostname: "sso.example.com" } }).tf.output.keycloak_url.value).toBe(
      "https://sso.example.com",
    );
  });

  it("lets the admin CIDRs follow https_cidrs unless the config or the admin_cidrs variable names them", () => {
    expect(tf.variable.admin_cidrs).toMatchObject({ type: "list(string)", nullable: true, default: null });
    expect(tf.locals.bootstrap_bundle).toContain(
      `ADMIN_CIDRS='\${join(" ", (var.admin_cidrs == null) ? var.https_cidrs : var.admin_cidrs)}'`,
    );
    expect(synthesize({ adminCidrs: ["198.51.100.0/24"] }).tf.variable.admin_cidrs.default).toEqual([
      "198.51.100.0/24",
    ]);
    expect(synthesize({ adminCidrs: [] }).tf.variable.admin_cidrs.default).toEqual([]);
  });

  it("refuses at plan time an instance type of another architecture than the instance was created with", () => {
    // The AMI is not followed after creation: an arm64 type would stop an x86_64 instance and fail to start it.
    const architecture =
      '(contains(data.aws_ec2_instance_type.instance_type.supported_architectures, "arm64") ? "arm64" : "x86_64")';
    expect(tf.resource.terraform_data.architecture).toEqual({
      input: { architecture: `\${${architecture.slice(1, -1)}}` },
      lifecycle: { ignore_changes: ["input"] },
    });
    const [precondition] = instance.lifecycle.precondition;
    expect(precondition.condition).toBe(`\${terraform_data.architecture.output.architecture == ${architecture}}`);
    expect(precondition.error_message).toMatch(/^The instance type's architecture .* differs .* -replace/);
    expect(precondition.error_message).not.toMatch(/\$\{/);
  });

  it("follows the latest AMI when asked", () => {
    const following = synthesize({ instanceType: "t4g.small", followLatestAmi: true }).tf;
    // User data stays ignored: it only fetches the bundle, and cloud-init would not run it again anyway.
    expect(following.resource.aws_instance.host_instance.lifecycle.ignore_changes).toEqual(["user_data"]);
    expect(following.variable.instance_type.default).toBe("t4g.small");
  });

  it("tags every resource through the provider's default tags, with the user's extra tags", () => {
    expect(synthesize({ tags: { team: "identity" } }).tf.provider.aws[0].default_tags).toEqual([
      { tags: { Application: "keycloak", Deployment: "keycloak-ec2", ManagedBy: "cdktf", team: "identity" } },
    ]);
  });

  it("looks the default VPC up without managing or tagging it", () => {
    expect(tf.data.aws_vpcs.network_default_vpc.filter).toEqual([{ name: "is-default", values: ["true"] }]);
    expect(tf.resource.aws_default_vpc).toBeUndefined();
    expect(instance.subnet_id).toBeUndefined();
  });
});

describe("dev profile", () => {
  const { tf } = synthesize({ profile: "dev" });

  it("has no database secret and says it is not for production", () => {
    expect(Object.values(tf.resource.aws_ssm_parameter).map((p: any) => p.name)).not.toContain(
      "/keycloak-ec2/keycloak/db-password",
    );
    expect(tf.locals.bootstrap_bundle).toContain("start-dev");
    expect(tf.locals.bootstrap_bundle).toContain("dev mode, not for production");
    expect(tf.locals.bootstrap_bundle).toContain("PROFILE='dev'");
  });

  it("keeps the production host hardening", () => {
    expect(tf.resource.aws_instance.host_instance).toMatchObject({
      metadata_options: { http_tokens: "required" },
      root_block_device: { encrypted: true },
    });
  });
});
