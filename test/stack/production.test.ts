import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Password } from "@cdktf/provider-random/lib/password";
import { synthesize } from "./synth";

const resources = (tf: Record<string, any>, type: string): Record<string, any>[] => Object.values(tf.resource[type] ?? {});

describe("production profile (the default)", () => {
  const { json, tf } = synthesize({ region: "eu-west-3" });
  const instance = tf.resource.aws_instance.host_instance;

  it("runs the latest Amazon Linux 2023 for the instance's architecture, not replaced by a newer AMI", () => {
    expect(json).toHaveDataSourceWithProperties(DataAwsSsmParameter, { name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" });
    expect(instance.ami).toBe("${data.aws_ssm_parameter.al2023_ami.insecure_value}");
    expect(instance.lifecycle).toEqual({ ignore_changes: ["ami", "user_data_base64"] });
    expect(instance.instance_type).toBe("t3.small");
  });

  it("requires IMDSv2 and encrypts a gp3 root volume", () => {
    expect(json).toHaveResourceWithProperties(Instance, {
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      root_block_device: { volume_type: "gp3", volume_size: 20, encrypted: true, delete_on_termination: true },
    });
  });

  it("has no key pair and no SSH rule; 8443 from the world over IPv4 and IPv6; 8080 and 9000 closed", () => {
    expect(instance.key_name).toBeUndefined();
    const ingress = resources(tf, "aws_vpc_security_group_ingress_rule");
    expect(ingress.map((r) => [r.from_port, r.to_port, r.ip_protocol, r.cidr_ipv4 ?? r.cidr_ipv6])).toEqual([[8443, 8443, "tcp", "0.0.0.0/0"], [8443, 8443, "tcp", "::/0"]]);
    expect(tf.resource.aws_security_group.network_security_group.ingress).toBeUndefined();
  });

  it("describes every security group rule", () => {
    for (const rule of [...resources(tf, "aws_vpc_security_group_ingress_rule"), ...resources(tf, "aws_vpc_security_group_egress_rule")]) {
      expect(rule.description).toMatch(/\w/);
    }
  });

  it("lets only HTTPS out", () => {
    expect(resources(tf, "aws_vpc_security_group_egress_rule").map((r) => [r.ip_protocol, r.from_port, r.to_port])).toEqual([["tcp", 443, 443], ["tcp", 443, 443]]);
  });

  it("opens SSH only from sshCidrs, with the key pair", () => {
    const ssh = synthesize({ keyName: "ops", sshCidrs: ["203.0.113.0/24"] }).tf;
    const port22 = resources(ssh, "aws_vpc_security_group_ingress_rule").filter((r) => r.from_port === 22);
    expect(port22).toEqual([expect.objectContaining({ cidr_ipv4: "203.0.113.0/24", to_port: 22, ip_protocol: "tcp" })]);
    expect(ssh.resource.aws_instance.host_instance.key_name).toBe("ops");
    expect(ssh.output.ssh_command.value).toBe("ssh -i ops.pem ec2-user@${aws_eip.address.public_dns}");
  });

  it("keeps its address on an Elastic IP", () => {
    expect(json).toHaveResourceWithProperties(Eip, { domain: "vpc" });
    expect(tf.resource.aws_eip_association.host_address).toMatchObject({ allocation_id: "${aws_eip.address.allocation_id}", instance_id: "${aws_instance.host_instance.id}" });
    expect(synthesize({ elasticIp: false }).tf.resource.aws_eip).toBeUndefined();
  });

  it("uses Session Manager through an instance role, which may read only this deployment's parameters", () => {
    expect(json).toHaveResourceWithProperties(IamRolePolicyAttachment, { policy_arn: "arn:${data.aws_partition.partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore" });
    const own = ["arn:${data.aws_partition.partition.partition}:ssm:eu-west-3:${data.aws_caller_identity.account.account_id}:parameter/keycloak-ec2/keycloak/*"];
    const policy = JSON.parse(tf.resource.aws_iam_role_policy.host_read_parameters.policy);
    // The managed policy allows ssm:GetParameter(s) on every parameter: the explicit Deny is what limits the role.
    expect(policy.Statement).toEqual([
      { Sid: "ReadOwnParameters", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: own },
      { Sid: "DenyOtherParameters", Effect: "Deny", Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], NotResource: own },
    ]);
    expect(instance.iam_instance_profile).toBe("${aws_iam_instance_profile.host_instance_profile.name}");
  });

  it("names IAM resources within IAM's characters whatever the instance's Name tag", () => {
    const named = synthesize({ instanceName: "Keycloak (production)" }).tf;
    expect(named.resource.aws_iam_role.host_role.name_prefix).toBe("Keycloak--production--");
    expect(named.resource.aws_iam_instance_profile.host_instance_profile.name_prefix).toBe("Keycloak--production--");
    expect(named.resource.aws_instance.host_instance.tags).toEqual({ Name: "Keycloak (production)" });
  });

  it("leaves EBS optimisation to the instance type (asking for it fails on t2)", () => {
    expect(instance.ebs_optimized).toBeUndefined();
    expect(synthesize({ instanceType: "t2.micro" }).tf.resource.aws_instance.host_instance.ebs_optimized).toBeUndefined();
    expect(instance.monitoring).toBe(true);
  });

  it("lets the role read a user-supplied certificate's parameters too", () => {
    const own = synthesize({ keycloak: { tlsCertificate: { certificateParameter: "/sso/cert", privateKeyParameter: "sso-key" } } }).tf;
    expect(JSON.parse(own.resource.aws_iam_role_policy.host_read_parameters.policy).Statement[0].Resource.slice(1)).toEqual([
      "arn:${data.aws_partition.partition.partition}:ssm:us-east-1:${data.aws_caller_identity.account.account_id}:parameter/sso/cert",
      "arn:${data.aws_partition.partition.partition}:ssm:us-east-1:${data.aws_caller_identity.account.account_id}:parameter/sso-key",
    ]);
  });

  it("generates four alphanumeric secrets into SecureString parameters, which the instance waits for", () => {
    expect(resources(tf, "random_password")).toHaveLength(4);
    expect(json).toHaveResourceWithProperties(Password, { length: 32, special: false });
    const parameters = resources(tf, "aws_ssm_parameter");
    expect(parameters.map((p) => [p.name, p.type, p.value]).sort()).toEqual([
      ["/keycloak-ec2/keycloak/admin-password", "SecureString", "${random_password.secrets_admin_password.result}"],
      ["/keycloak-ec2/keycloak/bff-client-secret", "SecureString", "${random_password.secrets_bff_client_secret.result}"],
      ["/keycloak-ec2/keycloak/db-password", "SecureString", "${random_password.secrets_db_password.result}"],
      ["/keycloak-ec2/keycloak/service-client-secret", "SecureString", "${random_password.secrets_service_client_secret.result}"],
    ]);
    expect(json).toHaveResourceWithProperties(SsmParameter, { type: "SecureString" });
    expect(instance.depends_on).toEqual(expect.arrayContaining(Object.keys(tf.resource.aws_ssm_parameter).map((id) => `aws_ssm_parameter.${id}`)));
  });

  it("never lets a secret's value reach anything but its SSM parameter", () => {
    const references = [...json.matchAll(/"([a-z_]+)": "\$\{random_password\.[a-z_]+\.result\}"/g)].map((m) => m[1]);
    expect(references).toEqual(["value", "value", "value", "value"]);
    expect(tf.locals.bootstrap_cloud_config).not.toMatch(/random_password|aws_ssm_parameter\.|KC_BOOTSTRAP_ADMIN_PASSWORD=[^"%$\n]/);
  });

  it("boots from gzip-compressed cloud-config that carries the Elastic IP's name and address", () => {
    expect(instance.user_data_base64).toBe("${base64gzip(local.bootstrap_cloud_config)}");
    expect(instance.user_data).toBeUndefined();
    expect(tf.locals.bootstrap_cloud_config).toMatch(/^#cloud-config\n/);
    expect(tf.locals.bootstrap_cloud_config).toContain("PUBLIC_DNS='${aws_eip.address.public_dns}'\n      PUBLIC_IP='${aws_eip.address.public_ip}'");
    // Every other ${ and %{ is escaped, so that Terraform passes the script's own variables through.
    expect(tf.locals.bootstrap_cloud_config.replace(/\$\{aws_eip\.address\.public_(dns|ip)\}/g, "")).not.toMatch(/(^|[^$])\$\{|(^|[^%])%\{/);
  });

  it("outputs where Keycloak is and how to log in", () => {
    const url = "https://${aws_eip.address.public_dns}:8443";
    expect(tf.output).toMatchObject({
      instance_ip: { value: "${aws_eip.address.public_ip}", description: "Public IP address" },
      instance_dns: { value: "${aws_eip.address.public_dns}", description: "Public DNS" },
      keycloak_url: { value: url },
      admin_console_url: { value: `${url}/admin/master/console/` },
      realm_issuer_url: { value: `${url}/realms/app` },
      admin_password_parameter: { value: "/keycloak-ec2/keycloak/admin-password" },
      admin_password_command: { value: "aws ssm get-parameter --region eu-west-3 --name /keycloak-ec2/keycloak/admin-password --with-decryption --query Parameter.Value --output text" },
      session_manager_command: { value: "aws ssm start-session --region eu-west-3 --target ${aws_instance.host_instance.id}" },
    });
    expect(tf.output.ssh_command).toBeUndefined();
    for (const output of Object.values(tf.output) as Array<{ description: string }>) expect(output.description).toMatch(/\w/);
  });

  it("uses the configured hostname in the URLs", () => {
    expect(synthesize({ keycloak: { hostname: "sso.example.com" } }).tf.output.keycloak_url.value).toBe("https://sso.example.com:8443");
  });

  it("follows the latest AMI when asked, and picks arm64 for Graviton types", () => {
    const arm = synthesize({ instanceType: "t4g.small", followLatestAmi: true }).tf;
    expect(arm.data.aws_ssm_parameter.al2023_ami.name).toBe("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    // User data changes stay ignored: cloud-init would not run them on the existing instance anyway.
    expect(arm.resource.aws_instance.host_instance.lifecycle).toEqual({ ignore_changes: ["user_data_base64"] });
  });

  it("tags every resource through the provider's default tags, with the user's extra tags", () => {
    expect(synthesize({ tags: { team: "identity" } }).tf.provider.aws[0].default_tags).toEqual([{ tags: { Application: "keycloak", Deployment: "keycloak-ec2", ManagedBy: "cdktf", team: "identity" } }]);
  });

  it("looks the default VPC up without managing or tagging it", () => {
    expect(tf.data.aws_vpc.network_default_vpc).toMatchObject({ default: true });
    expect(tf.resource.aws_default_vpc).toBeUndefined();
  });
});

describe("dev profile", () => {
  const { tf } = synthesize({ profile: "dev" });

  it("has no database secret and says it is not for production", () => {
    expect(Object.values(tf.resource.aws_ssm_parameter).map((p: any) => p.name)).not.toContain("/keycloak-ec2/keycloak/db-password");
    expect(tf.locals.bootstrap_cloud_config).toContain("start-dev");
    expect(tf.locals.bootstrap_cloud_config).toContain("dev mode, not for production");
    expect(tf.locals.bootstrap_cloud_config).toContain("PROFILE='dev'");
  });

  it("keeps the production host hardening", () => {
    expect(tf.resource.aws_instance.host_instance).toMatchObject({ metadata_options: { http_tokens: "required" }, root_block_device: { encrypted: true } });
  });
});
