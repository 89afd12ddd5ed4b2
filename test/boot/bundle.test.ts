import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { bootSettings, cloudConfig, settingsFile, staticBootFiles } from "../../src/boot/cloud-config";
import { escapeTemplate, renderLiteral } from "../../src/text/template";
import { bootInputOf, serverConfig } from "../server-config";

const ADDRESSES = { publicDns: "ec2-203-0-113-7.compute-1.amazonaws.com", publicIp: "203.0.113.7" };

/** The cloud-config the instance receives for a config (as Terraform renders it, references filled in). */
function rendered(raw: Record<string, unknown>) {
  const config = serverConfig(raw);
  const settings = settingsFile(bootSettings(bootInputOf(config, ADDRESSES)));
  const files = staticBootFiles(config.profile, config.keycloak.realm);
  return { config, settings, files, text: cloudConfig(settings, files) };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-cloud-config-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** cloud-init's own validator; throws with its report if the document is invalid. */
function cloudInitSchema(text: string): string {
  const file = path.join(dir, "user-data.yaml");
  fs.writeFileSync(file, text);
  const result = spawnSync("cloud-init", ["schema", "-c", file], { encoding: "utf8" });
  if (result.error) throw new Error("cloud-init not found: apt-get install cloud-init (see the README)");
  if (result.status !== 0) throw new Error(`cloud-init schema failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** The document as a YAML parser reads it (PyYAML, the parser cloud-init itself uses). */
function parseYaml(text: string): { write_files: Array<Record<string, string>>; runcmd: string[][] } {
  const json = execFileSync(
    "/usr/bin/python3",
    ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"],
    { input: text, encoding: "utf8" },
  );
  return JSON.parse(json);
}

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

describe.each(VARIANTS)("cloud-config: %s", (_name, raw) => {
  const { text, settings, files } = rendered(raw);

  it("is valid cloud-config for cloud-init", () => {
    expect(cloudInitSchema(text)).toMatch(/Valid schema|Valid cloud-config/);
  });

  it("writes each file exactly as generated, with its mode, then runs the boot script", () => {
    const parsed = parseYaml(text);
    expect(parsed.write_files.map((f) => [f.path, f.permissions, f.owner])).toEqual([
      ["/etc/keycloak-ec2/boot.env", "0600", "root:root"],
      ...files.map((f) => [f.path, f.permissions, "root:root"]),
    ]);
    expect(parsed.write_files[0].content).toBe(settings);
    files.forEach((file, i) => expect(parsed.write_files[i + 1].content).toBe(file.content));
    expect(parsed.runcmd).toEqual([["/opt/keycloak-ec2/keycloak-boot.sh"]]);
  });

  it("fits EC2's 16 KB user data limit once gzip-compressed, with room to spare", () => {
    expect(gzipSync(text).length).toBeLessThan(12 * 1024);
  });

  it("holds no literal password as a scanner sees it (Trivy's user-data rule)", () => {
    expect(text).not.toMatch(/password\s?[:=]\s?"?[^\s?$\{].+/im);
  });

  it("survives Terraform's template rendering unchanged once escaped", () => {
    expect(renderLiteral(cloudConfig(settings, files, escapeTemplate))).toBe(text);
  });
});

describe("static boot files", () => {
  it.each([["production"], ["dev"]] as const)(
    "ship the boot script, the memory script the unit runs, the unit and the realm (%s)",
    (mode) => {
      const { files } = rendered({ profile: mode });
      expect(files.map((f) => [f.path, f.permissions])).toEqual([
        ["/opt/keycloak-ec2/keycloak-boot.sh", "0700"],
        ["/opt/keycloak-ec2/keycloak-common.sh", "0700"],
        ["/opt/keycloak-ec2/keycloak-memory.sh", "0700"],
        ["/etc/systemd/system/keycloak.service", "0644"],
        ["/opt/keycloak-ec2/import/app-realm.json", "0644"],
      ]);
      const unit = files.find((f) => f.path.endsWith(".service"))!;
      expect(unit.content).toContain(`ExecStartPre=/opt/keycloak-ec2/keycloak-memory.sh ${mode}\n`);
    },
  );
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

describe("cloudConfig guards", () => {
  it("refuses a file that a YAML literal block could not carry exactly", () => {
    expect(() => cloudConfig("A=1\n", [{ path: "/x", permissions: "0644", content: "no final newline" }])).toThrow(
      /exactly one newline/,
    );
    expect(() => cloudConfig("A=1\n", [{ path: "/x", permissions: "0644", content: "bell\u0007\n" }])).toThrow(
      /printable/,
    );
  });
});
