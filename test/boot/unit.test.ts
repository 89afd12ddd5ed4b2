import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { memoryScript } from "../../src/boot/boot-files";
import { CLUSTER_DB_POOL_MAX_SIZE, KEYCLOAK_HTTP_PORT, keycloakUnit, PATHS } from "../../src/boot/unit";
import { execStart } from "./harness";

/** The `docker run` command line of a unit, joined back into one line. */

/** Options Keycloak fixes at build time (docs/design-facts.md §6): never given to `start --optimized`. */
const BUILD_TIME_OPTIONS = [
  "db",
  "health-enabled",
  "metrics-enabled",
  "features",
  "features-disabled",
  "http-relative-path",
];

describe("Keycloak systemd unit", () => {
  const production = keycloakUnit("production");
  const dev = keycloakUnit("dev");

  it("starts the image the boot built, optimized, with Keycloak 26's runtime options and the local cache", () => {
    const run = execStart(production);
    expect(run).toContain("${KEYCLOAK_IMAGE} start --optimized --cache=local --hostname=${KEYCLOAK_URL}");
    for (const option of [
      "--http-enabled=true",
      "--http-host=127.0.0.1",
      "--http-port=8080",
      "--proxy-headers=xforwarded",
      "--proxy-trusted-addresses=127.0.0.1,::1",
      "--db-url=jdbc:postgresql://localhost:5432/keycloak",
      "--db-username=keycloak",
      "--http-management-host=127.0.0.1",
      "--import-realm",
    ])
      expect(run.split(" ")).toContain(option);
    expect(run).not.toMatch(/start-dev|--proxy=|--db-password|KEYCLOAK_ADMIN/);
  });

  it("serves plain HTTP on loopback only, behind the proxy, with no TLS of its own", () => {
    for (const unit of [production, dev]) {
      const run = execStart(unit);
      expect(run).toContain(" --hostname=${KEYCLOAK_URL} --http-enabled=true --http-host=127.0.0.1 --http-port=8080 ");
      expect(run).toContain(" --http-management-host=127.0.0.1 ");
      expect(run).not.toMatch(/https-|tls/);
    }
    expect(KEYCLOAK_HTTP_PORT).toBe(8080);
  });

  it("gives start --optimized none of the build-time options, which the image has baked in", () => {
    const options = execStart(production)
      .split(" ")
      .filter((word) => word.startsWith("--"))
      .map((word) => word.slice(2).split("=")[0]);
    for (const option of BUILD_TIME_OPTIONS) expect(options).not.toContain(option);
  });

  it("runs the container as the image's user, uid 1000 and group 0", () => {
    for (const unit of [production, dev]) expect(execStart(unit)).toContain(" --user 1000:0 ");
  });

  it("never pulls: the image is local, and a missing one must fail rather than be looked for on Docker Hub", () => {
    for (const unit of [production, dev]) expect(execStart(unit)).toMatch(/^\/usr\/bin\/docker run --rm --pull=never /);
  });

  it("sizes the memory before every start: the memory script, then its file for the limits and the heap", () => {
    for (const [unit, mode] of [
      [production, "production"],
      [dev, "dev"],
    ]) {
      const service = unit.slice(unit.indexOf("[Service]"));
      expect(service).toMatch(
        /^EnvironmentFile=\/etc\/keycloak-ec2\/runtime\.env\n(#.*\n)*EnvironmentFile=-\/run\/keycloak-ec2\/memory\.env\nExecStartPre=\/opt\/keycloak-ec2\/keycloak-memory\.sh (dev|production)\n/m,
      );
      expect(service).toContain(`ExecStartPre=/opt/keycloak-ec2/keycloak-memory.sh ${mode}\n`);
      expect(execStart(unit)).toContain(
        "--memory ${KEYCLOAK_MEMORY} --memory-swap ${KEYCLOAK_MEMORY_SWAP} --env JAVA_OPTS_KC_HEAP ",
      );
    }
  });

  it("reads the memory file where the memory script writes it", () => {
    expect(production).toContain(`EnvironmentFile=-${PATHS.memoryEnv}\n`);
    expect(memoryScript()).toContain(`readonly MEMORY_ENV=$ROOT${PATHS.memoryEnv}\n`);
  });

  it("starts after Docker and PostgreSQL, restarts on failure and starts at boot", () => {
    expect(production).toMatch(/^After=docker\.service postgresql\.service network-online\.target$/m);
    expect(production).toMatch(/^Requires=docker\.service postgresql\.service$/m);
    expect(production).toMatch(/^Restart=on-failure$/m);
    expect(production).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it("passes secrets through a 0600 env file, never on the command line", () => {
    expect(execStart(production)).toContain("--env-file /etc/keycloak-ec2/keycloak.env");
  });

  it("runs the dev profile with start-dev on a persistent embedded database, without PostgreSQL", () => {
    const run = execStart(dev);
    expect(run).toContain("${KEYCLOAK_IMAGE} start-dev --cache=local ");
    // start-dev builds at every start, so it takes the build-time options it needs.
    expect(run).toContain(" --health-enabled=true --metrics-enabled=true ");
    expect(run).toContain("--volume /srv/keycloak-ec2/keycloak:/opt/keycloak/data");
    expect(run).toContain(" --proxy-headers=xforwarded --proxy-trusted-addresses=127.0.0.1,::1 ");
    expect(run).not.toMatch(/--db=|postgres/);
    expect(dev).toMatch(/^Description=.*dev mode, not for production/m);
  });

  it.each([["production"], ["dev"], ["cluster"]] as const)("passes systemd's own check (%s)", (profile) => {
    // systemd-analyze verify resolves the unit's dependencies and binaries: stub units stand in for Docker and
    // PostgreSQL, and /bin/true for the docker binary and the memory script, which this machine lacks. Any warning
    // fails the test.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-unit-"));
    try {
      for (const stub of ["docker.service", "postgresql.service"])
        fs.writeFileSync(path.join(dir, stub), "[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n");
      fs.writeFileSync(
        path.join(dir, "keycloak.service"),
        keycloakUnit(profile)
          .replace(/\/usr\/bin\/docker/g, "/bin/true")
          .replace(PATHS.memoryScript, "/bin/true"),
      );
      const result = spawnSync("systemd-analyze", ["verify", path.join(dir, "keycloak.service")], {
        encoding: "utf8",
        env: { PATH: process.env.PATH!, SYSTEMD_UNIT_PATH: `${dir}:` },
      });
      if (result.error) throw new Error("systemd-analyze not found: apt-get install systemd");
      expect(result.stderr + result.stdout).toBe("");
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Keycloak systemd unit of a cluster node", () => {
  const unit = keycloakUnit("cluster");
  const run = execStart(unit);
  const options = run.slice(run.indexOf(" start --optimized ")).trim().split(" ");

  it("runs the built image optimized, with exactly the cluster's runtime options", () => {
    expect(options).toEqual([
      "start",
      "--optimized",
      // Distributed caches, the nodes finding each other through the database (jdbc-ping: TCP, Keycloak 26.1+).
      "--cache=ispn",
      "--cache-stack=jdbc-ping",
      // JGroups on the node's private address (not Docker's bridge, site-local too).
      "--cache-embedded-network-bind-address=${KEYCLOAK_BIND_ADDRESS}",
      "--hostname=${KEYCLOAK_URL}",
      // Plain HTTP on every address, for the load balancer, which terminates TLS.
      "--http-enabled=true",
      "--http-host=0.0.0.0",
      "--http-port=8080",
      // Forwarding headers read only from the VPC's addresses (runtime.env: the trusted CIDRs as a comma list).
      "--proxy-headers=xforwarded",
      "--proxy-trusted-addresses=${KEYCLOAK_TRUSTED_PROXIES}",
      // TLS to RDS, the server's name checked against the region's CA bundle, mounted read-only into the container.
      "--db-url=jdbc:postgresql://${KEYCLOAK_DB_HOST}:${KEYCLOAK_DB_PORT}/keycloak?sslmode=verify-full&sslrootcert=/opt/keycloak/conf/rds-ca-bundle.pem",
      // The RDS master user, as production's local role: keycloak (the password: KC_DB_PASSWORD, the env file's).
      "--db-username=keycloak",
      `--db-pool-max-size=${CLUSTER_DB_POOL_MAX_SIZE}`,
      // Health on 9000 for the load balancer's health check (the security group admits only the load balancer).
      "--http-management-host=0.0.0.0",
      "--import-realm",
    ]);
    expect(CLUSTER_DB_POOL_MAX_SIZE).toBeLessThanOrEqual(50);
    expect(run).toContain(` --volume ${PATHS.rdsCaBundle}:${PATHS.containerRdsCaBundle}:ro `);
  });

  it("gives start --optimized none of the build-time options, and the database's password only through the env file", () => {
    const names = options.filter((word) => word.startsWith("--")).map((word) => word.slice(2).split("=")[0]);
    for (const option of BUILD_TIME_OPTIONS) expect(names).not.toContain(option);
    expect(run).toContain(" --env-file /etc/keycloak-ec2/keycloak.env ");
    expect(run).not.toMatch(/--db-password|KC_DB_PASSWORD/);
  });

  it("binds JGroups to the node's private address with Keycloak's own option (26.4+; a cluster needs 26.6)", () => {
    expect(run).toContain(" --cache-embedded-network-bind-address=${KEYCLOAK_BIND_ADDRESS} ");
    expect(run).not.toContain("JAVA_OPTS_APPEND");
  });

  it("needs no local PostgreSQL, no data volume and no proxy; sizes its memory as a node", () => {
    expect(unit).toMatch(/^After=docker\.service network-online\.target$/m);
    expect(unit).toMatch(/^Requires=docker\.service$/m);
    expect(unit).not.toMatch(/postgresql\.service|postgresql16|caddy|\/srv\/keycloak-ec2/);
    expect(unit).toContain("ExecStartPre=/opt/keycloak-ec2/keycloak-memory.sh cluster\n");
    expect(unit).toMatch(/^Description=Keycloak in Docker \(a node of the cluster\)/m);
  });
});
