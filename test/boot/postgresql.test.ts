import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BootHarness } from "./harness";
import { asPostgres, ScratchCluster } from "./postgres";

/**
 * The boot's PostgreSQL set-up against a real PostgreSQL server: the script's own pg_hba rules, settings and SQL
 * (its functions pg_hba_rules, pg_settings and keycloak_database_sql), on a scratch cluster run as the postgres
 * user on a free port. Needs Debian's postgresql package (.ci/run installs it) and root, to act as postgres.
 */
const PORT = String(20000 + (process.pid % 20000));

describe("boot: PostgreSQL set-up on a real server", () => {
  const boot = new BootHarness();
  const cluster = new ScratchCluster(boot.root, PORT);
  const { data, socket } = cluster;

  const scriptText = (fn: string) => {
    const { code, stdout, output } = boot.run(fn);
    if (code !== 0) throw new Error(output);
    return stdout;
  };
  const applySql = (secret: string) => {
    const result = asPostgres(
      "psql",
      ["-h", socket, "-p", PORT, "-q", "-v", "ON_ERROR_STOP=1"],
      scriptText(`keycloak_database_sql ${secret}`),
    );
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  };
  /** Connects over TCP as keycloak, as Keycloak's JDBC driver does; returns psql's result. */
  const connect = (host: string, database: string, secret: string) =>
    spawnSync("psql", ["-h", host, "-p", PORT, "-U", "keycloak", "-d", database, "-tAc", "SELECT current_user"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH!, PGPASSWORD: secret, PGCONNECT_TIMEOUT: "5" },
    });

  beforeAll(() => {
    fs.chmodSync(boot.root, 0o755);
    cluster.init();
    // The boot's own files, as setup_postgresql installs them.
    fs.writeFileSync(path.join(data, "pg_hba.conf"), scriptText("pg_hba_rules"));
    fs.writeFileSync(path.join(data, "keycloak-ec2.conf"), scriptText("pg_settings"));
    fs.appendFileSync(path.join(data, "postgresql.conf"), "include_if_exists = 'keycloak-ec2.conf'\n");
    cluster.start();
  }, 60_000);

  afterAll(() => {
    cluster.stop();
    boot.remove();
  });

  it("creates the keycloak role and database, and runs again without error", () => {
    applySql("FirstSecret0123456789abcdef");
    applySql("FirstSecret0123456789abcdef");
    const owner = asPostgres("psql", [
      "-h",
      socket,
      "-p",
      PORT,
      "-tAc",
      "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'keycloak'",
    ]);
    expect(owner.stdout.trim()).toBe("keycloak");
  });

  it("stores the password as a SCRAM-SHA-256 verifier", () => {
    const stored = asPostgres("psql", [
      "-h",
      socket,
      "-p",
      PORT,
      "-tAc",
      "SELECT rolpassword FROM pg_authid WHERE rolname = 'keycloak'",
    ]);
    expect(stored.stdout.trim()).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  it("lets keycloak in over loopback (IPv4) with its password, as the JDBC URL does", () => {
    const ok = connect("127.0.0.1", "keycloak", "FirstSecret0123456789abcdef");
    expect(ok.stderr).toBe("");
    expect(ok.stdout.trim()).toBe("keycloak");
  });

  it("refuses a wrong password, and keycloak on any other database", () => {
    expect(connect("127.0.0.1", "keycloak", "WrongSecret0123456789abcdef").stderr).toMatch(
      /password authentication failed for user "keycloak"/,
    );
    expect(connect("127.0.0.1", "postgres", "FirstSecret0123456789abcdef").stderr).toMatch(
      /no pg_hba\.conf entry .* user "keycloak", database "postgres"/,
    );
  });

  it("listens on localhost only", () => {
    const listen = asPostgres("psql", ["-h", socket, "-p", PORT, "-tAc", "SHOW listen_addresses"]);
    expect(listen.stdout.trim()).toBe("localhost");
  });

  it("uses the shared_buffers the memory script counts on", () => {
    const shared = asPostgres("psql", ["-h", socket, "-p", PORT, "-tAc", "SHOW shared_buffers"]);
    expect(shared.stdout.trim()).toBe("128MB");
  });

  it("takes a rotated password on the next run", () => {
    applySql("RotatedSecret0123456789abcd");
    expect(connect("127.0.0.1", "keycloak", "RotatedSecret0123456789abcd").stdout.trim()).toBe("keycloak");
    expect(connect("127.0.0.1", "keycloak", "FirstSecret0123456789abcdef").status).not.toBe(0);
  });
});
