import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { keycloakUnit } from "../../src/boot/unit";

/** The `docker run` command line of a unit, joined back into one line. */
const execStart = (unit: string) => /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit)![1].replace(/ \\\n\s+/g, " ");

describe("Keycloak systemd unit", () => {
  const production = keycloakUnit("production");
  const dev = keycloakUnit("dev");

  it("runs the pinned image in production mode with Keycloak 26's options", () => {
    const run = execStart(production);
    expect(run).toContain("${KEYCLOAK_IMAGE} start --hostname=${KEYCLOAK_URL}");
    for (const option of [
      "--https-port=8443",
      "--https-certificate-file=/opt/keycloak/conf/tls/tls.crt",
      "--https-certificate-key-file=/opt/keycloak/conf/tls/tls.key",
      "--http-enabled=false",
      "--db=postgres",
      "--db-url=jdbc:postgresql://localhost:5432/keycloak",
      "--db-username=keycloak",
      "--health-enabled=true",
      "--metrics-enabled=true",
      "--http-management-host=127.0.0.1",
      "--import-realm",
    ])
      expect(run.split(" ")).toContain(option);
    expect(run).not.toMatch(/start-dev|--proxy|--db-password|KEYCLOAK_ADMIN/);
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
    expect(run).toContain("${KEYCLOAK_IMAGE} start-dev");
    expect(run).toContain("--volume keycloak-dev-data:/opt/keycloak/data");
    expect(run).toContain("--https-certificate-file=/opt/keycloak/conf/tls/tls.crt");
    expect(run).not.toMatch(/--db=|postgres/);
    expect(dev).toMatch(/^Description=.*dev mode, not for production/m);
  });

  it.each([["production"], ["dev"]] as const)("passes systemd's own check (%s)", (profile) => {
    // systemd-analyze verify resolves the unit's dependencies and binaries: stub units stand in for Docker and
    // PostgreSQL, and /bin/true for the docker binary, which this machine lacks. Any warning fails the test.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-unit-"));
    try {
      for (const stub of ["docker.service", "postgresql.service"])
        fs.writeFileSync(path.join(dir, stub), "[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n");
      fs.writeFileSync(
        path.join(dir, "keycloak.service"),
        keycloakUnit(profile).replace(/\/usr\/bin\/docker/g, "/bin/true"),
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
