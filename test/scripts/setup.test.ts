import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLOW_TEST_MS } from "../cli/run";

// scripts/setup.sh (npm run setup, .ci/run) with stub `id`, `sudo`, `apt-get` and `npm` as the only commands on PATH
// (besides the `dirname` and `env` it runs): every tool it looks for with `command -v` is then missing, and each stub
// records its call instead of installing anything.
const REPO = fs.realpathSync(path.resolve(__dirname, "../.."));
const SETUP = path.join(REPO, "scripts", "setup.sh");

let bin: string;
beforeEach(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "kc-setup-"));
});
afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

const LOG = () => path.join(bin, "calls.log");

/** A stub that records its name, arguments, DEBIAN_FRONTEND and working directory, then runs `body`. */
function stub(name: string, body = "") {
  const record = `echo "\${0##*/} $* (DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-}, cwd=$(pwd -P))" >> "${LOG()}"`;
  fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${record}\n${body}\n`, { mode: 0o755 });
}

/** Runs setup.sh as the user `uid` (what the stub `id -u` says), with sudo on PATH or not. */
function setup(uid: number, { sudo }: { readonly sudo: boolean }) {
  fs.writeFileSync(path.join(bin, "id"), `#!/bin/sh\necho ${uid}\n`, { mode: 0o755 });
  for (const tool of ["dirname", "env"]) fs.symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
  stub("apt-get");
  stub("npm");
  if (sudo) stub("sudo", 'exec "$@"');
  const result = spawnSync("/bin/bash", [SETUP], {
    cwd: os.tmpdir(),
    env: { PATH: bin, HOME: bin },
    encoding: "utf8",
    timeout: SLOW_TEST_MS,
  });
  const calls = fs.existsSync(LOG()) ? fs.readFileSync(LOG(), "utf8").trimEnd().split("\n") : [];
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

/** The packages of the apt-get install call. */
const installed = (calls: readonly string[]) =>
  calls
    .find((call) => call.startsWith("apt-get install"))!
    .replace(/ \(DEBIAN_FRONTEND=.*$/, "")
    .split(" ")
    .filter((word) => !word.startsWith("-") && word !== "apt-get" && word !== "install");

const NPM_CI = `npm ci --no-audit --no-fund (DEBIAN_FRONTEND=, cwd=${REPO})`;

describe("scripts/setup.sh", () => {
  it("as root, runs apt-get itself for the missing tools, then npm ci in the project", () => {
    const { code, stdout, calls } = setup(0, { sudo: false });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^setup: installing shellcheck /);
    expect(calls).toEqual([
      expect.stringMatching(/^apt-get update -qq \(DEBIAN_FRONTEND=noninteractive, /),
      expect.stringMatching(/^apt-get install -y -qq --no-install-recommends .* \(DEBIAN_FRONTEND=noninteractive, /),
      NPM_CI,
    ]);
    expect(installed(calls)).toEqual(expect.arrayContaining(["shellcheck", "systemd", "caddy", "pebble"]));
  });

  it("installs no cloud-init, which no test runs any more", () => {
    const { calls } = setup(0, { sudo: false });
    expect(installed(calls)).not.toContain("cloud-init");
    expect(fs.readFileSync(SETUP, "utf8")).not.toMatch(/cloud-init/);
  });

  it("as a user with sudo, runs apt-get through sudo, and npm ci as the user", () => {
    const { code, calls } = setup(1000, { sudo: true });
    expect(code).toBe(0);
    expect(calls).toEqual([
      expect.stringMatching(/^sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \(DEBIAN_FRONTEND=, /),
      expect.stringMatching(/^apt-get update -qq \(DEBIAN_FRONTEND=noninteractive, /),
      expect.stringMatching(/^sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /),
      expect.stringMatching(/^apt-get install -y -qq --no-install-recommends .* \(DEBIAN_FRONTEND=noninteractive, /),
      NPM_CI,
    ]);
  });

  it("as a user without sudo, says what it needs and exits 2, installing nothing", () => {
    const { code, stdout, stderr, calls } = setup(1000, { sudo: false });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^setup error: installing shellcheck .* needs root: run this as root, or install sudo\n$/);
    expect(calls).toEqual([]);
  });
});
