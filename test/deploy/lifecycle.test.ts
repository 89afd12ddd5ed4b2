import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig } from "../../src/config/load";
import { validateConfig } from "../../src/config/validate";
import {
  approvalProblem,
  cdktfRun,
  cdktfSeesCi,
  destroyNotice,
  destroyRefusal,
  isCi,
  isLifecycleCommand,
  LifecycleCommand,
  needsApproval,
} from "../../src/deploy/lifecycle";

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
    expect(cdktfRun(command, defaults(), { yes, outputsFile: OUTPUTS, env: {}, terminal: true }).args).toEqual(args);
  });

  it("hands the config in force to the app as KEYCLOAK_EC2_* variables, the file by its absolute path", () => {
    fs.writeFileSync(path.join(dir, "sso.json"), '{ "name": "sso", "profile": "dev", "region": "eu-west-3" }');
    const loaded = loadConfig({ flags: { config: "sso.json", region: "eu-west-1" }, env: {}, cwd: dir });
    const run = cdktfRun("deploy", loaded, {
      yes: false,
      outputsFile: OUTPUTS,
      env: { PATH: "/usr/bin", KEYCLOAK_EC2_PROFILE: "production" },
      terminal: true,
    });
    expect(run.args[1]).toBe("sso");
    // The one stack directory cdktf may replace: the wrapper keeps the others aside while it runs.
    expect(run.stack).toBe("sso");
    expect(run.env).toEqual({
      PATH: "/usr/bin",
      KEYCLOAK_EC2_CONFIG: path.join(dir, "sso.json"),
      KEYCLOAK_EC2_PROFILE: "dev",
      KEYCLOAK_EC2_REGION: "eu-west-1",
      CHECKPOINT_DISABLE: "1",
    });
  });

  it("names no config file when the defaults are in force, and keeps a CHECKPOINT_DISABLE the user set", () => {
    const run = cdktfRun("diff", defaults(), {
      yes: false,
      outputsFile: OUTPUTS,
      env: { KEYCLOAK_EC2_CONFIG: "", CHECKPOINT_DISABLE: "" },
      terminal: true,
    });
    expect(run.env).toEqual({
      KEYCLOAK_EC2_PROFILE: "production",
      KEYCLOAK_EC2_REGION: "us-east-1",
      CHECKPOINT_DISABLE: "",
    });
  });

  it("off a terminal, sets CI=1 so that cdktf's UI prints each line once instead of redrawing a spinner", () => {
    const env = (given: NodeJS.ProcessEnv, terminal: boolean) =>
      cdktfRun("deploy", defaults(), { yes: true, outputsFile: OUTPUTS, env: given, terminal }).env;
    expect(env({}, false).CI).toBe("1");
    expect(env({}, true).CI).toBeUndefined();
    expect(env({ CI: "false" }, false).CI).toBe("1");
    expect(env({ CI: "true" }, false).CI).toBe("true");
    expect(env({ BUILD_NUMBER: "7" }, false).CI).toBeUndefined();
  });

  it("knows when cdktf's UI (Ink, through is-ci) takes the environment for CI", () => {
    expect(
      [{ CI: "1" }, { CI: "0" }, { CI: "false" }, { RUN_ID: "9" }, { CONTINUOUS_INTEGRATION: "yes" }, {}].map(
        cdktfSeesCi,
      ),
    ).toEqual([true, true, false, true, true, false]);
  });

  it("knows its commands, and which of them cdktf asks approval for", () => {
    expect([isLifecycleCommand("deploy"), isLifecycleCommand("apply"), isLifecycleCommand(undefined)]).toEqual([
      true,
      false,
      false,
    ]);
    expect((["deploy", "destroy", "diff", "output"] as const).map(needsApproval)).toEqual([true, true, false, false]);
  });
});

describe("refusing to wait for an approval nobody can give", () => {
  const both = { stdin: true, stdout: true };
  it.each([
    ["deploy", false, {}, both, undefined],
    ["deploy", true, { CI: "true" }, { stdin: false, stdout: false }, undefined],
    ["diff", false, { CI: "true" }, { stdin: false, stdout: false }, undefined],
    ["output", false, {}, { stdin: false, stdout: false }, undefined],
    ["deploy", false, { CI: "false" }, both, undefined],
    [
      "deploy",
      false,
      { CI: "true" },
      both,
      "deploy error: --yes: not given, and CI=true is set, so nobody can approve the plan and cdktf would wait forever (review the plan with npm run diff, then run npm run deploy -- --yes)",
    ],
    [
      "destroy",
      false,
      {},
      { stdin: false, stdout: true },
      "destroy error: --yes: not given, and standard input is not a terminal, so nobody can approve the plan and cdktf would wait forever (when you are sure, run npm run destroy -- --yes)",
    ],
    [
      "deploy",
      false,
      {},
      { stdin: true, stdout: false },
      "deploy error: --yes: not given, and standard output is not a terminal (cdktf then prints plainly, without its approval prompt), so nobody can approve the plan and cdktf would wait forever (review the plan with npm run diff, then run npm run deploy -- --yes)",
    ],
  ] as const)("%s, --yes %s, env %j, terminals %j", (command, yes, env, terminal, expected) => {
    expect(approvalProblem(command, yes, env, terminal)).toBe(expected);
  });

  it("knows CI when it sees it", () => {
    expect([
      isCi({ CI: "true" }),
      isCi({ CI: "1" }),
      isCi({ CI: "woodpecker" }),
      isCi({ CI: "0" }),
      isCi({ CI: "False" }),
      isCi({}),
    ]).toEqual([true, true, true, false, false, false]);
  });
});

describe("what a destroy says of the data", () => {
  const cluster = (dataProtection: boolean) =>
    validateConfig({
      profile: "cluster",
      keycloak: { hostname: "sso.example.com" },
      dnsZone: "example.com",
      dataProtection,
    }).config;

  it("names the cluster's database, not a data volume it has not", () => {
    expect(destroyRefusal("destroy", cluster(true))).toMatch(
      /^destroy error: dataProtection: is on for keycloak-ec2-cluster: Terraform refuses to destroy its database and backup bucket, .*to keep the database and the bucket/,
    );
    expect(destroyNotice("destroy", cluster(false))).toBe(
      'dataProtection is off: the destroy deletes the database (it leaves a final snapshot, kept until you delete it) and the bucket (docs/operations.md, "Destroying")\n',
    );
  });
});
