import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BootInput, bootScripts, bootSettings, settingsFile, staticBootFiles } from "../../src/boot/boot-files";
import { bundleScript, fetchScript } from "../../src/boot/bundle";
import { LETS_ENCRYPT } from "../../src/defaults";
import { escapeTemplate, renderLiteral } from "../../src/text/template";
import { bootInputOf, serverConfig } from "../server-config";
import { CLUSTER_INPUT } from "./cluster-input";

const ADDRESSES = { publicDns: "ec2-203-0-113-7.compute-1.amazonaws.com", publicIp: "203.0.113.7" };

/** The bundle the instance fetches for a config (as Terraform renders it, references filled in). */
function rendered(raw: Record<string, unknown>) {
  const config = serverConfig(raw);
  const input = bootInputOf(config, ADDRESSES);
  const settings = settingsFile(bootSettings(input));
  const files = staticBootFiles(input, config.keycloak.realm);
  return { config, settings, files, text: bundleScript(settings, files) };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-bundle-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const shellcheck = (text: string) => {
  const file = path.join(dir, `script-${crypto.randomUUID()}.sh`);
  fs.writeFileSync(file, text);
  const result = spawnSync("shellcheck", ["-S", "style", file], { encoding: "utf8" });
  if (result.error) throw new Error("shellcheck not found: apt-get install shellcheck (see the README)");
  return result.stdout;
};

const VARIANTS: Array<[string, Record<string, unknown>]> = [
  ["production (defaults)", {}],
  ["dev", { profile: "dev" }],
  [
    "production with a hostname, own certificate, small instance and custom realm",
    {
      instanceType: "t3.micro",
      keycloak: {
        hostname: "sso.example.com",
        adminUser: "ops@example.com",
        tlsCertificate: { certificateParameter: "/sso/cert", privateKeyParameter: "/sso/key" },
        realm: { name: "acme", spa: { redirectUris: ["https://app.example.com/*"], webOrigins: ["+"] } },
      },
    },
  ],
];

describe.each(VARIANTS)("boot bundle: %s", (_name, raw) => {
  const { text, settings, files } = rendered(raw);

  it("passes shellcheck", () => {
    expect(shellcheck(text)).toBe("");
  });

  it("installs each file exactly as generated, with its mode, replacing what was there, then runs the boot", () => {
    const root = fs.mkdtempSync(path.join(dir, "root-"));
    // A boot that only says it ran: the bundle execs whatever boot script it installed.
    const fakeBoot = {
      path: "/opt/keycloak-ec2/keycloak-boot.sh",
      permissions: "0700",
      content: "#!/bin/bash\necho boot ran\n",
    };
    const installed = [...files.filter((f) => f.path !== fakeBoot.path), fakeBoot];
    fs.mkdirSync(`${root}/etc/keycloak-ec2`, { recursive: true });
    fs.writeFileSync(`${root}/etc/keycloak-ec2/boot.env`, "OLD=1\n", { mode: 0o644 });
    for (const run of [1, 2]) {
      const output = execFileSync("bash", ["-c", bundleScript(settings, installed)], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, KEYCLOAK_EC2_ROOT: root },
      });
      expect(output).toBe("boot ran\n");
      expect(fs.readFileSync(`${root}/etc/keycloak-ec2/boot.env`, "utf8")).toBe(settings);
      expect(fs.statSync(`${root}/etc/keycloak-ec2/boot.env`).mode & 0o777).toBe(0o600);
      for (const file of installed) {
        expect([run, file.path, fs.readFileSync(path.join(root, file.path), "utf8")]).toEqual([
          run,
          file.path,
          file.content,
        ]);
        expect(fs.statSync(path.join(root, file.path)).mode & 0o777).toBe(parseInt(file.permissions, 8));
      }
    }
    expect(execFileSync("find", [root, "-name", "*.new"], { encoding: "utf8" })).toBe("");
  });

  it("survives Terraform's template rendering unchanged once escaped", () => {
    expect(renderLiteral(bundleScript(settings, files, escapeTemplate))).toBe(text);
  });
});

describe("fetch script (the user data, and Systems Manager's command)", () => {
  const options = { region: "eu-west-3", bucket: "kc-backups-1", key: "boot/bundle.sh" };

  it.each([
    ["at first boot", fetchScript(options)],
    ["from Systems Manager, with the hash", fetchScript({ ...options, sha256: "a".repeat(64) })],
  ])("passes shellcheck and survives Terraform's rendering (%s)", (_, text) => {
    expect(shellcheck(text)).toBe("");
    expect(renderLiteral(text)).toBe(text);
  });

  it("holds no literal password as a scanner sees it (Trivy's user-data rule), and stays small", () => {
    const text = fetchScript(options);
    expect(text).not.toMatch(/password\s?[:=]/im);
    expect(text.length).toBeLessThan(2048);
  });

  /** Runs the fetch script with a stub `aws` that copies from a scratch bucket, and `flock`/paths relocated. */
  const fetchRun = (sha256: string | undefined, bundle: string) => {
    const root = fs.mkdtempSync(path.join(dir, "fetch-"));
    fs.mkdirSync(`${root}/bin`);
    fs.mkdirSync(`${root}/bucket/boot`, { recursive: true });
    fs.writeFileSync(`${root}/bucket/boot/bundle.sh`, bundle);
    fs.writeFileSync(
      `${root}/bin/aws`,
      `#!/bin/bash\necho "aws $*" >>"${root}/calls"\ncp "${root}/bucket/\${6#s3://*/}" "$7"\n`,
      {
        mode: 0o755,
      },
    );
    // The real paths are the instance's; the test relocates them under the scratch root.
    const text = fetchScript({ ...options, sha256 })
      .replaceAll("/opt/keycloak-ec2", `${root}/opt/keycloak-ec2`)
      .replaceAll("/run/keycloak-ec2.lock", `${root}/lock`);
    const result = spawnSync("bash", ["-c", text], {
      encoding: "utf8",
      env: { PATH: `${root}/bin:${process.env.PATH}` },
    });
    return { root, result };
  };

  it("fetches the bundle and runs it", () => {
    const bundle = "#!/bin/bash\necho bundle ran\n";
    const { root, result } = fetchRun(undefined, bundle);
    expect(result.stdout).toBe("bundle ran\n");
    expect(result.status).toBe(0);
    expect(fs.readFileSync(`${root}/calls`, "utf8")).toBe(
      "aws s3 cp --only-show-errors --region eu-west-3 s3://kc-backups-1/boot/bundle.sh " +
        `${root}/opt/keycloak-ec2/bundle.sh.new\n`,
    );
    expect(fs.statSync(`${root}/opt/keycloak-ec2/bundle.sh`).mode & 0o777).toBe(0o700);
  });

  it("runs the bundle only if it is the one whose hash Systems Manager was given", () => {
    const bundle = "#!/bin/bash\necho bundle ran\n";
    const hash = crypto.createHash("sha256").update(bundle).digest("hex");
    expect(fetchRun(hash, bundle).result.stdout).toBe("bundle ran\n");
    const other = fetchRun("b".repeat(64), bundle).result;
    expect(other.stdout).toBe("");
    expect(other.stderr).toContain(`the bundle in S3 is ${hash}, not ${"b".repeat(64)}`);
    expect(other.status).toBe(0);
  });
});

describe("static boot files", () => {
  it.each([["production"], ["dev"]] as const)("ship every boot script, the unit and the realm (%s)", (mode) => {
    const { files } = rendered({ profile: mode });
    expect(files.map((f) => [f.path, f.permissions])).toEqual([
      ...bootScripts().map((f) => [f.path, "0700"]),
      ["/etc/systemd/system/keycloak.service", "0644"],
      ["/etc/keycloak-ec2/Caddyfile", "0644"],
      ["/etc/systemd/system/caddy.service", "0644"],
      ...(mode === "production"
        ? [
            ["/etc/systemd/system/keycloak-backup.service", "0644"],
            ["/etc/systemd/system/keycloak-backup.timer", "0644"],
          ]
        : []),
      ["/opt/keycloak-ec2/import/app-realm.json", "0644"],
    ]);
    const unit = files.find((f) => f.path.endsWith("keycloak.service"))!;
    expect(unit.content).toContain(`ExecStartPre=/opt/keycloak-ec2/keycloak-memory.sh ${mode}\n`);
  });
});

describe("boot input: TLS modes", () => {
  const input = bootInputOf(serverConfig({}), ADDRESSES);
  const caddyfileOf = (tls: typeof input.tls, hostname?: string) =>
    staticBootFiles({ ...input, hostname, tls }, serverConfig({}).keycloak.realm).find((f) =>
      f.path.endsWith("/Caddyfile"),
    )!.content;

  it("writes the Caddyfile for the address and the certificate's source", () => {
    expect(caddyfileOf({ mode: "acme" })).toMatch(/default_sni[\s\S]*profile shortlived/);
    const hostname = caddyfileOf({ mode: "acme", acmeDirectory: LETS_ENCRYPT.staging }, "sso.example.com");
    expect(hostname).toContain(`\tdir ${LETS_ENCRYPT.staging}\n`);
    expect(hostname).toContain("\tfallback_sni keycloak-ec2.invalid\n");
    expect(hostname).not.toMatch(/profile|default_sni/);
    expect(caddyfileOf({ mode: "self-signed" })).toContain("\ttls /etc/caddy/tls/tls.crt /etc/caddy/tls/tls.key\n");
  });

  it("puts the mode, the ACME contact and CA, the admin CIDRs and the proxy's image in the settings", () => {
    const settings = bootSettings({
      ...input,
      tls: { mode: "acme", acmeEmail: "ops@example.com" },
      adminCidrs: "198.51.100.0/24 2001:db8::/32",
    });
    expect(settings).toMatchObject({
      TLS_MODE: "acme",
      ACME_EMAIL: "ops@example.com",
      // Where Caddy stores the certificates of Let's Encrypt's production CA (certmagic's issuer key).
      ACME_ISSUER_KEY: "acme-v02.api.letsencrypt.org-directory",
      ADMIN_CIDRS: "198.51.100.0/24 2001:db8::/32",
      PROXY_IMAGE: "caddy:2.11.4",
    });
    expect(settings).not.toHaveProperty("HTTPS_PORT");
    const issuerKey = (tls: Parameters<typeof bootSettings>[0]["tls"]) =>
      bootSettings({ ...input, tls }).ACME_ISSUER_KEY;
    expect(issuerKey({ mode: "acme", acmeDirectory: LETS_ENCRYPT.staging })).toBe(
      "acme-staging-v02.api.letsencrypt.org-directory",
    );
    expect(issuerKey({ mode: "self-signed" })).toBe("");
  });

  it("refuses a supplied mode without a certificate, a certificate in another mode, and an email Caddy would misread", () => {
    const own = { certificateParameter: "/c", privateKeyParameter: "/k" };
    expect(() => bootSettings({ ...input, tls: { mode: "supplied" } })).toThrow(/"supplied" needs tlsCertificate/);
    expect(() => bootSettings({ ...input, tls: { mode: "acme" }, tlsCertificate: own })).toThrow(
      /tlsCertificate is only read with tls.mode "supplied"/,
    );
    for (const acmeEmail of ['ops"@example.com', "ops @example.com", "ops@example.com\nX=1", "ops"])
      expect(() => bootSettings({ ...input, tls: { mode: "acme", acmeEmail } })).toThrow(/tls.acmeEmail/);
    expect(() => staticBootFiles({ ...input, tls: { mode: "supplied" } }, serverConfig({}).keycloak.realm)).toThrow(
      /tlsCertificate/,
    );
  });
});

describe("settings file", () => {
  it("gives bash exactly the configured values", () => {
    const { settings } = rendered({ region: "eu-west-3", keycloak: { hostname: "sso.example.com" } });
    const file = path.join(dir, "boot.env");
    fs.writeFileSync(file, settings);
    const seen = execFileSync(
      "bash",
      [
        "-c",
        `set -a; . "${file}"; printf '%s|' "$PROFILE" "$AWS_REGION" "$KEYCLOAK_HOSTNAME" "$PUBLIC_DNS" "$PUBLIC_IP" "$PARAMETER_PREFIX" "$TLS_CERTIFICATE_PARAMETER"`,
      ],
      { encoding: "utf8" },
    );
    expect(seen).toBe(
      "production|eu-west-3|sso.example.com|ec2-203-0-113-7.compute-1.amazonaws.com|203.0.113.7|/keycloak-ec2/keycloak||",
    );
  });

  it("refuses a value that could break out of its quotes", () => {
    expect(() =>
      settingsFile({ ...bootSettings(bootInputOf(serverConfig({}), {})), PUBLIC_DNS: "x' ; rm -rf / ; '" }),
    ).toThrow(/PUBLIC_DNS cannot hold quotes/);
  });
});

describe("bundle guards", () => {
  it("refuses a file that its here-document could not carry exactly", () => {
    expect(() => bundleScript("A=1\n", [{ path: "/x", permissions: "0644", content: "no final newline" }])).toThrow(
      /must end in a newline/,
    );
    expect(() =>
      bundleScript("A=1\n", [{ path: "/x", permissions: "0644", content: "a\nKEYCLOAK_EC2_FILE_END\nb\n" }]),
    ).toThrow(/no line "KEYCLOAK_EC2_FILE_END"/);
  });
});

describe("cluster: settings, files and bundle", () => {
  // One trusted CIDR: the settings file holds the list as given.
  const input: BootInput = { ...CLUSTER_INPUT, trustedProxyCidrs: "172.31.0.0/16" };
  const realm = serverConfig({}).keycloak.realm;

  it("has the cluster's settings only: the database, the trusted proxies, the realm's record, reports, the launch hook", () => {
    expect(bootSettings(input)).toEqual({
      PROFILE: "cluster",
      AWS_REGION: "eu-west-3",
      KEYCLOAK_IMAGE: "quay.io/keycloak/keycloak:26.7.4",
      PARAMETER_PREFIX: "/kc/keycloak",
      ADMIN_USER: "admin",
      KEYCLOAK_HOSTNAME: "sso.example.com",
      STATUS_BUCKET: "kc-bucket",
      NODE_STATUS_PREFIX: "status/nodes/",
      DB_ENDPOINT: "kc.abcdefghij.eu-west-3.rds.amazonaws.com",
      DB_PORT: "5432",
      TRUSTED_PROXY_CIDRS: "172.31.0.0/16",
      REALM_HASH_KEY: "status/realm.sha256",
      GROUP_NAME: "kc-hosts",
      LAUNCH_HOOK: "keycloak-boot",
    });
  });

  it("leaves a single instance's settings file as it was: the same keys, in the same order", () => {
    const keys = Object.keys(bootSettings(bootInputOf(serverConfig({}), ADDRESSES)));
    expect(keys).toEqual([
      "PROFILE",
      "AWS_REGION",
      "KEYCLOAK_IMAGE",
      "PARAMETER_PREFIX",
      "ADMIN_USER",
      "KEYCLOAK_HOSTNAME",
      "TLS_MODE",
      "ACME_EMAIL",
      "ACME_ISSUER_KEY",
      "ADMIN_CIDRS",
      "PROXY_IMAGE",
      "PUBLIC_DNS",
      "PUBLIC_IP",
      "TLS_CERTIFICATE_PARAMETER",
      "TLS_PRIVATE_KEY_PARAMETER",
      "DATA_VOLUME_ID",
      "DATA_DEVICE",
      "BACKUP_BUCKET",
      "BACKUP_PREFIX",
      "STATUS_BUCKET",
      "STATUS_KEY",
    ]);
  });

  it("ships the scripts, the unit and the realm: no proxy, no backup timer", () => {
    const files = staticBootFiles(input, realm);
    expect(files.map((f) => [f.path, f.permissions])).toEqual([
      ...bootScripts().map((f) => [f.path, "0700"]),
      ["/etc/systemd/system/keycloak.service", "0644"],
      ["/opt/keycloak-ec2/import/app-realm.json", "0644"],
    ]);
    expect(bootScripts().map((f) => f.path)).toContain("/opt/keycloak-ec2/keycloak-cluster.sh");
    expect(files.find((f) => f.path.endsWith("keycloak.service"))!.content).toContain("--cache-stack=jdbc-ping");
  });

  it("passes shellcheck, and survives Terraform's rendering once escaped", () => {
    const settings = settingsFile(bootSettings(input));
    const text = bundleScript(settings, staticBootFiles(input, realm));
    expect(shellcheck(text)).toBe("");
    expect(renderLiteral(bundleScript(settings, staticBootFiles(input, realm), escapeTemplate))).toBe(text);
  });

  it.each<[string, Partial<BootInput>, RegExp]>([
    ["no database", { database: undefined }, /mode "cluster" needs database/],
    ["no trusted proxies", { trustedProxyCidrs: undefined }, /mode "cluster" needs trustedProxyCidrs/],
    ["no hostname", { hostname: undefined }, /mode "cluster" needs hostname/],
    ["no status bucket", { status: undefined }, /mode "cluster" needs status/],
    ["a TLS mode", { tls: { mode: "acme" } }, /tls is not read in mode "cluster"/],
    ["admin CIDRs", { adminCidrs: "203.0.113.0/24" }, /adminCidrs is not read in mode "cluster"/],
    ["a data volume", { dataVolume: { volumeId: "vol-1", deviceName: "/dev/sdf" } }, /dataVolume is not read/],
  ])("refuses a cluster input with %s", (_what, change, message) => {
    expect(() => bootSettings({ ...input, ...change })).toThrow(message);
    expect(() => staticBootFiles({ ...input, ...change }, realm)).toThrow(message);
  });

  it("refuses a single instance's input with the cluster's fields, or without its own", () => {
    const single = bootInputOf(serverConfig({}), ADDRESSES);
    expect(() => bootSettings({ ...single, database: input.database })).toThrow(
      /database is only read in mode "cluster", not "production"/,
    );
    expect(() => bootSettings({ ...single, trustedProxyCidrs: "10.0.0.0/8" })).toThrow(
      /trustedProxyCidrs is only read/,
    );
    expect(() => bootSettings({ ...single, tls: undefined })).toThrow(/mode "production" needs tls/);
    expect(() => bootSettings({ ...single, adminCidrs: undefined })).toThrow(/mode "production" needs adminCidrs/);
  });
});

describe("fetch script of a cluster node (pinned to its own object version and hash)", () => {
  const options = { region: "eu-west-3", bucket: "kc-bucket", key: "boot/bundle.sh" };
  const bundle = "#!/bin/bash\necho own bundle ran\n";
  const hash = crypto.createHash("sha256").update(bundle).digest("hex");

  /**
   * Runs the pinned fetch script with a stub `aws` that answers `s3api get-object` from a scratch bucket holding
   * `versions` (version id to content) of the key, as S3 does: the JSON metadata on stdout, NoSuchVersion for any
   * other version. `sleep` is stubbed, so the retries take no time. Paths are relocated under the scratch root.
   */
  const pinnedRun = (versionId: string, sha256: string, versions: Record<string, string>) => {
    const root = fs.mkdtempSync(path.join(dir, "fetch-pinned-"));
    fs.mkdirSync(`${root}/bin`);
    fs.mkdirSync(`${root}/bucket`);
    for (const [version, content] of Object.entries(versions)) fs.writeFileSync(`${root}/bucket/${version}`, content);
    fs.writeFileSync(
      `${root}/bin/aws`,
      [
        "#!/bin/bash",
        `echo "aws $*" >>"${root}/calls"`,
        '[[ $1 == s3api && $2 == get-object ]] || { echo "stub aws: unexpected $*" >&2; exit 2; }',
        'version="" key="" bucket=""',
        "while [[ $# -gt 1 ]]; do",
        "  case $1 in",
        "    --version-id) version=$2; shift ;;",
        "    --key) key=$2; shift ;;",
        "    --bucket) bucket=$2; shift ;;",
        "  esac",
        "  shift",
        "done",
        `if [[ $bucket != ${options.bucket} || $key != ${options.key} || ! -f "${root}/bucket/$version" ]]; then`,
        '  echo "An error occurred (NoSuchVersion) when calling the GetObject operation" >&2',
        "  exit 254",
        "fi",
        `cp "${root}/bucket/$version" "$1"`,
        'echo "{\\"VersionId\\": \\"$version\\"}"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    fs.writeFileSync(`${root}/bin/sleep`, "#!/bin/bash\n", { mode: 0o755 });
    const text = fetchScript({ ...options, sha256, versionId })
      .replaceAll("/opt/keycloak-ec2", `${root}/opt/keycloak-ec2`)
      .replaceAll("/run/keycloak-ec2.lock", `${root}/lock`);
    const result = spawnSync("bash", ["-c", text], {
      encoding: "utf8",
      env: { PATH: `${root}/bin:${process.env.PATH}` },
    });
    const calls = fs.existsSync(`${root}/calls`) ? fs.readFileSync(`${root}/calls`, "utf8") : "";
    return { root, result, calls };
  };

  it("passes shellcheck, names the version and the hash, and survives Terraform's rendering", () => {
    const text = fetchScript({ ...options, sha256: "c".repeat(64), versionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" });
    expect(shellcheck(text)).toBe("");
    expect(renderLiteral(text)).toBe(text);
    expect(text).toContain("version='3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY'\n");
    expect(text).toContain(
      "aws s3api get-object --region 'eu-west-3' --bucket 'kc-bucket' --key 'boot/bundle.sh' --version-id \"$version\" ",
    );
    expect(text).toContain(`expected='${"c".repeat(64)}'`);
    expect(text).not.toContain("aws s3 cp");
    expect(text).toContain("instance refresh");
    // The noncurrent-version expiry bounds how old a launch template version may be and still boot.
    expect(text).toMatch(/30 days[\s\S]*cannot boot/);
  });

  it("keeps the lock and the retries of the other fetch scripts", () => {
    const text = fetchScript({ ...options, sha256: "c".repeat(64), versionId: "v1" });
    expect(text).toContain("exec 9>/run/keycloak-ec2.lock\nflock 9\n");
    expect(text).toContain("for attempt in 1 2 3 4 5 6 7 8; do\n");
  });

  it("fetches its own version and runs it, though a newer one is current", () => {
    const { root, result, calls } = pinnedRun("v1", hash, { v1: bundle, v2: "#!/bin/bash\necho newer bundle ran\n" });
    // Only the bundle's output: get-object's JSON metadata goes to /dev/null.
    expect(result.stdout).toBe("own bundle ran\n");
    expect(result.stderr).not.toContain("keycloak-ec2:");
    expect(result.status).toBe(0);
    expect(calls).toBe(
      "aws s3api get-object --region eu-west-3 --bucket kc-bucket --key boot/bundle.sh --version-id v1 " +
        `${root}/opt/keycloak-ec2/bundle.sh.new\n`,
    );
    expect(fs.statSync(`${root}/opt/keycloak-ec2/bundle.sh`).mode & 0o777).toBe(0o700);
  });

  it("refuses a bundle that is not its hash: says so, runs nothing, exits 1", () => {
    const { root, result } = pinnedRun("v1", "d".repeat(64), { v1: bundle });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `the bundle version v1 in S3 is ${hash}, not ${"d".repeat(64)}: refusing to run it`,
    );
    expect(fs.readdirSync(`${root}/opt/keycloak-ec2`)).toEqual([]);
  });

  it("gives up, exit 1, when its version is gone (expired by the bucket's lifecycle)", () => {
    const { result, calls } = pinnedRun("v0", hash, { v1: bundle });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("NoSuchVersion");
    expect(result.stderr).toContain("cannot fetch the boot bundle, giving up");
    expect(calls.trim().split("\n")).toHaveLength(8);
  });

  it("fetches S3's null version when the object has no version id (stored before versioning took effect)", () => {
    const { result, calls } = pinnedRun("", hash, { null: bundle });
    expect(result.stdout).toBe("own bundle ran\n");
    expect(result.status).toBe(0);
    expect(calls).toContain(" --version-id null ");
  });

  it("refuses a pinned version without the hash it must have", () => {
    expect(() => fetchScript({ ...options, versionId: "v1" })).toThrow(/versionId\) needs the bundle's sha256/);
  });
});
