/**
 * keycloak-ec2 as a library: the constructs to compose into your own cdktf stacks, the stacks this project
 * synthesizes, and its configuration loading. Import provider classes by deep path in your own code too
 * (`@cdktf/provider-aws/lib/provider`): the package root loads every AWS resource.
 */

// Constructs
export { KeycloakServer } from "./constructs/keycloak-server";
export type { KeycloakServerProps, KeycloakServerTls } from "./constructs/keycloak-server";
export { DnsName } from "./constructs/dns-name";
export type { DnsNameProps } from "./constructs/dns-name";
export { KeycloakCluster } from "./constructs/keycloak-cluster";
export type { KeycloakClusterProps } from "./constructs/keycloak-cluster";
export { ClusterNetwork, CLUSTER_PORTS } from "./constructs/cluster-network";
export type { ClusterNetworkProps } from "./constructs/cluster-network";
export { LoadBalancer } from "./constructs/load-balancer";
export type { LoadBalancerProps } from "./constructs/load-balancer";
export { ClusterDatabase } from "./constructs/cluster-database";
export type {
  ClusterDatabaseEngine,
  ClusterDatabaseNetwork,
  ClusterDatabaseProps,
} from "./constructs/cluster-database";
export { ClusterHosts, launchHookOf } from "./constructs/cluster-hosts";
export type { ClusterHostsNetwork, ClusterHostsProps } from "./constructs/cluster-hosts";
export { Network } from "./constructs/network";
export type { EgressPolicy, IngressRule, NetworkProps } from "./constructs/network";
export { Host } from "./constructs/host";
export type { HostProps, IParameterReader, IRolePolicyHolder } from "./constructs/host";
export { Secrets } from "./constructs/secrets";
export type { SecretsProps } from "./constructs/secrets";
export { DataVolume, DATA_DEVICE_NAME } from "./constructs/data-volume";
export type { DataVolumeProps } from "./constructs/data-volume";
export { BackupBucket } from "./constructs/backup-bucket";
export type { BackupBucketProps } from "./constructs/backup-bucket";
export { SnapshotPolicy } from "./constructs/snapshot-policy";
export type { SnapshotPolicyProps } from "./constructs/snapshot-policy";
export {
  BOOT_STATUS_KEY,
  BUCKET_PREFIXES,
  KeycloakBootstrap,
  NODE_STATUS_PREFIX,
} from "./constructs/keycloak-bootstrap";
export type { KeycloakBootstrapProps } from "./constructs/keycloak-bootstrap";
export type { BootInput } from "./boot/boot-files";
export type { RealmSettings } from "./boot/realm";
export type { InstanceMode, KeycloakMode } from "./boot/unit";
export * from "./defaults";

// Stacks
export { DeploymentStack, KeycloakClusterStack, KeycloakStack, stackFor } from "./stacks";
export type { DeploymentStackProps } from "./stacks/deployment-stack";
export { ArticleStack } from "./article/stack";

// Configuration
export { loadConfig } from "./config/load";
export type { ConfigFlags, ConfigSources, LoadedConfig } from "./config/load";
export { validateConfig } from "./config/validate";
export type { Overrides, ValidatedConfig } from "./config/validate";
export type * from "./config/schema";
export { UserError } from "./errors";
