import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The compiled entry point, as `npm run synth` and `cdktf synth` run it (`npm test` builds it first): that it runs
// the synth command and exits with its code. The command itself is tested in-process (test/cli/synth.test.ts).
const MAIN = path.resolve(__dirname, "../../dist/main.js");

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-main-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH! },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("node dist/main.js", () => {
  it("synthesizes into cdktf.out/stacks/<name>/cdk.tf.json", () => {
    expect(run(["--profile", "article"])).toEqual({ code: 0, stdout: "", stderr: "" });
    const tf = JSON.parse(
      fs.readFileSync(path.join(dir, "cdktf.out", "stacks", "keycloak-ec2", "cdk.tf.json"), "utf8"),
    );
    expect(Object.keys(tf.resource.aws_instance)).toEqual(["ec2"]);
  });

  it("exits 2 with the problem on stderr, no stack trace", () => {
    expect(run(["--profle", "dev"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag error: --profle: unknown flag (did you mean --profile? flags are --profile, --region, --config)\n",
    });
  });
});
