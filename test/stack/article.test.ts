import "../cdktf-matchers";
import { DefaultVpc } from "@cdktf/provider-aws/lib/default-vpc";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { synthesize } from "./synth";

describe("article profile: the guide's Terraform, resource for resource", () => {
  const { json, tf } = synthesize({ profile: "article", region: "eu-west-3", keyName: "my-key" });
  const world = { cidr_blocks: ["0.0.0.0/0"], ipv6_cidr_blocks: ["::/0"] };

  it("has exactly the guide's three resources under the guide's names, and nothing else", () => {
    const addresses = Object.entries(tf.resource).flatMap(([type, byName]) =>
      Object.keys(byName as object).map((name) => `${type}.${name}`),
    );
    expect(addresses.sort()).toEqual(["aws_default_vpc.default", "aws_instance.ec2", "aws_security_group.sg"]);
    expect(tf.data).toBeUndefined();
    expect(tf.locals).toBeUndefined();
  });

  it("tags the default VPC as the guide does", () => {
    expect(json).toHaveResourceWithProperties(DefaultVpc, { tags: { Name: "Default VPC" } });
  });

  it("opens 22, 8080 and 8443 to IPv4 and IPv6 with the guide's descriptions, and all egress", () => {
    const sg = tf.resource.aws_security_group.sg;
    expect(sg.name).toBe("${var.security_group_name}");
    expect(sg.description).toBe("Allow inbound traffic on port 8080 and 8443");
    expect(sg.vpc_id).toBe("${aws_default_vpc.default.id}");
    expect(sg.tags).toEqual({ Name: "${var.security_group_name}" });
    const rule = (port: number, description: string) => ({
      description,
      from_port: port,
      to_port: port,
      protocol: "tcp",
      ...world,
    });
    expect(sg.ingress).toEqual([
      expect.objectContaining(rule(22, "open ssh port")),
      expect.objectContaining(rule(8080, "open port 8080")),
      expect.objectContaining(rule(8443, "open port 8443")),
    ]);
    expect(sg.egress).toEqual([expect.objectContaining({ from_port: 0, to_port: 0, protocol: "-1", ...world })]);
    // Nothing else set on a rule: the other block attributes are null, i.e. unset, as in the guide's blocks.
    for (const block of [...sg.ingress, ...sg.egress]) {
      expect(
        Object.entries(block)
          .filter(([, v]) => v !== null)
          .map(([k]) => k)
          .sort(),
      ).toEqual(expect.arrayContaining(["cidr_blocks", "from_port", "ipv6_cidr_blocks", "protocol", "to_port"]));
      expect(block.prefix_list_ids ?? null).toBeNull();
      expect(block.security_groups ?? null).toBeNull();
      expect(block.self ?? null).toBeNull();
    }
    expect(json).toHaveResourceWithProperties(SecurityGroup, { name: "${var.security_group_name}" });
  });

  it("runs the guide's t2.micro with its AMI, key, group, tag and user data byte for byte", () => {
    const ec2 = tf.resource.aws_instance.ec2;
    expect(
      Object.keys(ec2)
        .filter((k) => k !== "//")
        .sort(),
    ).toEqual(["ami", "instance_type", "key_name", "tags", "user_data", "vpc_security_group_ids"]);
    expect(ec2.ami).toBe("ami-01cae1550c0adea9c");
    expect(ec2.instance_type).toBe("t2.micro");
    expect(ec2.key_name).toBe("${var.keyname}");
    expect(ec2.vpc_security_group_ids).toEqual(["${aws_security_group.sg.id}"]);
    expect(ec2.tags).toEqual({ Name: "${var.aws_instance_name}" });
    expect(ec2.user_data).toBe(
      "#!/bin/bash\n" +
        "sudo yum update -y\n" +
        "sudo amazon-linux-extras install docker\n" +
        "sudo service docker start\n" +
        "sudo amazon-linux-extras enable postgresql13\n" +
        "sudo yum install postgresql postgresql-server -y\n" +
        "sudo postgresql-setup initdb\n" +
        "sudo systemctl start postgresql\n" +
        "sudo systemctl enable postgresql\n",
    );
    expect(json).toHaveResourceWithProperties(Instance, { instance_type: "t2.micro" });
  });

  it("declares the guide's three string variables, with defaults from the config", () => {
    expect(tf.variable).toEqual({
      keyname: { type: "string", default: "my-key" },
      security_group_name: { type: "string", default: "keycloak-ec2-article-sg" },
      aws_instance_name: { type: "string", default: "keycloak-ec2-article" },
    });
  });

  it("leaves keyname without a default when the config names no key pair (Terraform then asks for it)", () => {
    expect(synthesize({ profile: "article" }).tf.variable.keyname).toEqual({ type: "string" });
  });

  it("outputs the public IP and DNS with the guide's descriptions", () => {
    expect(tf.output).toEqual({
      instance_ip: { value: "${aws_instance.ec2.public_ip}", description: "Public IP address" },
      instance_dns: { value: "${aws_instance.ec2.public_dns}", description: "Public DNS" },
    });
  });

  it("requires Terraform >= 1.2.8 and sets the provider's region from the config", () => {
    expect(tf.terraform.required_version).toBe(">= 1.2.8");
    expect(tf.terraform.required_providers.aws.source).toBe("hashicorp/aws");
    expect(tf.provider.aws).toEqual([{ region: "eu-west-3" }]);
  });

  it("follows config overrides of the guide's values", () => {
    const custom = synthesize({
      profile: "article",
      instanceType: "t3.micro",
      sshCidrs: ["203.0.113.0/24"],
      tags: { team: "id" },
    }).tf;
    expect(custom.resource.aws_instance.ec2.instance_type).toBe("t3.micro");
    expect(custom.resource.aws_security_group.sg.ingress[0]).toMatchObject({
      cidr_blocks: ["203.0.113.0/24"],
      ipv6_cidr_blocks: [],
    });
    expect(custom.provider.aws[0].default_tags).toEqual([{ tags: { team: "id" } }]);
  });
});
