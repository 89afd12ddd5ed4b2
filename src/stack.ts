import { Construct, Node } from "constructs";
import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TaggedCloudWorkspaces, TerraformElement, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KeycloakEc2Config } from "./config/schema";
import { requiredTerraformVersion } from "./config/terraform";
import { ARTICLE_AMI, articleUserData } from "./boot/article";
import { Network } from "./constructs/network";
import { Host } from "./constructs/host";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { isArm64InstanceType } from "./config/validate";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Secrets } from "./constructs/secrets";
import { KeycloakBootstrap } from "./constructs/keycloak-bootstrap";
import { parameterPrefix, SECRET_NAMES, secretsOf } from "./boot/secrets";
import { HTTPS_PORT } from "./boot/unit";

/**
 * Terraform runs in `cdktf.out/stacks/<name>`: a local state path relative to the project directory is written
 * relative to that directory, so the JSON holds no absolute path and the state stays out of `cdktf.out`.
 */
export const PROJECT_DIR_FROM_STACK_DIR = "../../..";

/**
 * The guide's resource names, by construct path: part of the article profile's contract (ops compare against its
 * main.tf). Looked up when cdktf allocates ids, so they hold however early a reference to the resource is taken.
 */
const ARTICLE_NAMES: Readonly<Record<string, string>> = {
  "network/default_vpc": "default",
  "network/security_group": "sg",
  "host/instance": "ec2",
};

/** The whole deployment: one stack, composed of one construct per concept. */
export class KeycloakStack extends TerraformStack {
  private readonly fixedNames: Readonly<Record<string, string>>;

  constructor(scope: Construct, config: KeycloakEc2Config) {
    super(scope, config.name);
    this.fixedNames = config.profile === "article" ? ARTICLE_NAMES : {};
    // Terraform reads a bare "aws" as hashicorp/aws; ops expect the full source address.
    this.addOverride("terraform.required_providers.aws.source", "hashicorp/aws");
    this.addOverride("terraform.required_version", `>= ${requiredTerraformVersion(config)}`);
    this.configureBackend(config);
    const tags = config.profile === "article" ? config.tags : { Application: "keycloak", Deployment: config.name, ManagedBy: "cdktf", ...config.tags };
    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: Object.keys(tags).length ? [{ tags }] : undefined,
    });
    if (config.profile === "article") this.composeArticle(config);
    else this.composeKeycloak({ ...config, profile: config.profile });
  }

  /** The guide's main.tf, variables.tf and outputs, resource for resource. */
  private composeArticle(config: KeycloakEc2Config): void {
    const keyname = new TerraformVariable(this, "keyname", { type: "string", default: config.keyName });
    const securityGroupName = new TerraformVariable(this, "security_group_name", { type: "string", default: config.securityGroupName });
    const instanceName = new TerraformVariable(this, "aws_instance_name", { type: "string", default: config.instanceName });

    const network = new Network(this, "network", {
      manageDefaultVpc: true,
      ruleStyle: "inline",
      securityGroupName: securityGroupName.stringValue,
      description: "Allow inbound traffic on port 8080 and 8443",
      ingress: [
        { port: 22, cidrs: config.sshCidrs, description: "open ssh port" },
        { port: 8080, cidrs: config.httpsCidrs, description: "open port 8080" },
        { port: 8443, cidrs: config.httpsCidrs, description: "open port 8443" },
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

  /** Dev and production: Keycloak on a hardened Amazon Linux 2023 host, reached over HTTPS only. */
  private composeKeycloak(config: KeycloakEc2Config & { profile: "dev" | "production" }): void {
    new RandomProvider(this, "random");
    const partition = new DataAwsPartition(this, "partition").partition;
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    const parameterArn = (name: string) => `arn:${partition}:ssm:${config.region}:${account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
    const architecture = isArm64InstanceType(config.instanceType) ? "arm64" : "x86_64";
    const ami = new DataAwsSsmParameter(this, "al2023_ami", {
      name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`,
    });

    const network = new Network(this, "network", {
      securityGroupName: config.securityGroupName,
      description: `Keycloak ${config.profile === "dev" ? "(dev mode) " : ""}on EC2: HTTPS on ${HTTPS_PORT}${config.sshCidrs.length ? ", SSH on 22" : ""}`,
      ingress: [
        { port: HTTPS_PORT, cidrs: config.httpsCidrs, description: "Keycloak HTTPS" },
        { port: 22, cidrs: config.sshCidrs, description: "SSH from the configured sshCidrs" },
      ],
      egress: { kind: "tcp", ports: [443], description: "HTTPS out: packages, container images, SSM and AWS APIs" },
    });
    const address = config.elasticIp ? new Eip(this, "address", { domain: "vpc", tags: { Name: config.instanceName } }) : undefined;
    const secrets = new Secrets(this, "secrets", { parameterPrefix: parameterPrefix(config.name), names: secretsOf(config.profile) });
    const bootstrap = new KeycloakBootstrap(this, "bootstrap", { config, publicDns: address?.publicDns, publicIp: address?.publicIp });
    const certificate = config.keycloak.tlsCertificate;

    const host = new Host(this, "host", {
      ami: ami.insecureValue,
      ignoreAmiChanges: !config.followLatestAmi,
      ignoreUserDataChanges: true,
      instanceType: config.instanceType,
      keyName: config.keyName,
      securityGroupIds: [network.securityGroup.id],
      userDataBase64: bootstrap.userDataBase64,
      name: config.instanceName,
      encryptedRootVolumeSize: config.rootVolumeSize,
      sessionManager: true,
      partition,
      detailedMonitoring: true,
      elasticIpAllocationId: address?.allocationId,
      readableParameterArns: [
        parameterArn(`${parameterPrefix(config.name)}/*`),
        ...(certificate ? [parameterArn(certificate.certificateParameter), parameterArn(certificate.privateKeyParameter)] : []),
      ],
      dependsOn: secrets.parameters,
    });

    this.keycloakOutputs(config, {
      publicIp: address?.publicIp ?? host.instance.publicIp,
      publicDns: address?.publicDns ?? host.instance.publicDns,
      instanceId: host.instance.id,
      adminPasswordParameter: secrets.parameterNames[SECRET_NAMES.adminPassword],
    });
  }

  /** What a user needs after deploy: where Keycloak is, how to log in, how to reach the host. */
  private keycloakOutputs(config: KeycloakEc2Config, host: { publicIp: string; publicDns: string; instanceId: string; adminPasswordParameter: string }): void {
    const url = `https://${config.keycloak.hostname ?? host.publicDns}:${HTTPS_PORT}`;
    const outputs: Record<string, { value: string; description: string }> = {
      instance_ip: { value: host.publicIp, description: "Public IP address" },
      instance_dns: { value: host.publicDns, description: "Public DNS" },
      keycloak_url: { value: url, description: "Keycloak's base URL (HTTPS)" },
      admin_console_url: { value: `${url}/admin/master/console/`, description: `Admin console; log in as "${config.keycloak.adminUser}"` },
      realm_issuer_url: { value: `${url}/realms/${config.keycloak.realm.name}`, description: "OpenID Connect issuer of the application realm (discovery at /.well-known/openid-configuration)" },
      admin_password_parameter: { value: host.adminPasswordParameter, description: "SSM SecureString parameter holding the admin password" },
      admin_password_command: {
        value: `aws ssm get-parameter --region ${config.region} --name ${host.adminPasswordParameter} --with-decryption --query Parameter.Value --output text`,
        description: "Prints the admin password (needs ssm:GetParameter on it)",
      },
      session_manager_command: { value: `aws ssm start-session --region ${config.region} --target ${host.instanceId}`, description: "Opens a shell on the instance through Session Manager (no SSH needed)" },
    };
    if (config.keyName && config.sshCidrs.length) {
      outputs.ssh_command = { value: `ssh -i ${config.keyName}.pem ec2-user@${host.publicDns}`, description: "SSH login (from the sshCidrs only)" };
    }
    for (const [id, output] of Object.entries(outputs)) new TerraformOutput(this, id, output);
  }

  private configureBackend(config: KeycloakEc2Config): void {
    const backend = config.backend;
    switch (backend.type) {
      case "local":
        new LocalBackend(this, { path: `${PROJECT_DIR_FROM_STACK_DIR}/${backend.path ?? `terraform.${config.name}.tfstate`}` });
        return;
      case "s3": {
        new S3Backend(this, {
          bucket: backend.bucket,
          key: backend.key,
          region: backend.region,
          encrypt: backend.encrypt,
          kmsKeyId: backend.kmsKeyId,
          dynamodbTable: backend.dynamodbTable,
          profile: backend.profile,
        });
        // cdktf 0.21's S3Backend has no use_lockfile (Terraform 1.10+): set it on the backend block directly.
        if (backend.useLockfile) this.addOverride("terraform.backend.s3.use_lockfile", true);
        return;
      }
      case "cloud":
        new CloudBackend(this, {
          organization: backend.organization,
          hostname: backend.hostname,
          workspaces: backend.workspace ? new NamedCloudWorkspace(backend.workspace) : new TaggedCloudWorkspaces([...backend.workspaceTags!]),
        });
        return;
    }
  }

  /**
   * Readable logical ids: the construct path below the stack joined with `_` (`keycloak_network_security_group`),
   * instead of cdktf's hashed default, so that ops reading the HCL see what each resource is.
   */
  protected allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const components = node.scopes.slice(node.scopes.indexOf(this) + 1).map((scope) => scope.node.id);
    return this.fixedNames[components.join("/")] ?? components.join("_").replace(/[^A-Za-z0-9_-]/g, "_");
  }
}
