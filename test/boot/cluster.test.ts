import * as fs from "node:fs";
import * as path from "node:path";
import { BootInput, bootSettings, settingsFile } from "../../src/boot/boot-files";
import { realmRepresentation } from "../../src/boot/realm";
import { DEFAULT_REALM } from "../../src/defaults";
import { selfSignedCertificate } from "../certificates";
import { CLUSTER_INPUT } from "./cluster-input";
import { BootHarness, MEMORY_SCRIPT, REALM_SCRIPT, SECRETS } from "./harness";

const CA_URL = "https://truststore.pki.rds.amazonaws.com/eu-west-3/eu-west-3-bundle.pem";
const CA_FILE = "etc/keycloak-ec2/rds-ca-bundle.pem";
const REALM_HASH = "s3://kc-bucket/status/realm.sha256";
const REALM_CLAIM = "s3://kc-bucket/status/realm.claim";

/** A node's scratch root: the cluster's settings, its secrets and instance metadata, as a node would find them. */
function clusterNode(overrides: Partial<BootInput> = {}): BootHarness {
  const boot = new BootHarness();
  boot.writeSettingsFile(settingsFile(bootSettings({ ...CLUSTER_INPUT, ...overrides })));
  boot.putSecrets();
  boot.setImds("local-ipv4", "172.31.5.17");
  boot.setImds("instance-id", "i-0aaaaaaaaaaaaaaa1");
  return boot;
}

/** A bundle of `count` CA certificates, made by the real openssl, as AWS's region bundles hold several. */
function caBundle(dir: string, count: number): string {
  return Array.from({ length: count }, (_, i) =>
    selfSignedCertificate(path.join(dir, `ca-${i}`), `Amazon RDS eu-west-3 Root CA ${i}`),
  )
    .map((c) => c.cert)
    .join("");
}

describe("cluster boot: the RDS CA bundle", () => {
  let boot: BootHarness;
  beforeEach(() => (boot = clusterNode()));
  afterEach(() => boot.remove());

  it("downloads the region's bundle, retrying a reset, checks each certificate with openssl, and makes it readable", () => {
    // GIVEN AWS's bundle of three CAs, and a connection reset on the first try
    const bundle = caBundle(boot.root, 3);
    boot.serveHttps(CA_URL, bundle);
    boot.failNext("curl", 1);
    // WHEN
    const { code, output } = boot.run("install_rds_ca_bundle");
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(boot.calls()).toEqual([
      `curl -fsS --proto =https --max-time 60 --output $ROOT/${CA_FILE}.new ${CA_URL}`,
      `curl -fsS --proto =https --max-time 60 --output $ROOT/${CA_FILE}.new ${CA_URL}`,
      `openssl storeutl -noout -certs $ROOT/${CA_FILE}.new`,
    ]);
    expect(output).toContain("curl failed (attempt 1 of 5)");
    expect(fs.readFileSync(`${boot.root}/${CA_FILE}`, "utf8")).toBe(bundle);
    // Root's, and readable by the container's user (uid 1000).
    expect(boot.snapshot()[CA_FILE]).toMatch(/^644 0:0 /);
    expect(fs.existsSync(`${boot.root}/${CA_FILE}.new`)).toBe(false);
  });

  it("keeps a bundle it has: no download on a second run", () => {
    // GIVEN
    boot.serveHttps(CA_URL, caBundle(boot.root, 2));
    expect(boot.run("install_rds_ca_bundle").code).toBe(0);
    boot.clearCalls();
    // WHEN
    const { code, output } = boot.run("install_rds_ca_bundle");
    // THEN
    expect(code).toBe(0);
    expect(output).toContain("the RDS CA bundle is present already");
    expect(boot.calls()).toEqual([`openssl storeutl -noout -certs $ROOT/${CA_FILE}`]);
  });

  it.each([
    ["an error page", () => "<html><body>Access Denied</body></html>\n"],
    [
      "a certificate and its private key",
      (dir: string) => {
        const { cert, key } = selfSignedCertificate(path.join(dir, "leaf"), "leaf");
        return cert + key;
      },
    ],
    [
      "a truncated certificate",
      (dir: string) => {
        const { cert } = selfSignedCertificate(path.join(dir, "cut"), "cut");
        return `${cert.slice(0, 200)}\n-----END CERTIFICATE-----\n`;
      },
    ],
    ["nothing", () => ""],
  ])("refuses %s, installing nothing", (_what, content) => {
    // GIVEN
    boot.serveHttps(CA_URL, content(boot.root));
    // WHEN
    const { code, output } = boot.run("install_rds_ca_bundle");
    // THEN
    expect(code).toBe(1);
    expect(output).toContain(`FAILED: ${CA_URL} is not a PEM bundle of certificates`);
    expect(fs.existsSync(`${boot.root}/${CA_FILE}`)).toBe(false);
    expect(fs.existsSync(`${boot.root}/${CA_FILE}.new`)).toBe(false);
  });

  it("gives up when the bundle cannot be downloaded, saying so", () => {
    // GIVEN no bundle at the address (404)
    // WHEN
    const { code, output } = boot.run("install_rds_ca_bundle");
    // THEN
    expect(code).toBe(1);
    expect(output).toContain(`FAILED: curl -fsS --proto =https --max-time 60 --output`);
    expect(output).toContain("failed 5 times, giving up");
  });
});

describe("cluster boot: each node's own report", () => {
  let boot: BootHarness;
  beforeEach(() => (boot = clusterNode()));
  afterEach(() => boot.remove());
  const report = (node: string) => JSON.parse(boot.stubState(`s3/kc-bucket/status/nodes/${node}.json`)) as object;

  it("reports a failure before the node knew its id under that id, and abandons its launch: the group replaces it", () => {
    // GIVEN no CA bundle to download: the boot fails before resolve_node's step would be retried
    // WHEN
    const { code } = boot.run("install_rds_ca_bundle");
    // THEN
    expect(code).toBe(1);
    expect(report("i-0aaaaaaaaaaaaaaa1")).toMatchObject({
      state: "failed",
      message: expect.stringContaining("failed 5 times, giving up"),
    });
    expect(() => boot.stubState("s3/kc-bucket/status/boot.json")).toThrow(/ENOENT/);
    // Reported, then abandoned: the group terminates the node before it ever serves, and launches another.
    const calls = boot.calls();
    expect(calls.filter((c) => c.startsWith("aws ")).slice(-2)).toEqual([
      expect.stringMatching(/^aws s3 cp .* - s3:\/\/kc-bucket\/status\/nodes\/i-0aaaaaaaaaaaaaaa1\.json$/),
      "aws autoscaling complete-lifecycle-action --region eu-west-3 --auto-scaling-group-name kc-hosts --lifecycle-hook-name keycloak-boot --instance-id i-0aaaaaaaaaaaaaaa1 --lifecycle-action-result ABANDON",
    ]);
    expect(boot.stubState("launch/i-0aaaaaaaaaaaaaaa1")).toBe("ABANDON\n");
    expect(calls).not.toContain("systemctl stop keycloak.service");
  });

  it("reports a failure inside $(...) once, with its own reason, not the line of the assignment around it", () => {
    // WHEN a step fails inside a command substitution, as a secret's read does
    const { code } = boot.run('value=$(fail "the parameter /kc/keycloak/x cannot be read"); echo "$value"');
    // THEN
    expect(code).toBe(1);
    expect(report("i-0aaaaaaaaaaaaaaa1")).toMatchObject({
      state: "failed",
      message: "the parameter /kc/keycloak/x cannot be read",
    });
    expect(boot.calls().filter((c) => c.startsWith("aws s3 cp"))).toHaveLength(1);
    expect(boot.calls().filter((c) => c.startsWith("aws autoscaling"))).toHaveLength(1);
  });

  it("reports a failure in a subshell the script then leaves with exit, as the realm's apply does, and abandons", () => {
    // WHEN the realm's step fails in its subshell: `(reconcile_realm) || exit`
    const { code } = boot.run('(fail "realm: HTTP 400 from PUT /admin/realms/app") || exit');
    // THEN reported with that reason, the launch abandoned, once
    expect(code).toBe(1);
    expect(report("i-0aaaaaaaaaaaaaaa1")).toMatchObject({
      state: "failed",
      message: "realm: HTTP 400 from PUT /admin/realms/app",
    });
    expect(boot.stubState("launch/i-0aaaaaaaaaaaaaaa1")).toBe("ABANDON\n");
    expect(boot.calls().filter((c) => c.startsWith("aws autoscaling"))).toHaveLength(1);
  });

  it("reports an exit that no fail said why, as an unset setting's, and abandons", () => {
    const { code } = boot.run('echo "${UNSET_SETTING}"');
    expect(code).toBe(1);
    expect(report("i-0aaaaaaaaaaaaaaa1")).toMatchObject({
      state: "failed",
      message: expect.stringMatching(/^exited with status 1 /),
    });
    expect(boot.stubState("launch/i-0aaaaaaaaaaaaaaa1")).toBe("ABANDON\n");
  });

  it("reports nothing for a subshell's failure the script got past", () => {
    const { code } = boot.run('x=$(fail "tolerated") || x=fallback; echo "$x"');
    expect(code).toBe(0);
    expect(boot.calls().filter((c) => c.startsWith("aws "))).toEqual([]);
  });

  it("uploads the end of the boot's log beside its report before abandoning: the node's disk goes with it", () => {
    // GIVEN cloud-init's log of this boot
    fs.mkdirSync(`${boot.root}/var/log`, { recursive: true });
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i + 1}`);
    fs.writeFileSync(`${boot.root}/var/log/cloud-init-output.log`, `${lines.join("\n")}\n`);
    // WHEN
    expect(boot.run('fail "Keycloak was not ready after 600 s"').code).toBe(1);
    // THEN its last 300 lines, as text
    expect(boot.stubState("s3/kc-bucket/status/nodes/i-0aaaaaaaaaaaaaaa1.log")).toBe(
      `${lines.slice(100).join("\n")}\n`,
    );
    const aws = boot.calls().filter((c) => c.startsWith("aws "));
    expect(aws.map((c) => c.split(" ").slice(0, 3).join(" "))).toEqual([
      "aws s3 cp",
      "aws s3 cp",
      "aws autoscaling complete-lifecycle-action",
    ]);
  });

  it("reports the node failed when it cannot complete its launch with CONTINUE: the group would abandon it", () => {
    // GIVEN Auto Scaling refusing three times
    boot.failNext("aws", 3);
    // WHEN
    const { code } = boot.run("complete_launch CONTINUE");
    // THEN
    expect(code).toBe(1);
    expect(report("i-0aaaaaaaaaaaaaaa1")).toMatchObject({
      state: "failed",
      message: expect.stringMatching(/^cannot complete the launch \(CONTINUE\): An error occurred \(Throttling\)/),
    });
  });

  it("says so and goes on when there is no launch to complete (a boot run again by hand)", () => {
    // GIVEN a launch completed already
    expect(boot.run("complete_launch CONTINUE").code).toBe(0);
    // WHEN the boot completes it again
    const { code, output } = boot.run("complete_launch CONTINUE");
    // THEN no retries, no failure
    expect(code).toBe(0);
    expect(output).toContain("no launch of i-0aaaaaaaaaaaaaaa1 to complete (CONTINUE): not a first boot");
    expect(boot.calls().filter((c) => c.startsWith("aws autoscaling"))).toHaveLength(2);
  });

  it("reports nothing, saying why, when the instance metadata names no instance", () => {
    // GIVEN metadata that answers with something else than an instance id
    boot.setImds("instance-id", "<html>error</html>");
    // WHEN
    const { code, output } = boot.run("report_status applied");
    // THEN
    expect(code).toBe(0);
    expect(output).toContain("cannot report this node's status: the instance metadata gives no instance id");
    expect(boot.calls().filter((c) => c.startsWith("aws s3"))).toEqual([]);
  });
});

describe("cluster boot: the database's password and the node's settings", () => {
  let boot: BootHarness;
  beforeEach(() => (boot = clusterNode()));
  afterEach(() => boot.remove());
  const read = (file: string) => fs.readFileSync(`${boot.root}/${file}`, "utf8");

  it("reads the database's password from SSM into keycloak.env, never into a command line or the log", () => {
    // WHEN
    const { code, output } = boot.run("resolve_node; write_environment");
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(read("etc/keycloak-ec2/keycloak.env")).toBe(
      [
        "KC_BOOTSTRAP_ADMIN_USERNAME=admin",
        `KC_BOOTSTRAP_ADMIN_PASSWORD=${SECRETS["admin-password"]}`,
        `KC_DB_PASSWORD=${SECRETS["db-password"]}`,
        `BFF_CLIENT_SECRET=${SECRETS["bff-client-secret"]}`,
        `SERVICE_CLIENT_SECRET=${SECRETS["service-client-secret"]}`,
        "",
      ].join("\n"),
    );
    expect(boot.snapshot()["etc/keycloak-ec2/keycloak.env"]).toMatch(/^600 0:0 /);
    // The host and port are the unit's values; the user is the unit's own (keycloak), the password the env file's.
    expect(read("etc/keycloak-ec2/runtime.env")).toMatch(
      new RegExp(
        [
          "^KEYCLOAK_IMAGE=localhost/keycloak-ec2/keycloak:26\\.7\\.4-[0-9a-f]{12}",
          "KEYCLOAK_URL=https://sso\\.example\\.com",
          "KEYCLOAK_DB_HOST=kc\\.abcdefghij\\.eu-west-3\\.rds\\.amazonaws\\.com",
          "KEYCLOAK_DB_PORT=5432",
          "KEYCLOAK_TRUSTED_PROXIES=172\\.31\\.0\\.0/16,10\\.1\\.0\\.0/24",
          "KEYCLOAK_BIND_ADDRESS=172\\.31\\.5\\.17",
          "$",
        ].join("\n"),
      ),
    );
    expect(boot.calls()).toContain(
      "aws ssm get-parameter --region eu-west-3 --name /kc/keycloak/db-password --with-decryption --query Parameter.Value --output text",
    );
    expect(boot.calls().filter((call) => /secretsmanager/.test(call))).toEqual([]);
    for (const secret of Object.values(SECRETS)) {
      for (const call of boot.calls()) expect(call).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
  });

  it("fails naming the parameter, writing no environment, when the database's password cannot be read", () => {
    // GIVEN
    boot.removeParameter("/kc/keycloak/db-password");
    // WHEN
    const { code, output } = boot.run("resolve_node; write_environment");
    // THEN
    expect(code).toBe(1);
    expect(output).toContain("FAILED: cannot read SSM parameter /kc/keycloak/db-password with the instance role");
    expect(fs.existsSync(`${boot.root}/etc/keycloak-ec2/keycloak.env`)).toBe(false);
  });

  it("refuses a database password that is not a generated one, never showing it", () => {
    // GIVEN what an env file or a shell would read otherwise
    boot.putParameter("/kc/keycloak/db-password", "Line1Secret'`$x\nLine2");
    // WHEN
    const { code, output } = boot.run("resolve_node; write_environment");
    // THEN
    expect(code).toBe(1);
    expect(output).toContain("FAILED: SSM parameter /kc/keycloak/db-password is not a generated alphanumeric secret");
    expect(output).not.toMatch(/Line1|Line2/);
    expect(fs.existsSync(`${boot.root}/etc/keycloak-ec2/keycloak.env`)).toBe(false);
  });

  it("binds JGroups to the private address from the instance metadata, refusing anything else", () => {
    // GIVEN / WHEN
    const ok = boot.run('resolve_node; echo "$KEYCLOAK_HOST $BIND_ADDRESS $NODE_ID"');
    boot.setImds("local-ipv4", "<html>");
    const bad = boot.run("resolve_node");
    // THEN
    expect(ok.stdout).toBe("sso.example.com 172.31.5.17 i-0aaaaaaaaaaaaaaa1\n");
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('FAILED: the instance metadata gives "<html>" as the private address');
  });

  it.each([
    [{ TRUSTED_PROXY_CIDRS: "10.0.0.0/16 --http-host=1.2.3.4" }, 'TRUSTED_PROXY_CIDRS holds "--http-host=1.2.3.4"'],
    [{ TRUSTED_PROXY_CIDRS: "10.0.0.0/16,10.1.0.0/16" }, 'TRUSTED_PROXY_CIDRS holds "10.0.0.0/16,10.1.0.0/16"'],
    [{ DB_ENDPOINT: "db.example.com --db=h2" }, "DB_ENDPOINT=db.example.com --db=h2 is not a host name"],
    [{ DB_PORT: "70000" }, "DB_PORT=70000 is not a port"],
  ])("refuses settings that would change the command line: %p", (overrides, message) => {
    // GIVEN
    const settings = bootSettings(CLUSTER_INPUT);
    boot.writeSettingsFile(settingsFile({ ...settings, ...overrides }));
    // WHEN
    const { code, output } = boot.run("check_cluster_settings");
    // THEN
    expect(code).toBe(1);
    expect(output).toContain(`FAILED: ${message}`);
  });

  it("sizes a node's container as dev's: no PostgreSQL shares the machine", () => {
    // GIVEN a t3.medium (4 GiB)
    boot.setMemory(3_900_000);
    // WHEN
    const { code } = boot.runScript(MEMORY_SCRIPT, ["cluster"]);
    // THEN
    expect(code).toBe(0);
    expect(fs.readFileSync(`${boot.root}/run/keycloak-ec2/memory.env`, "utf8")).toBe(
      'KEYCLOAK_MEMORY=2568m\nKEYCLOAK_MEMORY_SWAP=2568m\nJAVA_OPTS_KC_HEAP="-Xms898m -Xmx1797m"\n',
    );
  });
});

describe("cluster boot: the realm, applied by one node per change", () => {
  let boot: BootHarness;
  const realmFile = `${JSON.stringify(realmRepresentation(DEFAULT_REALM), null, 2)}\n`;
  beforeEach(() => {
    boot = clusterNode();
    fs.mkdirSync(`${boot.root}/opt/keycloak-ec2/import`, { recursive: true });
    fs.writeFileSync(`${boot.root}/opt/keycloak-ec2/import/${DEFAULT_REALM.name}-realm.json`, realmFile);
    // Keycloak runs (the stubbed admin API answers while keycloak.service is active).
    fs.mkdirSync(`${boot.root}/stub-state/active`, { recursive: true });
    fs.writeFileSync(`${boot.root}/stub-state/active/keycloak.service`, "");
  });
  afterEach(() => boot.remove());
  const api = () => {
    const file = `${boot.root}/stub-state/keycloak-api`;
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  };
  const apply = (args = "", env: Record<string, string> = {}) => boot.run(`apply_realm ${args}`, env, REALM_SCRIPT);

  it("applies a realm the bucket has no record of, then records its hash there, claimed by this node", () => {
    // WHEN
    const { code, output } = apply();
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(api()).toEqual([
      "POST /realms/master/protocol/openid-connect/token",
      "GET /admin/realms/app",
      "POST /admin/realms",
    ]);
    const hash = boot.s3Object(REALM_HASH);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(boot.s3Object(REALM_CLAIM)).toMatch(new RegExp(`^${hash} i-0aaaaaaaaaaaaaaa1 \\d+\\n$`));
    // The record is the bucket's, shared by the nodes: none on the node.
    expect(fs.existsSync(`${boot.root}/var/lib/keycloak-ec2/realm-applied`)).toBe(false);
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  });

  it("does nothing on a node that finds the bucket's record equal to its realm", () => {
    // GIVEN another node applied this realm
    expect(apply().code).toBe(0);
    fs.rmSync(`${boot.root}/stub-state/keycloak-api`);
    boot.setImds("instance-id", "i-0bbbbbbbbbbbbbbb2");
    boot.clearCalls();
    // WHEN
    const { code, output } = apply();
    // THEN
    expect(code).toBe(0);
    expect(output).toContain("realm app: as configured already");
    expect(api()).toEqual([]);
    expect(boot.calls().filter((c) => c.startsWith("aws s3"))).toEqual([
      `aws s3 cp --only-show-errors --region eu-west-3 ${REALM_HASH} -`,
    ]);
  });

  it("leaves the apply to the node whose claim landed last, and waits for its record", () => {
    // GIVEN another node's claim landing while this one waits for claims to settle, then its record
    const claimOfOther = [
      `read -r hash _ <"$STUB_STATE/s3/kc-bucket/status/realm.claim"`,
      `printf '%s i-0ccccccccccccccc3 %s\\n' "$hash" "$(date +%s)" >"$STUB_STATE/s3/kc-bucket/status/realm.claim"`,
      `printf '%s' "$hash" >"$STUB_STATE/s3/kc-bucket/status/realm.sha256"`,
    ].join("; ");
    // WHEN (sleep, here, is the settle wait of claim_realm)
    const { code, output } = boot.run(`sleep() { ${claimOfOther}; }\napply_realm`, {}, REALM_SCRIPT);
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(output).toContain("realm: applied by node i-0ccccccccccccccc3");
    expect(api()).toEqual([]);
  });

  it("waits for a fresh claim of another node, and takes it over once it expires unrecorded", () => {
    // GIVEN a node that claimed this realm and died (the hash: what this node computes, so apply once elsewhere)
    const other = clusterNode();
    fs.mkdirSync(`${other.root}/opt/keycloak-ec2/import`, { recursive: true });
    fs.writeFileSync(`${other.root}/opt/keycloak-ec2/import/${DEFAULT_REALM.name}-realm.json`, realmFile);
    fs.mkdirSync(`${other.root}/stub-state/active`, { recursive: true });
    fs.writeFileSync(`${other.root}/stub-state/active/keycloak.service`, "");
    expect(other.run("apply_realm", {}, REALM_SCRIPT).code).toBe(0);
    const hash = other.s3Object(REALM_HASH)!;
    other.remove();
    boot.putS3Object(REALM_CLAIM, `${hash} i-0ddddddddddddddd4 ${Math.floor(Date.now() / 1000)}\n`);
    // WHEN the claim holds 2 s
    const { code, output } = apply("", { KEYCLOAK_EC2_REALM_CLAIM_TTL: "2", KEYCLOAK_EC2_REALM_POLL: "1" });
    // THEN
    expect(output).not.toContain("FAILED");
    expect(code).toBe(0);
    expect(output).toContain("realm: waiting for node i-0ddddddddddddddd4 to apply it");
    expect(api()).toContain("POST /admin/realms");
    expect(boot.s3Object(REALM_HASH)).toBe(hash);
    expect(boot.s3Object(REALM_CLAIM)).toMatch(new RegExp(`^${hash} i-0aaaaaaaaaaaaaaa1 `));
  });

  it("gives up waiting for another node's record after REALM_WAIT, naming that node", () => {
    // GIVEN a fresh claim of another node for any hash this node computes: the claim is renewed at every read
    const OTHER = "i-0eeeeeeeeeeeeeee5";
    const renew = `aws() { if [[ $* == *realm.claim* && $* == *" -" ]]; then printf '%s ${OTHER} %s\\n' "$(sha256sum <"$work/realm.json" | cut -d ' ' -f 1)" "$(date +%s)"; else command aws "$@"; fi; }`;
    // WHEN
    const { code, output } = boot.run(
      `${renew}\napply_realm`,
      { KEYCLOAK_EC2_REALM_CLAIM_TTL: "1", KEYCLOAK_EC2_REALM_WAIT: "1", KEYCLOAK_EC2_REALM_POLL: "1" },
      REALM_SCRIPT,
    );
    // THEN
    expect(code).toBe(1);
    expect(output).toContain(`FAILED: realm: node ${OTHER} claimed its apply, but has not recorded it after 1 s`);
    expect(api()).toEqual([]);
  });

  it("applies with --force whatever the record and the claims say", () => {
    // GIVEN
    expect(apply().code).toBe(0);
    fs.rmSync(`${boot.root}/stub-state/keycloak-api`);
    // WHEN
    const { code } = apply("--force");
    // THEN
    expect(code).toBe(0);
    expect(api()).toContain("GET /admin/realms/app");
  });
});
