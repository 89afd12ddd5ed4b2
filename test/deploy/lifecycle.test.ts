import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig } from "../../src/config/load";
import {
  approvalProblem, cdktfRun, flagSpecFor, formatOutputs, isCi, isLifecycleCommand, keycloakUrlFrom, LifecycleCommand, outputsFilePath, projectRoot,
  readOutputs,
} from "../../src/deploy/lifecycle";
import { runsOnEc2, systemInputs } from "../../src/deploy/preflight";
import { problemsOf } from "../problems";

// The compiled command, as `npm run deploy` runs it (`npm test` builds it first).
const LIFECYCLE = path.resolve(__dirname, "../../dist/src/cli/lifecycle.js");
const ROOT = path.resolve(__dirname, "../..");

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-lifecycle-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the cdktf command line and environment", () => {
  const OUTPUTS = "/project/keycloak-ec2.outputs.json";
  const defaults = () => loadConfig({ flags: {}, env: {}, cwd: dir });

  it.each<[LifecycleCommand, boolean, string[]]>([
    ["deploy", false, ["deploy", "keycloak-ec2", "--outputs-file", OUTPUTS]],
    ["deploy", true, ["deploy", "keycloak-ec2", "--outputs-file", OUTPUTS, "--auto-approve"]],
    ["destroy", false, ["destroy", "keycloak-ec2"]],
    ["destroy", true, ["destroy", "keycloak-ec2", "--auto-approve"]],
    ["diff", false, ["diff", "keycloak-ec2"]],
    ["output", false, ["output", "keycloak-ec2", "--outputs-file", OUTPUTS]],
  ])("%s (--yes: %s) runs cdktf %j", (command, yes, args) => {
    expect(cdktfRun(command, defaults(), { yes, outputsFile: OUTPUTS, env: {} }).args).toEqual(args);
  });

  it("hands the config in force to the app as KEYCLOAK_EC2_* variables, the file by its absolute path", () => {
    fs.writeFileSync(path.join(dir, "sso.json"), '{ "name": "sso", "profile": "dev", "region": "eu-west-3" }');
    const loaded = loadConfig({ flags: { config: "sso.json", region: "eu-west-1" }, env: {}, cwd: dir });
    const run = cdktfRun("deploy", loaded, { yes: false, outputsFile: OUTPUTS, env: { PATH: "/usr/bin", KEYCLOAK_EC2_PROFILE: "production" } });
    expect(run.args[1]).toBe("sso");
    expect(run.env).toEqual({
      PATH: "/usr/bin",
      KEYCLOAK_EC2_CONFIG: path.join(dir, "sso.json"),
      KEYCLOAK_EC2_PROFILE: "dev",
      KEYCLOAK_EC2_REGION: "eu-west-1",
      CHECKPOINT_DISABLE: "1",
    });
  });

  it("names no config file when the defaults are in force, and keeps a CHECKPOINT_DISABLE the user set", () => {
    const run = cdktfRun("diff", defaults(), { yes: false, outputsFile: OUTPUTS, env: { KEYCLOAK_EC2_CONFIG: "", CHECKPOINT_DISABLE: "" } });
    expect(run.env).toEqual({ KEYCLOAK_EC2_PROFILE: "production", KEYCLOAK_EC2_REGION: "us-east-1", CHECKPOINT_DISABLE: "" });
  });

  it("accepts --yes only where cdktf asks for approval", () => {
    expect(flagSpecFor("deploy")).toEqual({ profile: "value", region: "value", config: "value", yes: "switch" });
    expect(flagSpecFor("destroy").yes).toBe("switch");
    expect(flagSpecFor("diff").yes).toBeUndefined();
    expect(flagSpecFor("output").yes).toBeUndefined();
    expect(isLifecycleCommand("deploy")).toBe(true);
    expect(isLifecycleCommand("apply")).toBe(false);
    expect(isLifecycleCommand(undefined)).toBe(false);
  });

  it("keeps the outputs beside the project, outside cdktf.out", () => {
    expect(projectRoot()).toBe(ROOT);
    expect(outputsFilePath(ROOT, "sso")).toBe(path.join(ROOT, "sso.outputs.json"));
  });
});

describe("refusing to wait for an approval nobody can give", () => {
  it.each([
    ["deploy", false, {}, true, undefined],
    ["deploy", true, { CI: "true" }, false, undefined],
    ["diff", false, { CI: "true" }, false, undefined],
    ["output", false, {}, false, undefined],
    ["deploy", false, { CI: "false" }, true, undefined],
    ["deploy", false, { CI: "true" }, true,
      "deploy error: --yes: not given, and CI=true is set, so nobody can approve the plan and cdktf would wait forever (review the plan with npm run diff, then run npm run deploy -- --yes)"],
    ["destroy", false, {}, false,
      "destroy error: --yes: not given, and standard input is not a terminal, so nobody can approve the plan and cdktf would wait forever (when you are sure, run npm run destroy -- --yes)"],
  ] as const)("%s, --yes %s, env %j, stdin a terminal %s", (command, yes, env, tty, expected) => {
    expect(approvalProblem(command, yes, env, tty)).toBe(expected);
  });

  it("knows CI when it sees it", () => {
    expect([isCi({ CI: "true" }), isCi({ CI: "1" }), isCi({ CI: "woodpecker" }), isCi({ CI: "0" }), isCi({ CI: "False" }), isCi({})]).toEqual([true, true, true, false, false, false]);
  });
});

describe("outputs", () => {
  const write = (text: string) => {
    fs.writeFileSync(path.join(dir, "o.json"), text);
    return path.join(dir, "o.json");
  };

  it("reads the stack's outputs from cdktf's outputs file", () => {
    const file = write('{ "keycloak-ec2": { "instance_ip": "203.0.113.7", "keycloak_url": "https://ec2.example:8443" } }');
    expect(readOutputs(file, "keycloak-ec2")).toEqual({ instance_ip: "203.0.113.7", keycloak_url: "https://ec2.example:8443" });
    expect(keycloakUrlFrom(readOutputs(file, "keycloak-ec2"), file)).toBe("https://ec2.example:8443");
  });

  it("says what to run when the file or the output is missing", () => {
    const missing = path.join(dir, "none.json");
    expect(problemsOf(() => readOutputs(missing, "keycloak-ec2"))).toEqual([
      `output error: ${missing}: not found (run npm run deploy, or npm run output to fetch the outputs from the Terraform state)`,
    ]);
    const file = write('{ "other": {} }');
    expect(problemsOf(() => readOutputs(file, "keycloak-ec2"))).toEqual([
      `output error: ${file}: no outputs for stack "keycloak-ec2" (run npm run output to fetch them from the Terraform state)`,
    ]);
    expect(problemsOf(() => keycloakUrlFrom({ instance_ip: "203.0.113.7" }, file))).toEqual([
      `output error: keycloak_url: not in ${file} (run npm run output to refresh the file from the Terraform state, or pass --url)`,
    ]);
  });

  it("prints them in the order a person uses them, aligned", () => {
    expect(formatOutputs({
      zeta: ["a"], ssh_command: "ssh ec2-user@203.0.113.7", realm_issuer_url: "https://h:8443/realms/app", keycloak_url: "https://h:8443", instance_ip: "203.0.113.7",
      admin_password_parameter: "/keycloak-ec2/keycloak/admin-password",
    })).toEqual([
      "instance_ip               203.0.113.7",
      "keycloak_url              https://h:8443",
      "realm_issuer_url          https://h:8443/realms/app",
      "admin_password_parameter  /keycloak-ec2/keycloak/admin-password",
      "ssh_command               ssh ec2-user@203.0.113.7",
      'zeta                      ["a"]',
    ]);
  });
});

describe("npm run deploy|diff|destroy (compiled, on this machine)", () => {
  const pathWithoutTerraform = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, "terraform"))).join(path.delimiter);
  const outputsFile = outputsFilePath(ROOT, "keycloak-ec2");
  const hadOutputs = fs.existsSync(outputsFile);

  beforeAll(() => {
    if (!fs.existsSync(LIFECYCLE)) throw new Error(`${LIFECYCLE} is missing: run npm run build (npm test does)`);
  });

  function run(args: string[], env: NodeJS.ProcessEnv = {}) {
    const result = spawnSync(process.execPath, [LIFECYCLE, ...args], { cwd: dir, encoding: "utf8", env: { HOME: dir, PATH: pathWithoutTerraform, ...env } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr.trimEnd().split("\n") };
  }

  // Without terraform and credentials here; an EC2 machine has credentials from its role as far as the checks can tell.
  const preflightProblems = [
    expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH \(/),
    ...(runsOnEc2(systemInputs().readFile) ? [] : [expect.stringMatching(/^doctor error: AWS credentials: none found/)]),
  ];

  it.each([["deploy", "--yes"], ["destroy", "--yes"], ["diff"]])("%s stops at the preflight, exit 2, writing nothing", (...args) => {
    const { code, stdout, stderr } = run(args);
    expect(stderr).toEqual(preflightProblems);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.existsSync(outputsFile)).toBe(hadOutputs);
  });

  it("output only needs terraform", () => {
    expect(run(["output"])).toEqual({ code: 2, stdout: "", stderr: [preflightProblems[0]] });
  });

  it("adds the refusal to the preflight's problems when deploy cannot ask for approval", () => {
    const { code, stderr } = run(["deploy"], { CI: "true" });
    expect(code).toBe(2);
    expect(stderr).toEqual([...preflightProblems, expect.stringMatching(/^deploy error: --yes: not given, and CI=true is set, so nobody can approve/)]);
  });

  it("rejects flags a command does not take, and unknown commands", () => {
    expect(run(["diff", "--yes"]).stderr).toEqual(["flag error: --yes: unknown flag (flags are --profile, --region, --config)"]);
    expect(run(["apply"])).toEqual({ code: 2, stdout: "", stderr: ["flag error: apply: not a command (use one of deploy, diff, destroy, output)"] });
  });

  it("rejects a bad KEYCLOAK_EC2_WAIT_TIMEOUT before deploying", () => {
    const { code, stderr } = run(["deploy", "--yes", "--profile", "dev"], { KEYCLOAK_EC2_WAIT_TIMEOUT: "10m" });
    expect(code).toBe(2);
    expect(stderr).toEqual(['config error: KEYCLOAK_EC2_WAIT_TIMEOUT: "10m" is not a whole number of seconds (write e.g. KEYCLOAK_EC2_WAIT_TIMEOUT=900)']);
  });
});
