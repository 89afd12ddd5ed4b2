/** What Keycloak runs as: `start-dev` with its embedded database, or `start` on PostgreSQL. */
export type KeycloakMode = "dev" | "production";

/**
 * Keycloak's plain-HTTP port, on 127.0.0.1 only: the proxy (./proxy.ts) terminates TLS in front of it and the boot
 * calls the admin API on it directly.
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
} as const;

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
 */
export function keycloakUnit(mode: KeycloakMode): string {
  const production = mode === "production";
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
    ...(production ? [] : ["--volume /srv/keycloak-ec2/keycloak:/opt/keycloak/data"]),
    `--volume ${PATHS.importDir}:/opt/keycloak/data/import:ro`,
    `\${KEYCLOAK_IMAGE} ${production ? "start --optimized" : "start-dev"}`,
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
      ? ["--db-url=jdbc:postgresql://localhost:5432/keycloak", "--db-username=keycloak"]
      : ["--health-enabled=true", "--metrics-enabled=true"]),
    "--http-management-host=127.0.0.1",
    "--import-realm",
  ];
  return [
    "[Unit]",
    `Description=Keycloak in Docker (${production ? "production mode" : "dev mode, not for production"}), managed by keycloak-ec2`,
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
