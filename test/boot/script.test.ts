import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { bootScript } from "../../src/boot/cloud-config";
import { SECRET_NAMES } from "../../src/boot/secrets";
import { BootHarness, SCRIPT } from "./harness";

describe("boot script: static checks", () => {
  it("passes shellcheck at warning level (style too)", () => {
    const result = spawnSync("shellcheck", ["-S", "style", SCRIPT], { encoding: "utf8" });
    if (result.error) throw new Error("shellcheck not found: apt-get install shellcheck (see the README)");
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  it("is what bootScript() ships", () => {
    expect(bootScript()).toBe(fs.readFileSync(SCRIPT, "utf8"));
  });

  it("reads every generated secret by its SSM name", () => {
    for (const name of Object.values(SECRET_NAMES)) expect(bootScript()).toContain(`secret ${name}`);
  });

  it("uses Keycloak 26's options, not the guide's removed ones", () => {
    expect(bootScript()).toContain("KC_BOOTSTRAP_ADMIN_USERNAME");
    expect(bootScript()).not.toMatch(/KEYCLOAK_ADMIN|--proxy|jdbc:postgres:/);
  });
});

/** Functions of the real script, run with the real openssl and a fake `aws` (see ./harness). */
describe("boot script: functions run for real", () => {
  const SECRETS = {
    "admin-password": "AdminSecret0123456789abcdefXYZ01",
    "db-password": "DbSecret0123456789abcdefghXYZ012",
    "bff-client-secret": "BffSecret0123456789abcdefgXYZ012",
    "service-client-secret": "SvcSecret0123456789abcdefgXYZ012",
  };
  let boot: BootHarness;
  let root: string;

  beforeEach(() => {
    boot = new BootHarness();
    root = boot.root;
    for (const [name, value] of Object.entries(SECRETS)) boot.putParameter(`/kc/keycloak/${name}`, value);
  });
  afterEach(() => boot.remove());

  const run = (commands: string) => boot.run(commands);
  const writeSettings = (overrides: Record<string, string>) => boot.writeSettings(overrides);
  const putParameter = (name: string, value: string) => boot.putParameter(name, value);

  const certificateText = () =>
    execFileSync("openssl", ["x509", "-in", `${root}/etc/keycloak-ec2/tls/tls.crt`, "-noout", "-text"], {
      encoding: "utf8",
    });

  // One scenario, as a host lives it (RSA 3072 keys are slow to make): first boot, a re-run, a new address.
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
    expect(text).toMatch(/Public-Key: \(3072 bit\)/);
    const key = fs.statSync(`${root}/etc/keycloak-ec2/tls/tls.key`);
    expect(key.mode & 0o777).toBe(0o400);
    expect(key.uid).toBe(1000);
    const certificate = fs.readFileSync(`${root}/etc/keycloak-ec2/tls/tls.crt`, "utf8");

    const again = run("resolve_addresses; setup_tls");
    expect(again.code).toBe(0);
    expect(again.output).not.toContain("making a self-signed certificate");
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/tls/tls.crt`, "utf8")).toBe(certificate);

    writeSettings({ KEYCLOAK_HOSTNAME: "", PUBLIC_IP: "198.51.100.9" });
    expect(run("resolve_addresses; setup_tls").output).toContain(
      "making a self-signed certificate for DNS:ec2-203-0-113-7.eu-west-3.compute.amazonaws.com,IP:198.51.100.9",
    );
    expect(certificateText()).toMatch(
      /Subject: CN ?= ?ec2-203-0-113-7\.eu-west-3\.compute\.amazonaws\.com[\s\S]*IP Address:198\.51\.100\.9/,
    );
  });

  it("installs a certificate of the user's own from SSM, refusing one that is not PEM", () => {
    const made = path.join(root, "own");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=own.example.com",
        "-keyout",
        `${made}.key`,
        "-out",
        `${made}.crt`,
      ],
      { stdio: "ignore" },
    );
    putParameter("/own/cert", fs.readFileSync(`${made}.crt`, "utf8"));
    putParameter("/own/key", fs.readFileSync(`${made}.key`, "utf8"));
    writeSettings({ TLS_CERTIFICATE_PARAMETER: "/own/cert", TLS_PRIVATE_KEY_PARAMETER: "/own/key" });
    expect(run("resolve_addresses; setup_tls").code).toBe(0);
    expect(certificateText()).toMatch(/Subject: CN ?= ?own\.example\.com/);

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
    expect(env).toMatch(/^JAVA_OPTS_KC_HEAP=-XX:MaxRAMPercentage=\d+ -XX:InitialRAMPercentage=\d+$/m);
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/runtime.env`, "utf8")).toBe(
      "KEYCLOAK_IMAGE=quay.io/keycloak/keycloak:26.7.4\nKEYCLOAK_MEMORY=1392m\nKEYCLOAK_MEMORY_SWAP=1392m\nKEYCLOAK_URL=https://ec2-203-0-113-7.eu-west-3.compute.amazonaws.com:8443\n",
    );
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  });

  it("caps the container's memory and heap on an instance type under 2 GiB", () => {
    boot.setMemory(950_000);
    expect(run("resolve_addresses; write_environment").code).toBe(0);
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/runtime.env`, "utf8")).toMatch(
      /^KEYCLOAK_IMAGE=\S+\nKEYCLOAK_MEMORY=900m\nKEYCLOAK_MEMORY_SWAP=2g\n/,
    );
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/keycloak.env`, "utf8")).toContain(
      "JAVA_OPTS_KC_HEAP=-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=15\n",
    );
  });

  it("gives the dev profile no database password", () => {
    writeSettings({ PROFILE: "dev" });
    boot.removeParameter("/kc/keycloak/db-password");
    expect(run("resolve_addresses; write_environment").code).toBe(0);
    expect(fs.readFileSync(`${root}/etc/keycloak-ec2/keycloak.env`, "utf8")).not.toContain("KC_DB_PASSWORD");
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
