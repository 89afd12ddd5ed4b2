import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { bootScript, memoryScript } from "../../src/boot/boot-files";
import { SECRET_NAMES, secretsOf } from "../../src/boot/secrets";
import { selfSignedCertificate } from "../certificates";
import { BootHarness, MEMORY_SCRIPT, SCRIPT, SECRETS } from "./harness";

const STUB = path.resolve(__dirname, "stubs/stub.sh");
/** certmagic's storage directory for Let's Encrypt's production CA (ACME_ISSUER_KEY). */
const LETS_ENCRYPT_DIR = "acme-v02.api.letsencrypt.org-directory";
/** A certificate from "E5", valid from 2020-01-01 to 2020-01-02 only. */
const EXPIRED_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBATCBqAIBATAKBggqhkjOPQQDAjANMQswCQYDVQQDDAJFNTAeFw0yMDAxMDEw
MDAwMDBaFw0yMDAxMDIwMDAwMDBaMA0xCzAJBgNVBAMMAkU1MFkwEwYHKoZIzj0C
AQYIKoZIzj0DAQcDQgAE5Ic+3pC03XZz5Wgmr+/Yn2LI88t9TaTrAlvZwiShswP6
t0ZebbNKZpyFTZbrX1sxdFlQFI1ncy3sxAViuXnDyzAKBggqhkjOPQQDAgNIADBF
AiBiVXyun9TscaaNJvdzMbbvufNtlwgH8Sz2b9mdPTXDHgIhALq3aaDAVrGQImrj
cmuUi1TEwWq1TH2efCq9HRCyPih3
-----END CERTIFICATE-----
`;

describe("boot script: static checks", () => {
  const scripts = fs.readdirSync(path.dirname(SCRIPT)).map((name) => path.join(path.dirname(SCRIPT), name));
  it.each([...scripts, STUB])(
    "passes shellcheck at warning level, style too, following what it sources (%s)",
    (file) => {
      const result = spawnSync("shellcheck", ["-x", "-P", "SCRIPTDIR", "-S", "style", file], { encoding: "utf8" });
      if (result.error) throw new Error("shellcheck not found: apt-get install shellcheck (see the README)");
      expect(result.stdout).toBe("");
      expect(result.status).toBe(0);
    },
  );

  it("is what bootScript() and memoryScript() ship", () => {
    expect(bootScript()).toBe(fs.readFileSync(SCRIPT, "utf8"));
    expect(memoryScript()).toBe(fs.readFileSync(MEMORY_SCRIPT, "utf8"));
  });

  it("reads every generated secret by its SSM name", () => {
    for (const name of Object.values(SECRET_NAMES)) expect(bootScript()).toContain(`secret ${name}`);
  });

  it("generates a database password for production and the cluster (RDS's master user), none for dev", () => {
    const all = Object.values(SECRET_NAMES);
    expect(secretsOf("production")).toEqual(all);
    expect(secretsOf("cluster")).toEqual(all);
    expect(secretsOf("dev")).toEqual(all.filter((name) => name !== "db-password"));
  });

  it("uses Keycloak 26's options, not the guide's removed ones", () => {
    expect(bootScript()).toContain("KC_BOOTSTRAP_ADMIN_USERNAME");
    // KEYCLOAK_ADMIN_CIDRS is the proxy's own variable, not the guide's admin user.
    expect(bootScript()).not.toMatch(/KEYCLOAK_ADMIN(?!_CIDRS)|--proxy[ =]|jdbc:postgres:/);
  });
});

/** Functions of the real script, run with the real openssl and a fake `aws` (see ./harness). */
describe("boot script: functions run for real", () => {
  let boot: BootHarness;
  let root: string;

  beforeEach(() => {
    boot = new BootHarness();
    root = boot.root;
    boot.putSecrets();
  });
  afterEach(() => boot.remove());

  const run = (commands: string) => boot.run(commands);
  const writeSettings = (overrides: Record<string, string>) => boot.writeSettings(overrides);

  it("reports what it applied to the bucket: the version, the realm and the hash of the bundle it ran", () => {
    // GIVEN the bundle that installed the boot, and a realm file
    writeSettings({ STATUS_BUCKET: "kc-bucket", STATUS_KEY: "status/boot.json" });
    fs.mkdirSync(`${root}/opt/keycloak-ec2/import`, { recursive: true });
    fs.writeFileSync(`${root}/opt/keycloak-ec2/bundle.sh`, "#!/bin/bash\necho bundle\n");
    fs.writeFileSync(`${root}/opt/keycloak-ec2/import/app-realm.json`, "{}");
    // WHEN
    const { code } = run("report_status applied");
    // THEN
    expect(code).toBe(0);
    const status = JSON.parse(boot.stubState("s3/kc-bucket/status/boot.json"));
    expect(status).toEqual({
      state: "applied",
      keycloakVersion: "26.7.4",
      realm: "app",
      bundleSha256: createHash("sha256").update("#!/bin/bash\necho bundle\n").digest("hex"),
      certificate: "",
      message: "",
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
  });

  it("reports a failure with its reason and the version that runs, once, and still fails", () => {
    // GIVEN an upgrade that went back to the previous version
    writeSettings({ STATUS_BUCKET: "kc-bucket", STATUS_KEY: "status/boot.json" });
    fs.mkdirSync(`${root}/var/lib/keycloak-ec2`, { recursive: true });
    fs.writeFileSync(`${root}/var/lib/keycloak-ec2/keycloak-image`, "keycloak-ec2/keycloak:26.6.1-0a1b2c3d\n");
    // WHEN a step fails
    const { code, output } = run('fail "the realm file is \\"broken\\""');
    // THEN
    expect(code).toBe(1);
    expect(output).toContain('FAILED: the realm file is "broken"');
    expect(JSON.parse(boot.stubState("s3/kc-bucket/status/boot.json"))).toMatchObject({
      state: "failed",
      keycloakVersion: "26.6.1",
      message: 'the realm file is "broken"',
    });
    expect(boot.calls().filter((call) => call.startsWith("aws s3 cp"))).toHaveLength(1);
    // One instance keeps serving what it ran before: only a cluster node, which the group replaces, stops.
    expect(boot.calls()).not.toContain("systemctl stop keycloak.service");
  });

  it("boots on when the status cannot be uploaded, saying so", () => {
    writeSettings({ STATUS_BUCKET: "kc-bucket", STATUS_KEY: "status/boot.json" });
    boot.failNext("aws", 1);
    const { code, output } = run("report_status applied");
    expect(code).toBe(0);
    expect(output).toContain("cannot upload the boot's status to s3://kc-bucket/status/boot.json");
  });
  const putParameter = (name: string, value: string) => boot.putParameter(name, value);

  const certificateText = () =>
    execFileSync("openssl", ["x509", "-in", `${root}/etc/keycloak-ec2/tls/tls.crt`, "-noout", "-text"], {
      encoding: "utf8",
    });

  // One scenario, as a host lives it: first boot, a re-run, a new address.
  it("makes a self-signed certificate for the hostname and the Elastic IP, keeps it on a re-run, remakes it for a new address", () => {
    writeSettings({ KEYCLOAK_HOSTNAME: "sso.example.com" });
    const first = run("resolve_addresses; setup_tls");
    expect(first.output).toContain(
      "making a self-signed certificate for DNS:sso.example.com,DNS:ec2-203-0-113-7.eu-west-3.compute.amazonaws.com,IP:203.0.113.7",
    );
    expect(first.code).toBe(0);
    const text = certificateText();
    expect(text).toMatch(/Subject: CN ?= ?sso\.example\.com/);
    expect(text).toContain(
      "DNS:sso.example.com, DNS:ec2-203-0-113-7.eu-west-3.compute.amazonaws.com, IP Address:203.0.113.7",
    );
    expect(text).toMatch(/Public-Key: \(256 bit\)/);
    expect(text).toMatch(/NIST CURVE: P-256/);
    // The key: root's, readable by group 0, which the container's user (1000:0) is in and no user of the host is.
    const key = fs.statSync(`${root}/etc/keycloak-ec2/tls/tls.key`);
    expect([key.mode & 0o777, key.uid, key.gid]).toEqual([0o440, 0, 0]);
    const crt = fs.statSync(`${root}/etc/keycloak-ec2/tls/tls.crt`);
    expect([crt.mode & 0o777, crt.uid, crt.gid]).toEqual([0o444, 0, 0]);
    const certificate = fs.readFileSync(`${root}/etc/keycloak-ec2/tls/tls.crt`, "utf8");

    const again = run("resolve_addresses; setup_tls");
    expect(again.code).toBe(0);
    expect(again.output).not.toContain("making a self-signed certificate");
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/tls/tls.crt`, "utf8")).toBe(certificate);

    // Without a hostname Keycloak is reached at the Elastic IP itself, which the certificate names first.
    writeSettings({ KEYCLOAK_HOSTNAME: "", PUBLIC_IP: "198.51.100.9" });
    expect(run("resolve_addresses; setup_tls").output).toContain(
      "making a self-signed certificate for IP:198.51.100.9,DNS:ec2-203-0-113-7.eu-west-3.compute.amazonaws.com",
    );
    expect(certificateText()).toMatch(
      /Subject: CN ?= ?198\.51\.100\.9[\s\S]*IP Address:198\.51\.100\.9, DNS:ec2-203-0-113-7\.eu-west-3\.compute\.amazonaws\.com/,
    );
  });

  it("installs a certificate of the user's own from SSM, refusing one that is not PEM", () => {
    const own = selfSignedCertificate(path.join(root, "own"), "own.example.com");
    putParameter("/own/cert", own.cert);
    putParameter("/own/key", own.key);
    writeSettings({
      TLS_MODE: "supplied",
      TLS_CERTIFICATE_PARAMETER: "/own/cert",
      TLS_PRIVATE_KEY_PARAMETER: "/own/key",
    });
    expect(run("resolve_addresses; setup_tls").code).toBe(0);
    expect(certificateText()).toMatch(/Subject: CN ?= ?own\.example\.com/);
    const key = fs.statSync(`${root}/etc/keycloak-ec2/tls/tls.key`);
    expect([key.mode & 0o777, key.uid, key.gid]).toEqual([0o440, 0, 0]);

    const other = path.join(root, "other");
    execFileSync(
      "openssl",
      ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${other}.key`],
      { stdio: "ignore" },
    );
    putParameter("/own/key", fs.readFileSync(`${other}.key`, "utf8"));
    const mismatch = run("resolve_addresses; setup_tls");
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.output).toContain(
      "FAILED: the private key in /own/key does not match the certificate in /own/cert",
    );

    putParameter("/own/cert", "not a certificate");
    const bad = run("resolve_addresses; setup_tls");
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("FAILED: /own/cert does not hold a PEM certificate");
  });

  it("makes no certificate in acme mode (Caddy gets its own), and refuses acme or supplied mode without their settings", () => {
    writeSettings({ TLS_MODE: "acme", ACME_ISSUER_KEY: LETS_ENCRYPT_DIR });
    const acme = run("resolve_addresses; setup_tls");
    expect(acme.code).toBe(0);
    expect(fs.readdirSync(`${root}/etc/keycloak-ec2/tls`)).toEqual([]);
    expect(boot.calls().filter((c) => c.startsWith("openssl"))).toEqual([]);

    writeSettings({ TLS_MODE: "acme" });
    expect(run("resolve_addresses; setup_tls").output).toContain(
      "FAILED: TLS_MODE=acme needs ACME_ISSUER_KEY (the configured CA's directory in Caddy's storage)",
    );

    writeSettings({ TLS_MODE: "supplied" });
    const supplied = run("resolve_addresses; setup_tls");
    expect(supplied.code).not.toBe(0);
    expect(supplied.output).toContain("FAILED: TLS_MODE=supplied needs TLS_CERTIFICATE_PARAMETER");
  });

  it("writes the proxy's env file, one value a line, and refuses an admin CIDR or email Caddy would misread", () => {
    writeSettings({
      KEYCLOAK_HOSTNAME: "sso.example.com",
      ADMIN_CIDRS: "198.51.100.0/24  2001:db8::/32",
      ACME_EMAIL: "ops@example.com",
    });
    expect(run("resolve_addresses; write_proxy_env").code).toBe(0);
    const file = `${root}/etc/keycloak-ec2/caddy.env`;
    expect(fs.readFileSync(file, "utf8")).toBe(
      "KEYCLOAK_PROXY_ADDRESS=sso.example.com\nKEYCLOAK_ADMIN_CIDRS=198.51.100.0/24 2001:db8::/32\nKEYCLOAK_ACME_EMAIL=ops@example.com\n",
    );
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    writeSettings({ ADMIN_CIDRS: "198.51.100.0/24 {$HOME}" });
    const cidr = run("resolve_addresses; write_proxy_env");
    expect(cidr.code).not.toBe(0);
    expect(cidr.output).toContain('FAILED: ADMIN_CIDRS holds "{$HOME}", which is not an IP address or CIDR');
    writeSettings({ ACME_EMAIL: "ops@example.com}" + '"' });
    expect(run("resolve_addresses; write_proxy_env").output).toContain("is not an email address");
  });

  /** The proxy's files as the bundle writes them. */
  const proxyFiles = () => {
    fs.mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
    fs.writeFileSync(`${root}/etc/keycloak-ec2/Caddyfile`, "caddyfile\n");
    fs.writeFileSync(`${root}/etc/systemd/system/caddy.service`, "unit\n");
  };

  it("starts the proxy once, and again only when its Caddyfile, env file, unit or certificate changed", () => {
    // GIVEN the proxy's files as the bundle and the boot write them
    proxyFiles();
    expect(run("resolve_addresses; setup_tls; write_proxy_env; start_proxy").code).toBe(0);
    const restarts = () => boot.calls().filter((c) => c === "systemctl restart caddy.service").length;
    expect(restarts()).toBe(1);
    expect(fs.statSync(`${root}/srv/keycloak-ec2/caddy`).mode & 0o777).toBe(0o700);

    // WHEN nothing changed THEN no restart
    expect(run("resolve_addresses; setup_tls; write_proxy_env; start_proxy").output).toContain(
      "the proxy (Caddy) is running with these settings already",
    );
    expect(restarts()).toBe(1);

    // WHEN the admin CIDRs change, or the certificate is remade for a new address THEN a restart each
    writeSettings({ ADMIN_CIDRS: "192.0.2.1" });
    run("resolve_addresses; setup_tls; write_proxy_env; start_proxy");
    expect(restarts()).toBe(2);
    writeSettings({ ADMIN_CIDRS: "192.0.2.1", PUBLIC_IP: "198.51.100.9" });
    run("resolve_addresses; setup_tls; write_proxy_env; start_proxy");
    expect(restarts()).toBe(3);
  });

  it("checks the Caddyfile with the proxy's image before a restart, and fails the boot with Caddy's error when it is rejected", () => {
    // GIVEN the proxy's files, and Caddy rejecting the Caddyfile
    proxyFiles();
    fs.writeFileSync(
      `${root}/stub-state/caddy-invalid`,
      '{"level":"info","msg":"using provided configuration"}\nError: adapting config using caddyfile: /etc/caddy/Caddyfile:3: unrecognized global option: fallback_sni\n',
    );
    // WHEN the boot starts the proxy
    const rejected = run("resolve_addresses; setup_tls; write_proxy_env; start_proxy");
    // THEN it checks the Caddyfile as the unit would run it, offline, and fails without restarting Caddy
    expect(rejected.code).not.toBe(0);
    expect(rejected.output).toContain(
      `FAILED: Caddy rejects ${root}/etc/keycloak-ec2/Caddyfile: Error: adapting config using caddyfile: /etc/caddy/Caddyfile:3: unrecognized global option: fallback_sni`,
    );
    expect(boot.calls()).toContain(
      "docker run --rm --network none --env-file $ROOT/etc/keycloak-ec2/caddy.env" +
        " --volume $ROOT/etc/keycloak-ec2/Caddyfile:/etc/caddy/Caddyfile:ro --volume $ROOT/etc/keycloak-ec2/tls:/etc/caddy/tls:ro" +
        " caddy:2.11.4 caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile",
    );
    expect(boot.calls()).not.toContain("systemctl restart caddy.service");

    // WHEN Caddy accepts it THEN the proxy is restarted
    fs.rmSync(`${root}/stub-state/caddy-invalid`);
    expect(run("resolve_addresses; setup_tls; write_proxy_env; start_proxy").code).toBe(0);
    expect(boot.calls()).toContain("systemctl restart caddy.service");
  });

  it("fails the boot when the proxy does not stay up after its restart, and checks again on the next run", () => {
    // GIVEN the proxy's files, and a Caddy that exits right after its start (a port taken, say)
    proxyFiles();
    fs.writeFileSync(`${root}/stub-state/caddy-crashes`, "");
    // WHEN the boot starts the proxy
    const crashed = run("resolve_addresses; setup_tls; write_proxy_env; start_proxy");
    // THEN
    expect(crashed.code).not.toBe(0);
    expect(crashed.output).toContain(
      "FAILED: the proxy (Caddy) went down after its start: caddy.service is inactive (see: journalctl -u caddy)",
    );
    // WHEN it starts on the next run THEN it is restarted (the failed start was not recorded as applied)
    fs.rmSync(`${root}/stub-state/caddy-crashes`);
    boot.clearCalls();
    expect(run("resolve_addresses; setup_tls; write_proxy_env; start_proxy").code).toBe(0);
    expect(boot.calls()).toContain("systemctl restart caddy.service");
  });

  it("reports the ACME certificate Caddy stored, with its issuer and expiry", () => {
    // GIVEN Caddy's storage with its internal CA's certificate for the name, and the ACME one
    writeSettings({
      TLS_MODE: "acme",
      ACME_ISSUER_KEY: LETS_ENCRYPT_DIR,
      STATUS_BUCKET: "kc-bucket",
      STATUS_KEY: "status/boot.json",
    });
    const storage = `${root}/srv/keycloak-ec2/caddy/caddy/certificates`;
    for (const issuer of ["local", "acme-v02.api.letsencrypt.org-directory"]) {
      fs.mkdirSync(`${storage}/${issuer}/203.0.113.7`, { recursive: true });
      selfSignedCertificate(`${storage}/${issuer}/203.0.113.7/203.0.113.7`, issuer === "local" ? "Caddy" : "E7");
    }
    // WHEN
    const { code, output } = run("resolve_addresses; await_certificate; report_status applied");
    // THEN
    expect(code).toBe(0);
    expect(output).toMatch(/certificate for 203\.0\.113\.7: issued by CN ?= ?E7, expires \w{3} +\d+ [\d:]+ \d{4} GMT/);
    expect(JSON.parse(boot.stubState("s3/kc-bucket/status/boot.json")).certificate).toMatch(
      /^issued by CN ?= ?E7, expires /,
    );
  });

  it("reports only a certificate of the configured CA, and only an unexpired one", () => {
    // GIVEN a valid certificate from Let's Encrypt's staging CA (whose directory sorts first), and an expired one from
    // the configured production CA
    writeSettings({ TLS_MODE: "acme", ACME_ISSUER_KEY: LETS_ENCRYPT_DIR });
    const storage = `${root}/srv/keycloak-ec2/caddy/caddy/certificates`;
    const stored = (issuer: string) => `${storage}/${issuer}/203.0.113.7/203.0.113.7`;
    fs.mkdirSync(path.dirname(stored("acme-staging-v02.api.letsencrypt.org-directory")), { recursive: true });
    selfSignedCertificate(stored("acme-staging-v02.api.letsencrypt.org-directory"), "(STAGING) Ersatz Edamame E1");
    fs.mkdirSync(path.dirname(stored(LETS_ENCRYPT_DIR)), { recursive: true });
    fs.writeFileSync(`${stored(LETS_ENCRYPT_DIR)}.crt`, EXPIRED_CERTIFICATE);
    const wait = { KEYCLOAK_EC2_CERT_WAIT: "0" };

    // WHEN the boot awaits the certificate THEN it is pending: neither is the one the CA must issue
    const pending = boot.run("resolve_addresses; await_certificate", wait);
    expect(pending.code).toBe(0);
    expect(pending.output).toContain("WARNING: the CA has not issued a certificate for 203.0.113.7");
    expect(pending.output).not.toMatch(/STAGING|E5/);

    // WHEN the production CA's certificate is renewed THEN that one is reported
    selfSignedCertificate(stored(LETS_ENCRYPT_DIR), "E7");
    expect(boot.run("resolve_addresses; await_certificate", wait).output).toMatch(
      /certificate for 203\.0\.113\.7: issued by CN ?= ?E7, expires /,
    );
  });

  it("says loudly when the CA has not issued in time, with Caddy's last ACME error, and boots on", () => {
    // GIVEN no certificate from the CA, only Caddy's internal one, and Caddy's log of a refused order, then of a
    // request to Keycloak while it starts
    writeSettings({
      TLS_MODE: "acme",
      ACME_ISSUER_KEY: LETS_ENCRYPT_DIR,
      KEYCLOAK_HOSTNAME: "sso.example.com",
      STATUS_BUCKET: "kc-bucket",
      STATUS_KEY: "s.json",
    });
    fs.mkdirSync(`${root}/srv/keycloak-ec2/caddy/caddy/certificates/local/sso.example.com`, { recursive: true });
    fs.writeFileSync(`${root}/srv/keycloak-ec2/caddy/caddy/certificates/local/sso.example.com/sso.example.com.crt`, "");
    fs.writeFileSync(
      `${root}/stub-state/caddy-log`,
      '{"level":"info","ts":1,"logger":"tls.obtain","msg":"acquiring lock"}\n' +
        '{"level":"error","ts":2,"logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"sso.example.com","error":"HTTP 429 urn:ietf:params:acme:error:rateLimited - too many certificates"}\n' +
        '{"level":"info","ts":3,"logger":"tls.obtain","msg":"will retry"}\n' +
        '{"level":"error","ts":4,"logger":"http.log.error","msg":"dial tcp 127.0.0.1:8080: connect: connection refused","error":"dial tcp 127.0.0.1:8080: connect: connection refused"}\n',
    );
    // WHEN
    const { code, output } = boot.run("resolve_addresses; await_certificate; report_status applied", {
      KEYCLOAK_EC2_CERT_WAIT: "0",
    });
    // THEN
    expect(code).toBe(0);
    expect(output).toContain(
      "WARNING: the CA has not issued a certificate for sso.example.com after 0 s (last error: HTTP 429 urn:ietf:params:acme:error:rateLimited - too many certificates). Caddy keeps retrying with backoff; clients get a self-signed certificate meanwhile",
    );
    expect(JSON.parse(boot.stubState("s3/kc-bucket/s.json")).certificate).toBe(
      "pending: HTTP 429 urn:ietf:params:acme:error:rateLimited - too many certificates",
    );
  });

  it("writes the container environment with the secrets, mode 0600, without printing any secret", () => {
    const { code, output } = run("resolve_addresses; write_environment");
    expect(code).toBe(0);
    const env = fs.readFileSync(`${root}/etc/keycloak-ec2/keycloak.env`, "utf8");
    expect(fs.statSync(`${root}/etc/keycloak-ec2/keycloak.env`).mode & 0o777).toBe(0o600);
    expect(env).toContain(
      `KC_BOOTSTRAP_ADMIN_USERNAME=admin\nKC_BOOTSTRAP_ADMIN_PASSWORD=${SECRETS["admin-password"]}\nKC_DB_PASSWORD=${SECRETS["db-password"]}\n`,
    );
    expect(env).toContain(
      `BFF_CLIENT_SECRET=${SECRETS["bff-client-secret"]}\nSERVICE_CLIENT_SECRET=${SECRETS["service-client-secret"]}\n`,
    );
    // The heap is the memory script's, sized at every start.
    expect(env).not.toContain("JAVA_OPTS_KC_HEAP");
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/runtime.env`, "utf8")).toMatch(
      /^KEYCLOAK_IMAGE=localhost\/keycloak-ec2\/keycloak:26\.7\.4-[0-9a-f]{12}\nKEYCLOAK_URL=https:\/\/203\.0\.113\.7\n$/,
    );
    expect(fs.statSync(`${root}/etc/keycloak-ec2/runtime.env`).mode & 0o777).toBe(0o600);
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  });

  it("gives the dev profile no database password, and the official image (start-dev builds for itself)", () => {
    writeSettings({ PROFILE: "dev" });
    boot.removeParameter("/kc/keycloak/db-password");
    expect(run("resolve_addresses; write_environment").code).toBe(0);
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/keycloak.env`, "utf8")).not.toContain("KC_DB_PASSWORD");
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/runtime.env`, "utf8")).toMatch(
      /^KEYCLOAK_IMAGE=quay\.io\/keycloak\/keycloak:26\.7\.4\n/,
    );
  });

  it("fails loudly, writing no environment, when a secret is missing or is not a generated one", () => {
    boot.removeParameter("/kc/keycloak/bff-client-secret");
    const missing = run("resolve_addresses; write_environment");
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain(
      "FAILED: cannot read SSM parameter /kc/keycloak/bff-client-secret with the instance role",
    );
    expect(fs.existsSync(`${root}/etc/keycloak-ec2/keycloak.env`)).toBe(false);

    putParameter("/kc/keycloak/bff-client-secret", "short'quote");
    const invalid = run("resolve_addresses; write_environment");
    expect(invalid.code).not.toBe(0);
    expect(invalid.output).toContain(
      "FAILED: SSM parameter /kc/keycloak/bff-client-secret is not a generated alphanumeric secret",
    );
    expect(fs.existsSync(`${root}/etc/keycloak-ec2/keycloak.env`)).toBe(false);
  });

  it("refuses to run without its settings", () => {
    fs.writeFileSync(`${root}/etc/keycloak-ec2/boot.env`, "PROFILE='production'\n");
    const { code, output } = run("true");
    expect(code).not.toBe(0);
    expect(output).toMatch(/AWS_REGION/);
  });
});

/** The first boot's network: the Elastic IP arrives after the instance starts, and downloads are retried. */
describe("boot script: network steps", () => {
  let boot: BootHarness;
  beforeEach(() => {
    boot = new BootHarness();
  });
  afterEach(() => boot.remove());

  const imdsCalls = () => boot.calls().filter((call) => call.includes("meta-data/public-ipv4")).length;

  it("waits until the instance's public address is the Elastic IP, saying so", () => {
    // GIVEN the temporary address twice, then the Elastic IP
    boot.setImds("public-ipv4", "198.51.100.77", "198.51.100.77", "203.0.113.7");
    // WHEN
    const { code, output } = boot.run("wait_for_elastic_ip");
    // THEN
    expect(code).toBe(0);
    expect(output).toContain("waiting for the Elastic IP 203.0.113.7 (the instance's public address is 198.51.100.77)");
    expect(output).toContain("the instance answers at its Elastic IP 203.0.113.7");
    expect(imdsCalls()).toBe(3);
  });

  it("goes on after its time limit when the Elastic IP never arrives (the retries cover a late switch)", () => {
    boot.setImds("public-ipv4", "198.51.100.77");
    const { code, output } = boot.run("wait_for_elastic_ip", { KEYCLOAK_EC2_ADDRESS_WAIT: "0" });
    expect(code).toBe(0);
    expect(output).toContain("the Elastic IP 203.0.113.7 is still not the instance's address after 0 s: going on");
  });

  it("waits for nothing without an Elastic IP", () => {
    boot.writeSettings({ PUBLIC_IP: "" });
    expect(boot.run("wait_for_elastic_ip").code).toBe(0);
    expect(imdsCalls()).toBe(0);
  });

  it("retries a download, logging each failure", () => {
    // GIVEN a connection reset twice (as the address switch does)
    boot.failNext("dnf", 2);
    // WHEN
    const { code, output } = boot.run("retry dnf install -y docker", { KEYCLOAK_EC2_RETRY_ATTEMPTS: "3" });
    // THEN
    expect(code).toBe(0);
    expect(output).toContain("dnf failed (attempt 1 of 3), retrying in 0 s");
    expect(output).toContain("dnf failed (attempt 2 of 3), retrying in 0 s");
    expect(boot.calls()).toEqual(Array(3).fill("dnf install -y docker"));
  });

  it("gives up clearly after its last attempt", () => {
    boot.failNext("dnf", 5);
    const { code, output } = boot.run("retry dnf install -y docker; echo not reached", {
      KEYCLOAK_EC2_RETRY_ATTEMPTS: "3",
    });
    expect(code).toBe(1);
    expect(output).toContain("FAILED: dnf install -y docker failed 3 times, giving up (is the network reachable?)");
    expect(output).not.toContain("not reached");
    expect(boot.calls()).toHaveLength(3);
  });

  it("waits longer after each failure, 10, 20, 30 and 40 s by default", () => {
    const { stdout } = boot.run(`sleep() { echo "slept $1"; }; retry false || true`, { KEYCLOAK_EC2_RETRY_DELAY: "" });
    expect(stdout).toBe("slept 10\nslept 20\nslept 30\nslept 40\n");
  });

  it("installs openssl with Docker (and PostgreSQL in production), retried, and not again once installed", () => {
    boot.failNext("dnf", 1);
    expect(boot.run("install_packages").code).toBe(0);
    expect(boot.calls()).toEqual([
      "rpm -q --quiet docker openssl postgresql16 postgresql16-server",
      "dnf install -y -q docker openssl postgresql16 postgresql16-server",
      "dnf install -y -q docker openssl postgresql16 postgresql16-server",
      "systemctl enable --now docker",
    ]);
    boot.clearCalls();
    const again = boot.run("install_packages");
    expect(again.output).toContain("docker openssl postgresql16 postgresql16-server installed already");
    expect(boot.calls()).toEqual([
      "rpm -q --quiet docker openssl postgresql16 postgresql16-server",
      "systemctl enable --now docker",
    ]);
  });
});

describe("boot script: swap file", () => {
  let boot: BootHarness;
  beforeEach(() => {
    boot = new BootHarness();
  });
  afterEach(() => boot.remove());

  // The rules (which sizes, what is made) are the memory script's, tested in memory.test.ts.
  it("makes it with the memory script, once, on 2 GiB or less", () => {
    boot.setMemory(950_000);
    const { code, output } = boot.run("add_swap_if_small; add_swap_if_small");
    expect(code).toBe(0);
    expect(output).toContain("adding a 2 GiB swap file");
    expect(boot.calls()).toEqual([
      "swapon --show=NAME --noheadings",
      "dd if=/dev/zero of=$ROOT/swapfile bs=1M count=2048 status=none",
      "mkswap $ROOT/swapfile",
      "swapon $ROOT/swapfile",
      "swapon --show=NAME --noheadings",
    ]);
    expect(fs.readFileSync(`${boot.root}/etc/fstab`, "utf8").match(/swapfile/g)).toHaveLength(1);
    // The swap file alone: the sizes are left to keycloak.service's start.
    expect(fs.existsSync(`${boot.root}/run/keycloak-ec2/memory.env`)).toBe(false);
  });

  it("makes none over 2 GiB", () => {
    boot.setMemory(3_900_000);
    expect(boot.run("add_swap_if_small").code).toBe(0);
    expect(boot.calls()).toEqual([]);
  });

  it("stops the boot, reporting it, when the swap file cannot be made", () => {
    boot.setMemory(950_000);
    boot.failNext("dd", 1);
    const { code, output } = boot.run("add_swap_if_small; echo went on");
    expect(code).not.toBe(0);
    expect(output).toContain("FAILED: line ");
    expect(output).not.toContain("went on");
  });
});

/** Keycloak's build step, done once per version and options in a local image. */
describe("boot script: Keycloak image", () => {
  let boot: BootHarness;
  beforeEach(() => {
    boot = new BootHarness();
  });
  afterEach(() => boot.remove());

  const dockerfile = () => fs.readFileSync(`${boot.root}/var/lib/keycloak-ec2/image/Dockerfile`, "utf8");

  it("builds a production image with the build-time options, from Keycloak's image, once", () => {
    const image = boot.run("run_image").stdout;
    expect(image).toMatch(/^localhost\/keycloak-ec2\/keycloak:26\.7\.4-[0-9a-f]{12}$/);
    expect(boot.run("prepare_image").code).toBe(0);
    expect(boot.calls()).toEqual([
      `docker image inspect ${image}`,
      "docker pull --quiet quay.io/keycloak/keycloak:26.7.4",
      `docker build --tag ${image} $ROOT/var/lib/keycloak-ec2/image`,
      // The proxy's image too: its unit never pulls.
      "docker image inspect caddy:2.11.4",
      "docker pull --quiet caddy:2.11.4",
    ]);
    expect(dockerfile()).toBe(
      [
        "# Written by keycloak-ec2: quay.io/keycloak/keycloak:26.7.4 built for its options (https://www.keycloak.org/server/containers)",
        "FROM quay.io/keycloak/keycloak:26.7.4",
        "ENV KC_DB=postgres KC_HEALTH_ENABLED=true KC_METRICS_ENABLED=true",
        "RUN /opt/keycloak/bin/kc.sh build",
        "",
      ].join("\n"),
    );

    boot.clearCalls();
    const again = boot.run("prepare_image");
    expect(again.output).toContain(`image ${image} present already`);
    expect(boot.calls()).toEqual([`docker image inspect ${image}`, "docker image inspect caddy:2.11.4"]);
  });

  it("names a new image for a new Keycloak version", () => {
    const first = boot.run("run_image").stdout;
    boot.writeSettings({ KEYCLOAK_IMAGE: "quay.io/keycloak/keycloak:26.7.5" });
    const second = boot.run("run_image").stdout;
    expect(second).toMatch(/^localhost\/keycloak-ec2\/keycloak:26\.7\.5-[0-9a-f]{12}$/);
    expect(second.split("-").pop()).not.toBe(first.split("-").pop());
  });

  it("retries the pull and the build", () => {
    boot.failNext("docker", 2); // the image check, then the first pull
    expect(boot.run("prepare_image").code).toBe(0);
    expect(boot.calls().filter((call) => call.startsWith("docker pull --quiet quay.io"))).toHaveLength(2);
  });

  it("only pulls Keycloak's image in dev, where start-dev builds at every start", () => {
    boot.writeSettings({ PROFILE: "dev" });
    expect(boot.run("prepare_image").code).toBe(0);
    expect(boot.calls()).toEqual([
      "docker image inspect quay.io/keycloak/keycloak:26.7.4",
      "docker pull --quiet quay.io/keycloak/keycloak:26.7.4",
      "docker image inspect caddy:2.11.4",
      "docker pull --quiet caddy:2.11.4",
    ]);
    expect(fs.existsSync(`${boot.root}/var/lib/keycloak-ec2/image`)).toBe(false);
  });
});
