import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { ArticleConfig } from "../config/schema";
import { requiredTerraformVersion } from "../config/terraform";
import { Host } from "../constructs/host";
import { Network } from "../constructs/network";
import { DeploymentStack } from "../stacks/deployment-stack";
import { ARTICLE_AMI } from "../aws/article-ami";
import { articleUserData } from "./user-data";

/**
 * The guide's resource names, by construct path: part of the article profile's contract (ops compare against its
 * main.tf).
 */
const ARTICLE_NAMES: Readonly<Record<string, string>> = {
  "network/default_vpc": "default",
  "network/security_group": "sg",
  "host/instance": "ec2",
};

/** The guide's main.tf, providers.tf and variables.tf, resource for resource. */
export class ArticleStack extends DeploymentStack {
  constructor(scope: Construct, config: ArticleConfig) {
    super(scope, {
      name: config.name,
      region: config.region,
      backend: config.backend,
      requiredTerraformVersion: requiredTerraformVersion(config),
      tags: config.tags,
      fixedNames: ARTICLE_NAMES,
    });
    const keyname = new TerraformVariable(this, "keyname", { type: "string", default: config.keyName });
    const securityGroupName = new TerraformVariable(this, "security_group_name", {
      type: "string",
      default: config.securityGroupName,
    });
    const instanceName = new TerraformVariable(this, "aws_instance_name", {
      type: "string",
      default: config.instanceName,
    });

    const network = new Network(this, "network", {
      manageDefaultVpc: true,
      ruleStyle: "inline",
      securityGroupName: securityGroupName.stringValue,
      description: "Allow inbound traffic on port 8080 and 8443",
      ingress: [
        { id: "ssh", port: 22, cidrs: config.sshCidrs, description: "open ssh port" },
        { id: "http", port: 8080, cidrs: config.httpsCidrs, description: "open port 8080" },
        { id: "https", port: 8443, cidrs: config.httpsCidrs, description: "open port 8443" },
      ],
      egress: { kind: "all" },
    });
    const host = new Host(this, "host", {
      ami: ARTICLE_AMI,
      instanceType: config.instanceType,
      keyName: keyname.stringValue,
      securityGroupIds: [network.securityGroup.id],
      userData: articleUserData(),
      name: instanceName.stringValue,
      requireImdsv2: false,
    });

    new TerraformOutput(this, "instance_ip", { value: host.instance.publicIp, description: "Public IP address" });
    new TerraformOutput(this, "instance_dns", { value: host.instance.publicDns, description: "Public DNS" });
  }
}
