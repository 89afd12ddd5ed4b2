import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateConfig } from "../../../src/config/validate";
import { Finding } from "../../../src/deploy/preflight/finding";
import { CommandResult, PreflightInputs } from "../../../src/deploy/preflight/inputs";
import { systemInputs } from "../../../src/deploy/preflight/system";

/** A machine for the checks: the real file reader on a fake home; PATH lookup and commands are fakes. */
export interface Machine {
  env?: NodeJS.ProcessEnv;
  /** Executables on the fake PATH, by name. */
  onPath?: Record<string, string>;
  /** What `<terraform> version -json` answers. */
  version?: CommandResult;
  /** Files outside the home, such as /sys entries. */
  system?: Record<string, string>;
}

/** A fresh fake home directory for each test of the calling file, and machines around it. */
export function useFakeHome() {
  let home = "";
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "kc-doctor-"));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  return {
    home: () => home,
    /** Writes files under the fake home (`.aws/config`, ...). */
    write(files: Record<string, string>): void {
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(home, name)), { recursive: true });
        fs.writeFileSync(path.join(home, name), text);
      }
    },
    machine({
      env = {},
      onPath = {},
      version = { status: 0, stdout: '{"terraform_version":"1.11.4"}' },
      system = {},
    }: Machine = {}): PreflightInputs {
      const real = systemInputs({ HOME: home, ...env });
      return {
        ...real,
        which: (command) => onPath[command],
        run: () => version,
        readFile: (file) => system[file] ?? (file.startsWith("/sys/") ? undefined : real.readFile(file)),
      };
    },
  };
}

export const config = (raw: Record<string, unknown> = {}) => validateConfig(raw).config;
export const TERRAFORM = { terraform: "/opt/bin/terraform" };
/** A finding's problem line, or undefined. */
export const problem = (finding: Finding) => ("problem" in finding ? finding.problem : undefined);
/** A finding's summary line, or undefined. */
export const ok = (finding: Finding) => ("ok" in finding ? finding.ok : undefined);
