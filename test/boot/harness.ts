import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const SCRIPT = path.resolve(__dirname, "../../src/boot/files/keycloak-boot.sh");

/**
 * A scratch root in which functions of the real boot script run: its settings file, and a fake `aws` that answers
 * `ssm get-parameter` from files (as the instance role would from Parameter Store). Everything else is real.
 */
export class BootHarness {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "kc-boot-"));
  private readonly ssm = path.join(this.root, "ssm");
  private readonly bin = path.join(this.root, "bin");

  constructor(settings: Record<string, string> = {}) {
    for (const dir of [this.ssm, this.bin, `${this.root}/etc/keycloak-ec2`, `${this.root}/var/lib/keycloak-ec2`])
      fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(this.bin, "aws"),
      [
        "#!/bin/bash",
        'while [ $# -gt 0 ]; do if [ "$1" = --name ]; then name=$2; fi; shift; done',
        'file="$FAKE_SSM/$(printf %s "$name" | tr / _)"',
        'if [ -f "$file" ]; then cat "$file"; echo; else echo "An error occurred (ParameterNotFound)" >&2; exit 254; fi',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    this.writeSettings(settings);
    this.setMemory(1_950_000);
  }

  /** The machine's memory as /proc/meminfo would say it: 1 950 000 kB is what a 2 GiB instance shows. */
  setMemory(kib: number): void {
    fs.writeFileSync(
      path.join(this.root, "meminfo"),
      `MemTotal:       ${kib} kB\nMemFree:        ${Math.floor(kib / 2)} kB\n`,
    );
  }

  putParameter(name: string, value: string): void {
    fs.writeFileSync(path.join(this.ssm, name.replace(/\//g, "_")), value);
  }

  removeParameter(name: string): void {
    fs.rmSync(path.join(this.ssm, name.replace(/\//g, "_")));
  }

  writeSettings(overrides: Record<string, string>): void {
    const settings = {
      PROFILE: "production",
      AWS_REGION: "eu-west-3",
      KEYCLOAK_IMAGE: "quay.io/keycloak/keycloak:26.7.4",
      PARAMETER_PREFIX: "/kc/keycloak",
      ADMIN_USER: "admin",
      HTTPS_PORT: "8443",
      KEYCLOAK_HOSTNAME: "",
      PUBLIC_DNS: "ec2-203-0-113-7.eu-west-3.compute.amazonaws.com",
      PUBLIC_IP: "203.0.113.7",
      TLS_CERTIFICATE_PARAMETER: "",
      TLS_PRIVATE_KEY_PARAMETER: "",
      ...overrides,
    };
    fs.writeFileSync(
      `${this.root}/etc/keycloak-ec2/boot.env`,
      Object.entries(settings)
        .map(([k, v]) => `${k}='${v}'`)
        .join("\n") + "\n",
    );
  }

  /** Sources the script and runs `commands` (bash): exit code, stdout, and stdout with stderr. */
  run(commands: string): { code: number | null; stdout: string; output: string } {
    const result = spawnSync("bash", ["-c", `source "${SCRIPT}"\n${commands}`], {
      encoding: "utf8",
      env: {
        PATH: `${this.bin}:${process.env.PATH}`,
        KEYCLOAK_EC2_ROOT: this.root,
        FAKE_SSM: this.ssm,
        KEYCLOAK_EC2_PARAMETER_ATTEMPTS: "1",
        KEYCLOAK_EC2_MEMINFO: path.join(this.root, "meminfo"),
      },
    });
    return { code: result.status, stdout: result.stdout, output: result.stdout + result.stderr };
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
