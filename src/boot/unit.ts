/**
 * What Keycloak runs as: `start-dev` with its embedded database, `start` on a local PostgreSQL (both one instance,
 * behind Caddy), or `cluster`: `start` as one node of several behind a load balancer, on Amazon RDS.
 */
export type KeycloakMode = "dev" | "production" | "cluster";

/** The modes of one instance with its own proxy and data volume. */
export type InstanceMode = Exclude<KeycloakMode, "cluster">;

/**
 * Keycloak's plain-HTTP port, on 127.0.0.1 only: the proxy (./proxy.ts) terminates TLS in front of it and the boot
 * calls the admin API on it directly. A cluster node listens on all its addresses, for the load balancer.
 */
export const KEYCLOAK_HTTP_PORT = 8080;

/** Where the boot puts things on the host, and where the container sees them. */
export const PATHS = {
  settings: "/etc/keycloak-ec2/boot.env",
  /** The boot's scripts, side by side. */
  scriptsDir: "/opt/keycloak-ec2",
  script: "/opt/keycloak-ec2/keycloak-boot.sh",
  /** Sizes the container and the heap before every start of the unit. */
  memoryScript: "/opt/keycloak-ec2/keycloak-memory.sh",
  /** What the memory script writes, and the unit reads: recomputed at every start, so under /run. */
  memoryEnv: "/run/keycloak-ec2/memory.env",
  unit: "/etc/systemd/system/keycloak.service",
  importDir: "/opt/keycloak-ec2/import",
  /** cluster: the region's RDS CA bundle (root's, 0644), and where the container reads it. */
  rdsCaBundle: "/etc/keycloak-ec2/rds-ca-bundle.pem",
  containerRdsCaBundle: "/opt/keycloak/conf/rds-ca-bundle.pem",
} as const;

/**
 * The database and the PostgreSQL user Keycloak connects as: the local role the boot makes in production, the RDS
 * master user in the cluster (src/constructs/cluster-database.ts). Its password is the SSM secret `db-password`.
 */
export const DATABASE_NAME = "keycloak";
export const DATABASE_USERNAME = "keycloak";

/**
 * cluster: the largest database connection pool of one node. Keycloak's default is 100 per node; RDS allows about
 * 410 connections on a 4 GiB class (`LEAST(DBInstanceClassMemory/9531392, 5000)`), which 4 nodes of 100 would all
 * but take. 30 per node serves what a 2-vCPU node can do (Keycloak's sizing guide: 15 password logins per second
 * and vCPU) and leaves room for 8 nodes, an instance refresh's extra ones and an operator's session.
 */
export const CLUSTER_DB_POOL_MAX_SIZE = 30;

export function keycloakImage(version: string): string {
  return `quay.io/keycloak/keycloak:${version}`;
}

/**
 * The systemd unit that runs Keycloak in Docker: restarts on failure, starts after Docker (and PostgreSQL in
 * production), survives reboots. Host networking reaches PostgreSQL on localhost. Keycloak serves plain HTTP on
 * 127.0.0.1 only, behind the proxy, as Keycloak's reverse-proxy guide (https://www.keycloak.org/server/reverseproxy)
 * sets it up: the proxy's X-Forwarded-* headers trusted, and the public URL fixed by `--hostname` (hostname guide,
 * https://www.keycloak.org/server/hostname), so that tokens and redirects name `https://<host>` whatever address a
 * request came in on. The management interface (health, metrics) is on 127.0.0.1 too. `${KEYCLOAK_IMAGE}` and `${KEYCLOAK_URL}` come from runtime.env,
 * written at boot, so the unit does not change with the Keycloak version (a Terraform reference in the settings);
 * the memory limits and heap from memory.env, written before every start by the memory script.
 *
 * Production runs `start --optimized` on the image the boot built with the build-time options, and passes only
 * runtime options; dev runs `start-dev`, which builds for itself. Both use the local cache: one node, no cluster.
 *
 * The cluster runs the built image too, as one node of several behind the load balancer, which terminates TLS: see
 * {@link clusterOptions}.
 */
export function keycloakUnit(mode: KeycloakMode): string {
  const production = mode === "production";
  const cluster = mode === "cluster";
  const after = production
    ? "docker.service postgresql.service network-online.target"
    : "docker.service network-online.target";
  const run = [
    // The image's own user (uid 1000, group 0), written out.
    // --pull=never: the image is local (built or pulled by the boot); a missing one is an error, not a download.
    "/usr/bin/docker run --rm --pull=never --name keycloak --network host --user 1000:0",
    "--memory ${KEYCLOAK_MEMORY} --memory-swap ${KEYCLOAK_MEMORY_SWAP}",
    // From the unit's environment (memory.env) into the container's, where kc.sh reads it.
    "--env JAVA_OPTS_KC_HEAP",
    "--env-file /etc/keycloak-ec2/keycloak.env",
    // dev: the embedded H2 database on the data volume (keycloak-data.sh makes the directory, owned 1000:0).
    ...(mode === "dev" ? ["--volume /srv/keycloak-ec2/keycloak:/opt/keycloak/data"] : []),
    ...(cluster ? [`--volume ${PATHS.rdsCaBundle}:${PATHS.containerRdsCaBundle}:ro`] : []),
    `--volume ${PATHS.importDir}:/opt/keycloak/data/import:ro`,
    `\${KEYCLOAK_IMAGE} ${mode === "dev" ? "start-dev" : "start --optimized"}`,
    ...(cluster ? clusterOptions() : singleInstanceOptions(production)),
    "--import-realm",
  ];
  return [
    "[Unit]",
    `Description=Keycloak in Docker (${
      cluster ? "a node of the cluster" : production ? "production mode" : "dev mode, not for production"
    }), managed by keycloak-ec2`,
    "Documentation=https://www.keycloak.org/server/containers",
    `After=${after}`,
    `Requires=${after.replace(" network-online.target", "")}`,
    "Wants=network-online.target",
    "",
    "[Service]",
    "EnvironmentFile=/etc/keycloak-ec2/runtime.env",
    "# Written by the first ExecStartPre and read for ExecStart: systemd reads an EnvironmentFile once the previous",
    "# unit state has ended (systemd.exec(5)). Optional, as it is missing until that first command has run.",
    `EnvironmentFile=-${PATHS.memoryEnv}`,
    `ExecStartPre=${PATHS.memoryScript} ${mode}`,
    "ExecStartPre=-/usr/bin/docker rm --force keycloak",
    `ExecStart=${run.join(" \\\n  ")}`,
    "ExecStop=/usr/bin/docker stop --time 30 keycloak",
    "Restart=on-failure",
    "RestartSec=10s",
    "TimeoutStopSec=60s",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** dev and production: one node, behind Caddy on the same host. */
function singleInstanceOptions(production: boolean): string[] {
  return [
    // A single node: Keycloak's local caches instead of the clustered Infinispan stack (a runtime option in 26).
    "--cache=local",
    // The public URL, https://<host> without a port: the proxy's.
    "--hostname=${KEYCLOAK_URL}",
    // TLS ends at the proxy; Keycloak listens on loopback, where only the proxy (and the boot) reach it.
    "--http-enabled=true",
    "--http-host=127.0.0.1",
    `--http-port=${KEYCLOAK_HTTP_PORT}`,
    // The proxy sets X-Forwarded-For/-Proto/-Host itself and drops the clients' own (./proxy.ts); Keycloak reads
    // them only from loopback, where the proxy connects from (Keycloak's reverse-proxy guide, "Trusted proxies").
    "--proxy-headers=xforwarded",
    "--proxy-trusted-addresses=127.0.0.1,::1",
    ...(production
      ? [`--db-url=jdbc:postgresql://localhost:5432/${DATABASE_NAME}`, `--db-username=${DATABASE_USERNAME}`]
      : ["--health-enabled=true", "--metrics-enabled=true"]),
    "--http-management-host=127.0.0.1",
  ];
}

/**
 * The cluster's runtime options (the build-time ones, db, health and metrics, are baked into the image; cache and
 * cache-stack are runtime options since Keycloak 25 and the build refuses them). The values the boot knows only at
 * boot come from runtime.env: the database's host and port, the VPC's CIDRs and the node's private address.
 */
function clusterOptions(): string[] {
  return [
    // Infinispan's distributed caches, the nodes finding each other through the database (the JGROUPS_PING table):
    // jdbc-ping, TCP, exists from Keycloak 26.1. Named rather than left to the default, which was UDP (multicast,
    // which a VPC does not carry) before, and was planned as jdbc-ping-udp for 26.1 (keycloak#34265): an older
    // Keycloak then refuses the value at start instead of forming no cluster.
    "--cache=ispn",
    "--cache-stack=jdbc-ping",
    // JGroups (TCP 7800, failure detection 57800) on the instance's private address, which the boot reads from the
    // instance metadata: left to itself (SITE_LOCAL) it may pick Docker's bridge, 172.17.0.1, site-local too.
    // Keycloak's own option (26.4+; a cluster needs 26.6): with it Keycloak configures the transport itself.
    "--cache-embedded-network-bind-address=${KEYCLOAK_BIND_ADDRESS}",
    "--hostname=${KEYCLOAK_URL}",
    // The load balancer terminates TLS and speaks HTTP to 8080; the security group admits only the load balancer.
    "--http-enabled=true",
    "--http-host=0.0.0.0",
    `--http-port=${KEYCLOAK_HTTP_PORT}`,
    // The ALB sets X-Forwarded-For/-Proto/-Port; Keycloak reads them only from the VPC's addresses, where the load
    // balancer's nodes are. The ALB appends to a client's own X-Forwarded-For and Keycloak reads its first entry, so
    // the client address in events can be spoofed (keycloak#13261): README.md, "The cluster".
    "--proxy-headers=xforwarded",
    "--proxy-trusted-addresses=${KEYCLOAK_TRUSTED_PROXIES}",
    // TLS to RDS, the server's name checked against the region's RDS CA bundle (pgJDBC's verify-full): works on every
    // Keycloak 26 (the db-tls-* options only came with 26.6). The user is the database's master user, its password
    // (KC_DB_PASSWORD, the env file) the SSM secret db-password that Terraform generated.
    `--db-url=jdbc:postgresql://\${KEYCLOAK_DB_HOST}:\${KEYCLOAK_DB_PORT}/${DATABASE_NAME}?sslmode=verify-full&sslrootcert=${PATHS.containerRdsCaBundle}`,
    `--db-username=${DATABASE_USERNAME}`,
    `--db-pool-max-size=${CLUSTER_DB_POOL_MAX_SIZE}`,
    // Health (/health/ready, with the database check) for the load balancer's health check on 9000.
    "--http-management-host=0.0.0.0",
  ];
}
