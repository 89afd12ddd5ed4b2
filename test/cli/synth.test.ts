import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthCommand } from "../../src/cli/synth";
import { runInProcess } from "./run";

// The synth command in-process; test/cli/main.test.ts runs the compiled main.js.
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-synth-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const synth = (argv: string[], env: NodeJS.ProcessEnv = {}) => runInProcess(synthCommand, argv, { cwd: dir, env });
const stackFile = (name = "keycloak-ec2") => path.join(dir, "cdktf.out", "stacks", name, "cdk.tf.json");

describe("the synth command", () => {
  it("synthesizes into cdktf.out/stacks/<name>/cdk.tf.json in the working directory", async () => {
    expect(await synth(["--profile", "article"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(Object.keys(JSON.parse(fs.readFileSync(stackFile(), "utf8")).resource.aws_instance)).toEqual(["ec2"]);
    expect(fs.existsSync(path.join(dir, "cdktf.out", "manifest.json"))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
  });

  it("honours KEYCLOAK_EC2_CONFIG and KEYCLOAK_EC2_PROFILE, as under `cdktf synth`", async () => {
    fs.writeFileSync(path.join(dir, "c.json"), '{ "name": "sso", "profile": "production" }');
    expect((await synth([], { KEYCLOAK_EC2_CONFIG: "c.json", KEYCLOAK_EC2_PROFILE: "article" })).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(stackFile("sso"), "utf8")).resource.aws_instance.ec2).toBeDefined();
  });

  it("writes where the cdktf CLI says (CDKTF_OUTDIR), leaving the working directory alone", async () => {
    const outdir = path.join(dir, "cli-out");
    expect((await synth(["--profile", "article"], { CDKTF_OUTDIR: outdir })).code).toBe(0);
    expect(fs.existsSync(path.join(outdir, "stacks", "keycloak-ec2", "cdk.tf.json"))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["cli-out"]);
  });

  it("rejects a bad config with one line per problem, exit 2, and writes nothing", async () => {
    fs.writeFileSync(path.join(dir, "keycloak.config.json"), '{ "regoin": "eu-west-3", "instanceType": "t3.huge" }');
    const { code, stdout, stderr } = await synth([]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toEqual([
      'config error: regoin: unknown field (did you mean "region"?)',
      expect.stringMatching(/^config error: instanceType: "t3.huge" is not an EC2 instance type/),
    ]);
    expect(fs.existsSync(path.join(dir, "cdktf.out"))).toBe(false);
  });

  it("leaves a previous synthesis whole when a later run fails", async () => {
    expect((await synth(["--profile", "article"])).code).toBe(0);
    const before = fs.readFileSync(stackFile(), "utf8");
    expect((await synth(["--profile", "staging"])).code).toBe(2);
    expect(fs.readFileSync(stackFile(), "utf8")).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
  });

  it("rejects an unknown flag", async () => {
    expect(await synth(["--profle", "dev"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag error: --profle: unknown flag (did you mean --profile? flags are --profile, --region, --config)\n",
    });
  });

  it("prints config warnings and still synthesizes", async () => {
    fs.writeFileSync(path.join(dir, "keycloak.config.json"), '{ "instanceType": "t3.micro" }');
    const { code, stderr } = await synth([]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^config warning: instanceType: t3\.micro has less than 2 GiB/);
  });
});
