import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { ClusterConfig } from "../config/schema";
import { NODE_STATUS_PREFIX } from "../constructs/keycloak-bootstrap";
import { KeycloakCluster } from "../constructs/keycloak-cluster";
import { DeploymentStack, deploymentStackProps } from "./deployment-stack";

/** The construct id of the cluster: left out of the Terraform names (`hosts_group`, not `keycloak_hosts_group`). */
const CLUSTER_ID = "keycloak";

/**
 * The cluster profile from a config: the backend and providers, the `KeycloakCluster`, and the outputs a user needs.
 * Its values are written from the config (no Terraform variables): the load balancer's rules and the group's sizes
 * are structure, and a change of any of them is a new synth and a rolling refresh.
 */
export class KeycloakClusterStack extends DeploymentStack {
  public readonly cluster: KeycloakCluster;

  constructor(scope: Construct, config: ClusterConfig) {
    super(scope, deploymentStackProps(config, CLUSTER_ID));
    new RandomProvider(this, "random");
    this.cluster = new KeycloakCluster(this, CLUSTER_ID, {
      deploymentName: config.name,
      hostname: config.keycloak.hostname,
      dnsZone: config.dnsZone,
      httpsCidrs: config.httpsCidrs,
      adminCidrs: config.adminCidrs,
      vpcId: config.vpcId,
      subnetIds: config.subnetIds,
      instanceType: config.instanceType,
      rootVolumeSize: config.rootVolumeSize,
      size: config.cluster,
      database: config.database,
      backupRetentionDays: config.backupRetentionDays,
      dataProtection: config.dataProtection,
      accessLogs: config.accessLogs.enabled ? { retainDays: config.accessLogs.retainDays } : undefined,
      keycloakVersion: config.keycloak.version,
      adminUser: config.keycloak.adminUser,
      realm: config.keycloak.realm,
    });
    this.outputs(config);
  }

  private outputs(config: ClusterConfig): void {
    const cluster = this.cluster;
    const adminPasswordParameter = cluster.adminPasswordParameter.name;
    const group = cluster.hosts.autoScalingGroup.name;
    const outputs: Record<string, { value: string; description: string }> = {
      keycloak_url: { value: cluster.url, description: "Keycloak's base URL (HTTPS, the load balancer)" },
      admin_console_url: {
        value: cluster.adminConsoleUrl,
        description: `Admin console (from adminCidrs); log in as "${config.keycloak.adminUser}"`,
      },
      realm_issuer_url: {
        value: cluster.realmIssuerUrl,
        description: "OpenID Connect issuer of the application realm (discovery at /.well-known/openid-configuration)",
      },
      admin_password_parameter: {
        value: adminPasswordParameter,
        description: "SSM SecureString parameter holding the admin password",
      },
      admin_password_command: {
        value: `aws ssm get-parameter --region ${cluster.region} --name ${adminPasswordParameter} --with-decryption --query Parameter.Value --output text`,
        description: "Prints the admin password (needs ssm:GetParameter on it)",
      },
      load_balancer_dns: {
        value: cluster.loadBalancer.loadBalancer.dnsName,
        description: "The load balancer's own DNS name (the hostname is an alias of it)",
      },
      autoscaling_group: { value: group, description: "The Auto Scaling group of the Keycloak nodes" },
      instances_command: {
        value: `aws ec2 describe-instances --region ${cluster.region} --filters Name=tag:aws:autoscaling:groupName,Values=${group} Name=instance-state-name,Values=running --query "Reservations[].Instances[].InstanceId" --output text`,
        description: "Lists the running nodes (for aws ssm start-session --target <id>)",
      },
      database_endpoint: { value: cluster.database.endpoint, description: "The database's endpoint (TLS required)" },
      region: { value: cluster.region, description: "AWS region of the deployment" },
      backup_bucket: {
        value: cluster.bucket.bucket.bucket,
        description: "S3 bucket of the boot bundle and the nodes' reports",
      },
      node_status_prefix: {
        value: NODE_STATUS_PREFIX,
        description:
          "Key prefix in backup_bucket of each node's report of what it last applied, <prefix><instance id>.json (npm run wait reads them)",
      },
      boot_bundle_sha256: {
        value: cluster.bootstrap.bundleSha256,
        description: "SHA-256 of the boot bundle this apply delivered; the nodes report the hash they ran",
      },
    };
    for (const [id, output] of Object.entries(outputs)) new TerraformOutput(this, id, output);
  }
}
