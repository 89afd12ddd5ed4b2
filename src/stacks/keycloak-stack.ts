import { Construct } from "constructs";
import { Fn, Op, TerraformOutput, TerraformVariable, Token } from "cdktf";
import { BOOT_STATUS_KEY, BUCKET_PREFIXES } from "../constructs/keycloak-bootstrap";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { ServerConfig } from "../config/schema";
import { KeycloakServer } from "../constructs/keycloak-server";
import { networkAddressOf } from "../aws/cidr";
import { DeploymentStack, deploymentStackProps } from "./deployment-stack";

/** The construct id of the server: left out of the Terraform names (`host_instance`, not `keycloak_host_instance`). */
const SERVER_ID = "keycloak";

/**
 * A dev or production deployment from a config: the backend and providers, Terraform variables for the values ops
 * may vary without changing the structure (a Terraform Cloud workspace can set them), the `KeycloakServer`, and the
 * outputs a user needs after deploy.
 */
export class KeycloakStack extends DeploymentStack {
  public readonly server: KeycloakServer;

  constructor(scope: Construct, config: ServerConfig) {
    super(scope, deploymentStackProps(config, SERVER_ID));
    new RandomProvider(this, "random");
    const variables = this.variables(config);

    this.server = new KeycloakServer(this, SERVER_ID, {
      mode: config.profile,
      deploymentName: config.name,
      instanceType: variables.instanceType.stringValue,
      subnetId: config.subnetId,
      vpcId: config.vpcId,
      keyName: config.keyName,
      sshCidrs: config.sshCidrs,
      httpsCidrs: variables.httpsCidrs.listValue,
      // null (the default when the config leaves adminCidrs out): whoever httpsCidrs lets in.
      adminCidrs: Token.asList(
        Fn.conditional(
          Op.eq(variables.adminCidrs.listValue, Token.nullValue()),
          variables.httpsCidrs.listValue,
          variables.adminCidrs.listValue,
        ),
      ),
      securityGroupName: config.securityGroupName,
      instanceName: config.instanceName,
      rootVolumeSize: variables.rootVolumeSize.numberValue,
      elasticIp: config.elasticIp,
      followLatestAmi: config.followLatestAmi,
      dataVolumeSize: config.dataVolumeSize,
      availabilityZone: config.availabilityZone,
      dataProtection: config.dataProtection,
      backupRetentionDays: config.backupRetentionDays,
      keycloakVersion: variables.keycloakVersion.stringValue,
      hostname: config.keycloak.hostname,
      dnsZone: config.dnsZone,
      tls: config.keycloak.tls,
      adminUser: config.keycloak.adminUser,
      tlsCertificate: config.keycloak.tlsCertificate,
      realm: config.keycloak.realm,
    });
    this.outputs(config);
  }

  /** Values that do not change the stack's structure, as variables whose defaults are the config's values. */
  private variables(config: ServerConfig) {
    return {
      instanceType: new TerraformVariable(this, "instance_type", {
        type: "string",
        nullable: false,
        default: config.instanceType,
        description:
          "EC2 instance type. Keep its architecture (x86_64, or arm64 for Graviton types): the plan refuses the other one. A change stops and starts the instance; Keycloak's memory is sized again at start.",
        validation: [
          {
            condition: '${can(regex("^[a-z][a-z0-9-]*\\\\.[a-z0-9]+$", var.instance_type))}',
            errorMessage: "instance_type must be an EC2 instance type such as t3.small.",
          },
          {
            condition: '${!can(regex("^(a1|c1|m1|m2|t1|mac[0-9a-z-]*)\\\\.", var.instance_type))}',
            errorMessage:
              "instance_type must be of a family Amazon Linux 2023 runs on (not a1, c1, m1, m2, t1 or a Mac).",
          },
        ],
      }),
      httpsCidrs: new TerraformVariable(this, "https_cidrs", {
        type: "list(string)",
        nullable: false,
        // Written as Terraform writes networks (lower case, zeros compressed), which the validation below compares with.
        default: config.httpsCidrs.map((cidr) => networkAddressOf(cidr) ?? cidr),
        description:
          'IPv4 and IPv6 network CIDRs allowed on HTTPS port 443 (in a Terraform Cloud workspace, an HCL list such as ["203.0.113.0/24"]).',
        validation: [
          {
            condition: "${length(var.https_cidrs) > 0}",
            errorMessage: "https_cidrs must not be empty: nobody could reach Keycloak.",
          },
          {
            condition:
              "${alltrue([for cidr in var.https_cidrs : can(cidrhost(cidr, 0)) && try(cidrsubnet(cidr, 0, 0) == lower(cidr), false)])}",
            errorMessage:
              "Each of https_cidrs must be an IPv4 or IPv6 network CIDR, host bits zero and zeros compressed, such as 203.0.113.0/24 or 2001:db8::/32.",
          },
        ],
      }),
      adminCidrs: new TerraformVariable(this, "admin_cidrs", {
        type: "list(string)",
        nullable: true,
        // null, written out: a variable without a default is required, and cdktf plans with -input=false.
        default: config.adminCidrs?.map((cidr) => networkAddressOf(cidr) ?? cidr) ?? Token.nullValue(),
        description:
          "IPv4 and IPv6 network CIDRs that may reach the admin console and admin REST API (/admin/); the proxy answers 403 to anyone else, and they must also be within https_cidrs to reach port 443. null: the https_cidrs; []: nobody.",
        validation: [
          {
            condition:
              "${alltrue([for cidr in (var.admin_cidrs == null ? [] : var.admin_cidrs) : can(cidrhost(cidr, 0)) && try(cidrsubnet(cidr, 0, 0) == lower(cidr), false)])}",
            errorMessage:
              "Each of admin_cidrs must be an IPv4 or IPv6 network CIDR, host bits zero and zeros compressed, such as 203.0.113.0/24 or 2001:db8::/32.",
          },
        ],
      }),
      rootVolumeSize: new TerraformVariable(this, "root_volume_size", {
        type: "number",
        nullable: false,
        default: config.rootVolumeSize,
        description:
          "Size of the encrypted gp3 root volume, in GiB. It can only grow (EBS cannot shrink a volume); the file system grows at the next boot.",
        validation: [
          {
            condition:
              "${var.root_volume_size >= 8 && var.root_volume_size <= 16384 && floor(var.root_volume_size) == var.root_volume_size}",
            errorMessage: "root_volume_size must be a whole number of GiB from 8 to 16384.",
          },
        ],
      }),
      keycloakVersion: new TerraformVariable(this, "keycloak_version", {
        type: "string",
        nullable: false,
        default: config.keycloak.version,
        description:
          "Exact tag of quay.io/keycloak/keycloak, a 26.x release. A change is applied in place: the running instance takes a backup, starts the new version and goes back if it does not become ready (docs/operations.md).",
        validation: [
          {
            condition: '${can(regex("^26\\\\.[0-9]+\\\\.[0-9]+$", var.keycloak_version))}',
            errorMessage: "keycloak_version must be an exact Keycloak 26.x release such as 26.7.4.",
          },
        ],
      }),
    };
  }

  /** What a user needs after deploy: where Keycloak is, how to log in, how to reach the host. */
  private outputs(config: ServerConfig): void {
    const server = this.server;
    const adminPasswordParameter = server.adminPasswordParameter.name;
    const outputs: Record<string, { value: string | number; description: string }> = {
      instance_ip: { value: server.publicIp, description: "Public IP address" },
      instance_dns: { value: server.publicDns, description: "Public DNS" },
      keycloak_url: { value: server.url, description: "Keycloak's base URL (HTTPS)" },
      admin_console_url: {
        value: server.adminConsoleUrl,
        description: `Admin console; log in as "${config.keycloak.adminUser}"`,
      },
      realm_issuer_url: {
        value: server.realmIssuerUrl,
        description: "OpenID Connect issuer of the application realm (discovery at /.well-known/openid-configuration)",
      },
      admin_password_parameter: {
        value: adminPasswordParameter,
        description: "SSM SecureString parameter holding the admin password",
      },
      admin_password_command: {
        value: `aws ssm get-parameter --region ${server.region} --name ${adminPasswordParameter} --with-decryption --query Parameter.Value --output text`,
        description: "Prints the admin password (needs ssm:GetParameter on it)",
      },
      session_manager_command: {
        value: `aws ssm start-session --region ${server.region} --target ${server.instance.id}`,
        description: "Opens a shell on the instance through Session Manager (no SSH needed)",
      },
      instance_id: {
        value: server.instance.id,
        description: "EC2 instance id (Session Manager and Run Command target)",
      },
      region: { value: server.region, description: "AWS region of the deployment" },
      data_volume_id: {
        value: server.dataVolume.volume.id,
        description: "EBS data volume (PostgreSQL, TLS material): kept when the instance is replaced",
      },
      backup_bucket: {
        value: server.bucket.bucket.bucket,
        description: "S3 bucket of the logical backups, the boot bundle and Run Command output",
      },
      backup_prefix: {
        value: BUCKET_PREFIXES.backups,
        description: "Key prefix of the logical backups in backup_bucket",
      },
      boot_status_key: {
        value: BOOT_STATUS_KEY,
        description: "Key in backup_bucket of the boot's report of what it last applied (npm run wait reads it)",
      },
      boot_bundle_sha256: {
        value: server.bootstrap.bundleSha256,
        description: "SHA-256 of the boot bundle this apply delivered; the boot reports the hash it ran",
      },
      // What a later change is compared with (npm run synth, diff and deploy warn before a replacement).
      availability_zone: {
        value: server.instance.availabilityZone,
        description: "Availability zone of the instance and its data volume",
      },
      key_name: {
        value: server.instance.keyName,
        description: "EC2 key pair of the instance, empty without one (a change replaces the instance)",
      },
      data_volume_size: {
        value: server.dataVolume.volume.size,
        description: "Size of the data volume in GiB (it can grow, never shrink)",
      },
    };
    if (config.keyName && config.sshCidrs.length) {
      outputs.ssh_command = {
        value: `ssh -i ${config.keyName}.pem ec2-user@${server.publicDns}`,
        description: "SSH login (from the sshCidrs only)",
      };
    }
    for (const [id, output] of Object.entries(outputs)) new TerraformOutput(this, id, output);
  }
}
