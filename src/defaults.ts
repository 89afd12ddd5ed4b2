/**
 * Defaults shared by the configuration (what a config file leaves out) and the constructs (what a library user
 * leaves out), so that both mean the same deployment.
 */

/** The version of quay.io/keycloak/keycloak this release is tested with. */
export const DEFAULT_KEYCLOAK_VERSION = "26.7.4";

/** The deployment name: stack id, SSM path `/<name>/keycloak`, prefix of resource names. */
export const DEFAULT_NAME = "keycloak-ec2";

/**
 * The deployment name of each profile when the config gives none: the name makes the state file, the SSM path and
 * the security group's name, so one name for all three would let `--profile dev` plan over a production deployment.
 */
export const DEFAULT_NAMES = {
  production: DEFAULT_NAME,
  dev: `${DEFAULT_NAME}-dev`,
  article: `${DEFAULT_NAME}-article`,
  cluster: `${DEFAULT_NAME}-cluster`,
} as const;

/** 2 GiB: Keycloak's JVM and PostgreSQL fit, with a swap file for spikes. */
export const DEFAULT_INSTANCE_TYPE = "t3.small";

/** 4 GiB: a cluster node runs no database, but its distributed caches hold what a node's share of the sessions is. */
export const DEFAULT_CLUSTER_INSTANCE_TYPE = "t3.medium";

/** The cluster's sizes: two nodes in two zones (no single point of failure), room for two more. */
export const DEFAULT_CLUSTER_SIZE = { minSize: 2, desiredCapacity: 2, maxSize: 4, cpuTarget: 60 } as const;

/** Days the cluster's load balancer access logs are kept, when enabled. */
export const DEFAULT_ACCESS_LOG_DAYS = 90;

/** The cluster's database: RDS for PostgreSQL, a burstable Graviton class, Multi-AZ. */
export const DEFAULT_CLUSTER_DATABASE = {
  engine: "postgres",
  instanceClass: "db.t4g.medium",
  multiAz: true,
  allocatedStorage: 20,
} as const;

/**
 * The oldest Keycloak a cluster runs: the jdbc-ping cache stack (discovery through the database; a VPC carries no
 * multicast) came in 26.1, and rolling updates across patch releases, which the Auto Scaling group's instance
 * refresh does, are supported by default from 26.6 (Keycloak's release notes; /work/research facts, issue 12).
 */
export const MIN_CLUSTER_KEYCLOAK_VERSION = "26.6.0";

/** Size of the encrypted root volume, GiB. */
export const DEFAULT_ROOT_VOLUME_SIZE = 20;

/** User name of the bootstrap administrator of the master realm. */
export const DEFAULT_ADMIN_USER = "admin";

/**
 * The demo realm: an SPA and a BFF on localhost (a laptop demo that works at once; production warns about them), a
 * service client. The SPA's web origins are `+`, Keycloak's "the origins of the redirect URIs", so that giving only
 * redirect URIs leaves no stale origin behind.
 */
export const DEFAULT_REALM = {
  name: "app",
  spa: { clientId: "spa", redirectUris: ["http://localhost:5173/*"], webOrigins: ["+"] },
  bff: { clientId: "bff", redirectUris: ["http://localhost:3000/*"] },
  service: { clientId: "service" },
} as const;

/** Size of the encrypted data volume, GiB: PostgreSQL of a Keycloak with tens of thousands of users fits. */
export const DEFAULT_DATA_VOLUME_SIZE = 10;

/** Days the daily snapshots and logical backups are kept. */
export const DEFAULT_BACKUP_RETENTION_DAYS = 14;

/**
 * How the HTTPS proxy in front of Keycloak gets its certificate. `acme`: from an ACME CA (Let's Encrypt by default),
 * renewed by the proxy; `self-signed`: made at boot; `supplied`: the user's own, from SSM parameters.
 */
export const TLS_MODES = ["acme", "self-signed", "supplied"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** Let's Encrypt's ACME directories. Staging has far higher rate limits and an untrusted root: for trials. */
export const LETS_ENCRYPT = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/**
 * The ACME profile (draft-ietf-acme-profiles) Let's Encrypt issues IP-address certificates under: about 6 days
 * (160 hours), renewed by the proxy when a third of it is left, or earlier when the CA's renewal information says so.
 */
export const SHORTLIVED_PROFILE = "shortlived";
