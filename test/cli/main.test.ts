import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The compiled app, as `npm run synth` and `cdktf synth` run it (`npm test` builds it first).
const MAIN = path.resolve(__dirname, "../../dist/main.js");

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-main-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH!, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const stackFile = (name = "keycloak-ec2") => path.join(dir, "cdktf.out", "stacks", name, "cdk.tf.json");

describe("main: the synth command", () => {
  it("synthesizes the article profile into cdktf.out/stacks/<name>/cdk.tf.json", () => {
    const { code, stderr } = run(["--profile", "article"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const tf = JSON.parse(fs.readFileSync(stackFile(), "utf8"));
    expect(Object.keys(tf.resource.aws_instance)).toEqual(["ec2"]);
    expect(fs.existsSync(path.join(dir, "cdktf.out", "manifest.json"))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
  });

  it("honours KEYCLOAK_EC2_CONFIG and KEYCLOAK_EC2_PROFILE, as under `cdktf synth`", () => {
    fs.writeFileSync(path.join(dir, "c.json"), '{ "name": "sso", "profile": "production" }');
    expect(run([], { KEYCLOAK_EC2_CONFIG: "c.json", KEYCLOAK_EC2_PROFILE: "article" }).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(stackFile("sso"), "utf8")).resource.aws_instance.ec2).toBeDefined();
  });

  it("rejects a bad config with one line per problem, exit 2, no stack trace, and writes nothing", () => {
    fs.writeFileSync(path.join(dir, "keycloak.config.json"), '{ "regoin": "eu-west-3", "instanceType": "t3.huge" }');
    const { code, stdout, stderr } = run([]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n")).toEqual([
      'config error: regoin: unknown field (did you mean "region"?)',
      expect.stringMatching(/^config error: instanceType: "t3.huge" is not an EC2 instance type/),
    ]);
    expect(fs.existsSync(path.join(dir, "cdktf.out"))).toBe(false);
  });

  it("leaves a previous synthesis whole when a later run fails", () => {
    expect(run(["--profile", "article"]).code).toBe(0);
    const before = fs.readFileSync(stackFile(), "utf8");
    expect(run(["--profile", "staging"]).code).toBe(2);
    expect(fs.readFileSync(stackFile(), "utf8")).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
  });

  it("rejects an unknown flag", () => {
    const { code, stderr } = run(["--profle", "dev"]);
    expect(code).toBe(2);
    expect(stderr).toBe("flag error: --profle: unknown flag (did you mean --profile? flags are --profile, --region, --config)\n");
  });

  it("prints config warnings and still synthesizes", () => {
    fs.writeFileSync(path.join(dir, "keycloak.config.json"), '{ "instanceType": "t3.micro" }');
    const { code, stderr } = run([]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^config warning: instanceType: t3\.micro has less than 2 GiB/);
  });
});
