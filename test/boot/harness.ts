import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BootFile } from "../../src/boot/boot-files";

export const SCRIPT = path.resolve(__dirname, "../../src/boot/files/keycloak-boot.sh");
export const MEMORY_SCRIPT = path.resolve(__dirname, "../../src/boot/files/keycloak-memory.sh");
export const DATA_SCRIPT = path.resolve(__dirname, "../../src/boot/files/keycloak-data.sh");
export const REALM_SCRIPT = path.resolve(__dirname, "../../src/boot/files/keycloak-realm.sh");

/** A systemd unit's ExecStart, its continuation lines joined. */
export const execStart = (unit: string) => /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit)![1].replace(/ \\\n\s+/g, " ");

/** The deployment's generated secrets as SSM holds them (under `<prefix>/<name>`): 32 characters each. */
export const SECRETS = {
  "admin-password": "AdminSecret0123456789abcdefXYZ01",
  "db-password": "DbSecret0123456789abcdefghXYZ012",
  "bff-client-secret": "BffSecret0123456789abcdefgXYZ012",
  "service-client-secret": "SvcSecret0123456789abcdefgXYZ012",
} as const;
const STUB = path.resolve(__dirname, "stubs/stub.sh");

/** The commands the boot runs that the harness stands in for (test/boot/stubs/stub.sh); openssl is the real one, recorded. */
export const STUBBED = [
  "aws",
  "curl",
  "dnf",
  "rpm",
  "systemctl",
  "docker",
  "postgresql-setup",
  "sudo",
  "dd",
  "mkswap",
  "swapon",
  "openssl",
  "blkid",
  "mkfs.xfs",
  "xfs_growfs",
  "resize2fs",
  "mount",
  "mountpoint",
  "udevadm",
] as const;

/** Where `name` is in this machine's PATH. */
function realCommand(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found in PATH`);
}

/** Directories the boot writes on the instance: what a rehearsal compares between runs. */
const BOOT_DIRS = ["etc", "opt", "run", "srv", "var"];

/**
 * A scratch root (KEYCLOAK_EC2_ROOT) in which the real boot script runs, whole or function by function, against
 * recording stubs of the commands that would change the machine or reach the network (see ./stubs/stub.sh): SSM
 * answers from files, as the instance role would from Parameter Store; the instance metadata from files.
 */
export class BootHarness {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "kc-boot-"));
  private readonly ssm = path.join(this.root, "ssm");
  private readonly bin = path.join(this.root, "bin");
  private readonly state = path.join(this.root, "stub-state");
  private readonly log = path.join(this.root, "stub.log");

  /**
   * @param options.realCommands stubbed commands to run for real instead (still recorded in calls(), arguments and
   *   all, as `ps` would show them): e.g. curl against a local HTTPS server. @default - every one is stubbed
   */
  constructor(
    settings: Record<string, string> = {},
    options: { readonly realCommands?: readonly (typeof STUBBED)[number][] } = {},
  ) {
    for (const dir of [
      this.ssm,
      this.bin,
      this.state,
      `${this.root}/etc/keycloak-ec2`,
      `${this.root}/var/lib/keycloak-ec2`,
    ])
      fs.mkdirSync(dir, { recursive: true });
    for (const name of STUBBED)
      fs.writeFileSync(
        path.join(this.bin, name),
        options.realCommands?.includes(name)
          ? `#!/bin/bash\nprintf '%s\\n' "${name} $*" >>"$STUB_LOG"\nexec "${realCommand(name)}" "$@"\n`
          : `#!/bin/bash\nSTUB_NAME=${name} exec bash "${STUB}" "$@"\n`,
        { mode: 0o755 },
      );
    fs.writeFileSync(`${this.root}/etc/fstab`, "UUID=0000 / xfs defaults,noatime 1 1\n");
    fs.writeFileSync(this.log, "");
    this.writeSettings(settings);
    this.setMemory(1_950_000);
  }

  /** The machine's memory as /proc/meminfo would say it: 1 950 000 kB is what a 2 GiB instance shows. */
  setMemory(kib: number, swapKib = 0): void {
    fs.writeFileSync(
      path.join(this.root, "meminfo"),
      `MemTotal:       ${kib} kB\nMemFree:        ${Math.floor(kib / 2)} kB\nSwapTotal:       ${swapKib} kB\n`,
    );
  }

  putParameter(name: string, value: string): void {
    fs.writeFileSync(path.join(this.ssm, name.replace(/\//g, "_")), value);
  }

  /** SECRETS in SSM under `prefix` (a deployment's `/<name>/keycloak`). */
  putSecrets(prefix = "/kc/keycloak"): void {
    for (const [name, value] of Object.entries(SECRETS)) this.putParameter(`${prefix}/${name}`, value);
  }

  /** What an HTTPS server answers for `url` (the stubbed curl's download), e.g. the RDS CA bundle. */
  serveHttps(url: string, content: string): void {
    const file = path.join(this.state, "https", url.replace(/^https:\/\//, ""));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  /** An object of the stubbed S3 (`s3://bucket/key`), or undefined if there is none. */
  s3Object(url: string): string | undefined {
    const file = path.join(this.state, "s3", url.replace(/^s3:\/\//, ""));
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  }

  putS3Object(url: string, content: string): void {
    const file = path.join(this.state, "s3", url.replace(/^s3:\/\//, ""));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  removeParameter(name: string): void {
    fs.rmSync(path.join(this.ssm, name.replace(/\//g, "_")));
  }

  /** What the instance metadata answers for `meta-data/<name>`: each value once, the last one from then on. */
  setImds(name: string, ...values: string[]): void {
    fs.mkdirSync(path.join(this.state, "imds"), { recursive: true });
    fs.writeFileSync(path.join(this.state, "imds", name), values.map((v) => `${v}\n`).join(""));
  }

  /**
   * Attaches the data volume as a Nitro instance shows it: its by-id link under the root's dev/, to `device` (by
   * default a new blank file, which the stubbed disk commands treat as a device). Returns the device.
   */
  attachDataVolume(volumeId = "vol-0123456789abcdef0", device = path.join(this.root, "data-volume.img")): string {
    const byId = path.join(this.root, "dev/disk/by-id");
    fs.mkdirSync(byId, { recursive: true });
    if (!fs.existsSync(device)) {
      fs.writeFileSync(device, "");
      fs.truncateSync(device, 64 << 20); // sparse: reads as zeros, as a new EBS volume does
    }
    fs.symlinkSync(device, path.join(byId, `nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`));
    return device;
  }

  /** What the stubbed blkid finds on a device: its export lines (TYPE=ext4, UUID=...), or EXIT=n. */
  setDisk(device: string, probe: string): void {
    fs.mkdirSync(path.join(this.state, "disks"), { recursive: true });
    fs.writeFileSync(path.join(this.state, "disks", device.replace(/\//g, "_")), probe);
  }

  /** The next `times` calls of a stubbed command fail, as when a connection is reset. */
  failNext(command: (typeof STUBBED)[number], times: number): void {
    fs.mkdirSync(path.join(this.state, "fail"), { recursive: true });
    fs.writeFileSync(path.join(this.state, "fail", command), `${times}\n`);
  }

  writeSettings(overrides: Record<string, string>): void {
    const settings = {
      PROFILE: "production",
      AWS_REGION: "eu-west-3",
      KEYCLOAK_IMAGE: "quay.io/keycloak/keycloak:26.7.4",
      PARAMETER_PREFIX: "/kc/keycloak",
      ADMIN_USER: "admin",
      KEYCLOAK_HOSTNAME: "",
      TLS_MODE: "self-signed",
      ACME_EMAIL: "",
      ACME_ISSUER_KEY: "",
      ADMIN_CIDRS: "",
      PROXY_IMAGE: "caddy:2.11.4",
      PUBLIC_DNS: "ec2-203-0-113-7.eu-west-3.compute.amazonaws.com",
      PUBLIC_IP: "203.0.113.7",
      TLS_CERTIFICATE_PARAMETER: "",
      TLS_PRIVATE_KEY_PARAMETER: "",
      ...overrides,
    };
    this.writeSettingsFile(
      Object.entries(settings)
        .map(([k, v]) => `${k}='${v}'`)
        .join("\n") + "\n",
    );
  }

  /** The settings file exactly as given (as settingsFile() makes it). */
  writeSettingsFile(text: string): void {
    fs.writeFileSync(`${this.root}/etc/keycloak-ec2/boot.env`, text, { mode: 0o600 });
  }

  /** What cloud-init's write_files does before the boot runs: each file at its path, with its mode. */
  writeBootFiles(files: readonly BootFile[]): void {
    for (const file of files) {
      const target = path.join(this.root, file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.content);
      fs.chmodSync(target, parseInt(file.permissions, 8));
    }
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${process.env.PATH}`,
      KEYCLOAK_EC2_ROOT: this.root,
      KEYCLOAK_EC2_MEMINFO: path.join(this.root, "meminfo"),
      KEYCLOAK_EC2_PARAMETER_ATTEMPTS: "1",
      KEYCLOAK_EC2_RETRY_DELAY: "0",
      KEYCLOAK_EC2_ADDRESS_POLL: "0",
      // One look at the proxy after its restart: a stub that started it has it active at once.
      KEYCLOAK_EC2_PROXY_SETTLE: "0",
      // The cluster's realm claim: no wait for other nodes' claims, and polls back to back.
      KEYCLOAK_EC2_REALM_CLAIM_SETTLE: "0",
      KEYCLOAK_EC2_REALM_POLL: "0",
      FAKE_SSM: this.ssm,
      STUB_STATE: this.state,
      STUB_LOG: this.log,
      ...extra,
    };
  }

  /** Sources a script (the boot's by default) and runs `commands` (bash): exit code, stdout, stdout with stderr. */
  run(
    commands: string,
    env: Record<string, string> = {},
    script = SCRIPT,
  ): { code: number | null; stdout: string; output: string } {
    const result = spawnSync("bash", ["-c", `source "${script}"\n${commands}`], {
      encoding: "utf8",
      env: this.env(env),
    });
    return { code: result.status, stdout: result.stdout, output: result.stdout + result.stderr };
  }

  /** run(), without blocking the event loop: for tests whose servers live in this process. */
  runAsync(
    commands: string,
    env: Record<string, string> = {},
    script = SCRIPT,
  ): Promise<{ code: number | null; stdout: string; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn("bash", ["-c", `source "${script}"\n${commands}`], { env: this.env(env) });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, output: stdout + stderr }));
    });
  }

  /** Runs a script whole, as cloud-init runs the boot (`runcmd`) or systemd the memory script. */
  runScript(script = SCRIPT, args: string[] = []): { code: number | null; output: string } {
    const result = spawnSync("bash", [script, ...args], { encoding: "utf8", env: this.env({}) });
    return { code: result.status, output: result.stdout + result.stderr };
  }

  /** The stubbed commands run so far, one line each, with the scratch root written as `$ROOT`. */
  calls(): string[] {
    return fs
      .readFileSync(this.log, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.split(this.root).join("$ROOT"));
  }

  clearCalls(): void {
    fs.writeFileSync(this.log, "");
  }

  /** A stub's state file, e.g. `container-env` (what docker run passed on) or `psql-input`. */
  stubState(name: string): string {
    return fs.readFileSync(path.join(this.state, name), "utf8");
  }

  /** Every file the boot wrote, by path under the root, with its mode, owner and a hash of its content. */
  snapshot(): Record<string, string> {
    const files: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else {
          const stat = fs.statSync(full);
          const hash = crypto.createHash("sha256").update(fs.readFileSync(full).toString("base64")).digest("hex");
          files[path.relative(this.root, full)] =
            `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid} ${hash.slice(0, 16)}`;
        }
      }
    };
    for (const dir of BOOT_DIRS) if (fs.existsSync(path.join(this.root, dir))) walk(path.join(this.root, dir));
    return files;
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
