import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BACKUP_PATHS, backupService, backupTimer } from "../../src/boot/backup";
import { BootHarness } from "./harness";
import { asPostgres, ScratchCluster } from "./postgres";

const BACKUP_SCRIPT = path.resolve(__dirname, "../../src/boot/files/keycloak-backup.sh");
const SETTINGS = { BACKUP_BUCKET: "kc-backups", BACKUP_PREFIX: "keycloak-ec2/postgresql" };
const S3_DIR = "s3://kc-backups/keycloak-ec2/postgresql/";

/** Keycloak's kind of schema, in miniature: realms, clients and users with foreign keys, credentials, Liquibase's
 * changelog (no primary key), a sequence, an index, bytea, NULLs and text that COPY must escape. */
const KEYCLOAK_SCHEMA = String.raw`
SET ROLE keycloak;
CREATE TABLE realm (id varchar(36) PRIMARY KEY, name varchar(255) NOT NULL UNIQUE, enabled boolean NOT NULL,
  access_token_lifespan integer);
CREATE TABLE client (id varchar(36) PRIMARY KEY, realm_id varchar(36) NOT NULL REFERENCES realm (id),
  client_id varchar(255) NOT NULL, secret varchar(255), redirect_uris text, UNIQUE (realm_id, client_id));
CREATE TABLE user_entity (id varchar(36) PRIMARY KEY, realm_id varchar(36) NOT NULL REFERENCES realm (id),
  username varchar(255) NOT NULL, email varchar(255), first_name varchar(255), created_timestamp bigint,
  UNIQUE (realm_id, username));
CREATE INDEX idx_user_email ON user_entity (email);
CREATE TABLE credential (id varchar(36) PRIMARY KEY, user_id varchar(36) NOT NULL REFERENCES user_entity (id),
  type varchar(255), secret_data text, credential_data text, created_date bigint);
CREATE TABLE databasechangelog (id varchar(255) NOT NULL, author varchar(255) NOT NULL, filename varchar(255) NOT NULL,
  dateexecuted timestamp NOT NULL, orderexecuted integer NOT NULL, md5sum varchar(35));
CREATE TABLE admin_event_entity (seq bigserial PRIMARY KEY, realm_id varchar(36), representation text, payload bytea);
INSERT INTO realm VALUES ('master', 'master', true, 60), ('app-id', 'app', true, NULL);
INSERT INTO client VALUES ('c1', 'app-id', 'bff', 'BffSecret0123', '["https://app.example.com/*"]'),
  ('c2', 'app-id', 'service', NULL, NULL), ('c3', 'master', 'admin-cli', NULL, E'a\ttab\nand a newline');
INSERT INTO user_entity SELECT 'u' || i, CASE WHEN i % 10 = 0 THEN 'master' ELSE 'app-id' END, 'user' || i,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'user' || i || '@example.com' END, 'Zoë Ñandú ' || i, 1700000000000 + i
  FROM generate_series(1, 250) AS i;
INSERT INTO credential SELECT 'cr' || i, 'u' || i, 'password',
  '{"value":"hash' || i || '","salt":"c2FsdA=="}', '{"hashIterations":5,"algorithm":"argon2"}', 1700000000000 + i
  FROM generate_series(1, 250, 2) AS i;
INSERT INTO databasechangelog VALUES ('1.0.0.Final-KEYCLOAK-5461', 'sthorger@redhat.com',
  'META-INF/jpa-changelog-1.0.0.Final.xml', '2024-01-01 00:00:00', 1, '9:6f1016664e21e16d26517a4418f5e3df'),
  ('26.0.0-org-alias', 'keycloak', 'META-INF/jpa-changelog-26.0.0.xml', '2024-01-01 00:00:01', 2, NULL);
INSERT INTO admin_event_entity (realm_id, representation, payload)
  VALUES ('app-id', '{"a":1}', '\x00ff10'), ('master', NULL, NULL), ('app-id', 'x', '');
`;

/** Everything a restore must bring back: the schema with its owners (pg_dump's text), each table's rows, the
 * sequences' positions, and who owns the database and the public schema. */
function databaseState(cluster: ScratchCluster, database = "keycloak"): Record<string, string> {
  const dump = asPostgres("pg_dump", ["-h", cluster.socket, "-p", cluster.port, "--schema-only", database]);
  if (dump.status !== 0) throw new Error(dump.stderr);
  const tables = cluster
    .psql(["-d", database, "-tA", "-c", "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"])
    .split("\n")
    .filter((table) => table !== "");
  // One psql for the rest, each part after a line "== part".
  const parts: Record<string, string> = {
    owners: `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database() UNION ALL
      SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public' UNION ALL
      SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public' UNION ALL
      SELECT string_agg(DISTINCT sequenceowner, ',') FROM pg_sequences WHERE schemaname = 'public';`,
    sequences: "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1;",
    ...Object.fromEntries(tables.map((t) => [t, `COPY (SELECT * FROM ${t} t ORDER BY t) TO STDOUT;`])),
  };
  const script = Object.entries(parts).map(([part, sql]) => `\\echo == ${part}\n${sql}\n`);
  const output = cluster.psql(["-d", database, "-tA", "-q"], script.join(""));
  const state: Record<string, string> = {
    // Without the random key of \restrict (pg_dump's guard against a malicious server, new at each run).
    schema: dump.stdout.replace(/^\\(un)?restrict .*$/gm, ""),
  };
  for (const [, part, text] of output.matchAll(/^== (\S+)\n((?:(?!== ).*\n)*)/gm)) state[part] = text;
  expect(Object.keys(state)).toEqual(["schema", ...Object.keys(parts)]);
  return state;
}

/**
 * keycloak-backup.sh against real PostgreSQL servers (scratch clusters run as postgres, reached over their sockets
 * through libpq's PGHOST and PGPORT), with S3 and systemd stubbed (./stubs/stub.sh: the bucket is a directory).
 */
describe("logical backup and restore on a real PostgreSQL", () => {
  const boot = new BootHarness(SETTINGS);
  const backups = path.join(boot.root, "srv/keycloak-ec2/backups");
  const bucket = path.join(boot.root, "s3");
  const active = path.join(boot.root, "stub-state/active/keycloak.service");
  // Sockets only (no TCP): each cluster's socket directory keeps them apart, whatever the port.
  const live = new ScratchCluster(path.join(boot.root, "live"), "5432");
  const fresh = new ScratchCluster(path.join(boot.root, "fresh"), "5432");
  let original: Record<string, string>;
  let name: string;

  const env = (cluster: ScratchCluster) => ({ ...cluster.env, FAKE_S3: bucket });
  /** The command as the timer or an operator runs it. */
  const command = (cluster: ScratchCluster, ...args: string[]) =>
    boot.run(["bash", BACKUP_SCRIPT, ...args].map((arg) => `'${arg}'`).join(" "), env(cluster), "/dev/null");
  /** The script's functions, as the boot calls them after sourcing it. */
  const functions = (cluster: ScratchCluster, commands: string) => boot.run(commands, env(cluster), BACKUP_SCRIPT);
  const failedLines = (output: string) => output.split("\n").filter((line) => line.includes("FAILED"));
  const dumps = () => fs.readdirSync(backups).sort();

  beforeAll(() => {
    fs.chmodSync(boot.root, 0o755);
    // keycloak.service as the stub starts it: a unit that runs and is active.
    fs.mkdirSync(path.join(boot.root, "etc/systemd/system"), { recursive: true });
    fs.writeFileSync(
      path.join(boot.root, "etc/systemd/system/keycloak.service"),
      "[Service]\nExecStart=/usr/bin/true\n",
    );
    for (const cluster of [live, fresh]) {
      cluster.init();
      cluster.start("-c listen_addresses=''");
    }
    live.psql(["-q"], "CREATE ROLE keycloak LOGIN;\nCREATE DATABASE keycloak OWNER keycloak;\n");
    live.psql(["-q", "-d", "keycloak"], KEYCLOAK_SCHEMA);
    original = databaseState(live);
  }, 60_000);

  afterAll(() => {
    live.stop();
    fresh.stop();
    boot.remove();
  });

  beforeEach(() => {
    boot.writeSettings(SETTINGS);
    boot.clearCalls();
    fs.mkdirSync(path.dirname(active), { recursive: true });
    fs.writeFileSync(active, "");
  });

  it("dumps database keycloak to the data volume (0600), uploads it, and prints its S3 URI last", () => {
    // WHEN the timer's command runs
    const { code, stdout, output } = command(live, "backup");
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    const uri = stdout.trimEnd().split("\n").pop()!;
    expect(uri).toMatch(/^s3:\/\/kc-backups\/keycloak-ec2\/postgresql\/\d{8}T\d{6}Z\.dump$/);
    name = path.basename(uri);
    const dump = path.join(backups, name);
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    expect(dumps()).toEqual([name]); // no partial file left behind
    expect(fs.readFileSync(path.join(bucket, uri.slice("s3://".length)))).toEqual(fs.readFileSync(dump));
    expect(boot.calls()).toEqual([
      `aws s3 cp --only-show-errors --region eu-west-3 $ROOT/srv/keycloak-ec2/backups/${name} ${uri}`,
    ]);
    // A custom-format archive, with the rows
    const list = spawnSync("pg_restore", ["--list", dump], { encoding: "utf8" });
    expect(list.stdout).toMatch(/TABLE DATA public credential keycloak/);
    expect(databaseState(live)).toEqual(original);
  });

  it("restores it by name into a fresh server's empty database: schema, rows, sequences and owners equal", () => {
    // GIVEN a new instance's database, made by the boot's own SQL
    const sql = boot.run("keycloak_database_sql Secret0123456789abcdef");
    fresh.psql(["-q"], sql.stdout);
    // WHEN restoring by name a backup that is in S3 only
    const local = path.join(backups, name);
    fs.renameSync(local, `${local}.away`);
    const { code, output } = command(fresh, "restore", name);
    fs.renameSync(`${local}.away`, local);
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(databaseState(fresh)).toEqual(original);
    expect(original.owners).toBe("keycloak\npg_database_owner\nkeycloak\nkeycloak\n");
    // Downloaded, restored while Keycloak ran, then Keycloak stopped for the swap and started again
    expect(boot.calls()).toEqual([
      `aws s3 cp --only-show-errors --region eu-west-3 ${S3_DIR}${name} $ROOT/srv/keycloak-ec2/backups/.download.dump`,
      "systemctl stop keycloak.service",
      "systemctl start keycloak.service",
    ]);
    const steps = ["downloading", "restoring", "stopping keycloak.service", "replacing database", "starting keycloak"];
    const at = steps.map((step) => output.indexOf(step));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(at[0]).toBeGreaterThanOrEqual(0);
    expect(fs.existsSync(active)).toBe(true);
    expect(dumps()).toEqual([name]); // the download is gone
  });

  it("restores over changed rows in place (s3:// URI), keeping the replaced database as keycloak_previous", () => {
    // GIVEN a day of changes after the backup
    live.psql(
      ["-q", "-d", "keycloak"],
      `SET ROLE keycloak;
       INSERT INTO user_entity VALUES ('u999', 'app-id', 'late', NULL, NULL, 1);
       DELETE FROM credential WHERE id = 'cr1';
       UPDATE realm SET access_token_lifespan = 5 WHERE id = 'master';
       INSERT INTO admin_event_entity (realm_id) VALUES ('master');`,
    );
    expect(databaseState(live)).not.toEqual(original);
    // WHEN the boot goes back to the backup
    const { code, output } = functions(live, `restore_database ${S3_DIR}${name}`);
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(databaseState(live)).toEqual(original);
    expect(live.psql(["-d", "keycloak_previous", "-tAc", "SELECT username FROM user_entity WHERE id = 'u999'"])).toBe(
      "late\n",
    );
    expect(boot.calls().filter((call) => call.startsWith("systemctl"))).toEqual([
      "systemctl stop keycloak.service",
      "systemctl start keycloak.service",
    ]);
  });

  it("restores a local file, replacing the previous keycloak_previous", () => {
    const { code, output } = command(live, "restore", path.join(backups, name));
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(databaseState(live)).toEqual(original);
    expect(databaseState(live, "keycloak_previous").user_entity).toBe(original.user_entity);
  });

  describe("refuses a bad source in one line, leaving Keycloak running on its database", () => {
    const text = () => {
      const file = path.join(boot.root, "notes.txt");
      fs.writeFileSync(file, "not a dump\n");
      return file;
    };
    const plain = () => {
      const file = path.join(boot.root, "plain.sql");
      const dump = asPostgres("pg_dump", ["-h", live.socket, "-p", live.port, "keycloak"]);
      fs.writeFileSync(file, dump.stdout);
      return file;
    };
    it.each([
      ["a text file", text, /FAILED: \S+\/notes\.txt is not a pg_dump custom-format archive: nothing changed$/],
      ["a plain SQL dump", plain, /FAILED: \S+\/plain\.sql is not a pg_dump custom-format archive: nothing changed$/],
      ["a missing file", () => "/nonexistent/x.dump", /FAILED: no backup file \/nonexistent\/x\.dump$/],
      [
        "a name that is not in S3",
        () => "20200101T000000Z.dump",
        /FAILED: no backup at s3:\/\/kc-backups\/keycloak-ec2\/postgresql\/20200101T000000Z\.dump that the instance role can read/,
      ],
      ["nothing", () => "", /FAILED: restore needs a backup/],
    ])("%s", (_what, source, message) => {
      const { code, output } = command(live, "restore", source());
      expect(code).toBe(1);
      expect(failedLines(output)).toHaveLength(1);
      expect(failedLines(output)[0]).toMatch(message);
      expect(boot.calls().filter((call) => call.startsWith("systemctl"))).toEqual([]);
      expect(fs.existsSync(active)).toBe(true);
      expect(databaseState(live)).toEqual(original);
    });

    it("an archive that breaks off: the restore fails before Keycloak is stopped, and its database is dropped", () => {
      const dump = fs.readFileSync(path.join(backups, name));
      const truncated = path.join(boot.root, "truncated.dump");
      fs.writeFileSync(truncated, new Uint8Array(dump.subarray(0, Math.floor(dump.length * 0.7))));
      const { code, output } = command(live, "restore", truncated);
      expect(code).toBe(1);
      // Its table of contents is whole (pg_restore --list passes it), its data breaks off.
      expect(failedLines(output)).toEqual([
        expect.stringMatching(
          /FAILED: the restore of \S+truncated\.dump failed: Keycloak was left running on its database$/,
        ),
      ]);
      expect(boot.calls().filter((call) => call.startsWith("systemctl"))).toEqual([]);
      expect(databaseState(live)).toEqual(original);
      expect(live.psql(["-tAc", "SELECT count(*) FROM pg_database WHERE datname = 'keycloak_restore'"])).toBe("0\n");
    });
  });

  it("retries a failed upload", () => {
    boot.failNext("aws", 1);
    const { code, stdout, output } = functions(live, "backup_database retried");
    expect(code).toBe(0);
    expect(output).toContain("aws failed (attempt 1 of 5), retrying in 0 s");
    expect(stdout).toMatch(/^s3:\/\/kc-backups\/keycloak-ec2\/postgresql\/\d{8}T\d{6}Z-retried\.dump\n$/);
    expect(fs.existsSync(path.join(bucket, stdout.trim().slice("s3://".length)))).toBe(true);
  });

  it("keeps the newest 7 local dumps, and nothing but dumps is removed", () => {
    // GIVEN eight older dumps, a dump in progress and a file of someone's
    fs.rmSync(backups, { recursive: true });
    fs.mkdirSync(backups);
    const old = [1, 2, 3, 4, 5, 6, 7, 8].map((day) => `2020010${day}T030000Z-daily.dump`);
    for (const file of [...old, ".20991231T000000Z.dump.partial", "notes.txt"])
      fs.writeFileSync(path.join(backups, file), "");
    // WHEN
    const { code, stdout } = functions(live, "backup_database pre-upgrade-26.1.0-to-26.2.0");
    // THEN
    expect(code).toBe(0);
    const made = path.basename(stdout.trim());
    expect(made).toMatch(/^\d{8}T\d{6}Z-pre-upgrade-26\.1\.0-to-26\.2\.0\.dump$/);
    expect(dumps()).toEqual([".20991231T000000Z.dump.partial", ...old.slice(2), made, "notes.txt"].sort());
  });

  it("keeps the dump on the volume without a bucket, and prints its path", () => {
    boot.writeSettings({ ...SETTINGS, BACKUP_BUCKET: "" });
    const { code, stdout, output } = functions(live, "backup_database");
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${backups}/\\d{8}T\\d{6}Z\\.dump\\n$`));
    expect(output).toContain("no backup bucket: the dump stays on the data volume only");
    expect(boot.calls()).toEqual([]);
  });

  it("refuses a label that is not a plain name", () => {
    const { code, output } = command(live, "backup", "../x");
    expect(code).toBe(1);
    expect(failedLines(output)).toEqual([
      expect.stringMatching(/FAILED: backup label '\.\.\/x': letters, digits, '\.', '_' and '-' only$/),
    ]);
  });

  it("lists the backups in S3, oldest first", () => {
    const { code, stdout } = command(live, "list");
    expect(code).toBe(0);
    const listed = stdout
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/).pop());
    expect(listed.length).toBeGreaterThanOrEqual(3);
    expect(listed).toEqual([...listed].sort());
    expect(listed).toContain(name);
    expect(boot.calls()).toEqual([`aws s3 ls --region eu-west-3 ${S3_DIR}`]);
  });

  it("says so when there is no backup yet", () => {
    boot.writeSettings({ ...SETTINGS, BACKUP_PREFIX: "other/postgresql" });
    const { code, stdout, output } = command(live, "list");
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(output).toContain("no backups under s3://kc-backups/other/postgresql/");
  });

  it("says what the dev profile has instead (H2 on the volume, EBS snapshots) and does nothing", () => {
    boot.writeSettings({ ...SETTINGS, PROFILE: "dev" });
    const backup = command(live, "backup");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toBe("");
    expect(backup.output).toContain(
      "the dev profile has no PostgreSQL: Keycloak's data (H2) is on the data volume, which only the EBS snapshots cover",
    );
    const restore = command(live, "restore", name);
    expect(restore.code).toBe(1);
    expect(restore.output).toContain("FAILED: nothing to restore into: restore the data volume from an EBS snapshot");
    expect(boot.calls()).toEqual([]);
  });

  it("is sourced by the boot, which has sourced keycloak-common.sh already", () => {
    const { code, output } = boot.run("declare -F backup_database restore_database");
    expect(output).not.toContain("readonly");
    expect(code).toBe(0);
  });

  it("says how to use it", () => {
    const { code, output } = command(live, "backup-all");
    expect(code).toBe(1);
    expect(output).toContain("FAILED: usage: keycloak-backup.sh backup [LABEL] | restore SOURCE | list");
  });
});

describe("backup systemd units", () => {
  it("runs the daily backup as a oneshot after PostgreSQL, and the timer daily, spread over an hour, catching up", () => {
    expect(backupService()).toMatch(/^Type=oneshot$/m);
    expect(backupService()).toContain(`\nExecStart=${BACKUP_PATHS.script} backup daily\n`);
    expect(backupService()).toMatch(/^After=postgresql\.service network-online\.target$/m);
    for (const line of ["OnCalendar=daily", "RandomizedDelaySec=1h", "Persistent=true", "WantedBy=timers.target"])
      expect(backupTimer()).toContain(`\n${line}\n`);
    expect(path.basename(BACKUP_PATHS.timer, ".timer")).toBe(path.basename(BACKUP_PATHS.service, ".service"));
  });

  it("passes systemd's own check", () => {
    // The script is /bin/true here and PostgreSQL a stub unit; any warning fails the test.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-backup-unit-"));
    try {
      fs.writeFileSync(
        path.join(dir, "postgresql.service"),
        "[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n",
      );
      fs.writeFileSync(
        path.join(dir, path.basename(BACKUP_PATHS.service)),
        backupService().replace(BACKUP_PATHS.script, "/bin/true"),
      );
      fs.writeFileSync(path.join(dir, path.basename(BACKUP_PATHS.timer)), backupTimer());
      const result = spawnSync(
        "systemd-analyze",
        [
          "verify",
          path.join(dir, path.basename(BACKUP_PATHS.timer)),
          path.join(dir, path.basename(BACKUP_PATHS.service)),
        ],
        { encoding: "utf8", env: { PATH: process.env.PATH!, SYSTEMD_UNIT_PATH: `${dir}:` } },
      );
      if (result.error) throw new Error("systemd-analyze not found: apt-get install systemd");
      expect(result.stderr + result.stdout).toBe("");
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
