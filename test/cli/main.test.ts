import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLOW_TEST_MS } from "./run";

// The compiled entry point, as `npm run synth` and `cdktf synth` run it (`npm test` builds it first): that it runs
// the synth command and exits with its code. The command itself is tested in-process (test/cli/synth.test.ts).
// Each test spawns node: SLOW_TEST_MS each.
const MAIN = path.resolve(__dirname, "../../dist/main.js");
const VERSION = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")).version;

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-main-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH! }) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    encoding: "utf8",
    env,
    timeout: SLOW_TEST_MS,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("node dist/main.js", () => {
  it(
    "synthesizes into cdktf.out/stacks/<name>/cdk.tf.json, and prints what it wrote on one line",
    () => {
      fs.writeFileSync(
        path.join(dir, "article.json"),
        '{ "profile": "article", "name": "keycloak-ec2", "region": "eu-west-1" }',
      );
      expect(run(["--config", "article.json"])).toEqual({
        code: 0,
        stdout: "wrote cdktf.out/stacks/keycloak-ec2/cdk.tf.json (profile article, region eu-west-1)\n",
        stderr: "",
      });
      const tf = JSON.parse(
        fs.readFileSync(path.join(dir, "cdktf.out", "stacks", "keycloak-ec2", "cdk.tf.json"), "utf8"),
      );
      expect(Object.keys(tf.resource.aws_instance)).toEqual(["ec2"]);
    },
    SLOW_TEST_MS,
  );

  it(
    "synthesizes the production stack on a machine without terraform (nothing on PATH at all)",
    () => {
      fs.writeFileSync(
        path.join(dir, "sso.json"),
        '{ "name": "sso", "adminCidrs": [], "keycloak": { "realm": { "spa": false, "bff": false } } }',
      );
      expect(run(["--config", "sso.json"], { PATH: "" })).toEqual({
        code: 0,
        stdout: "wrote cdktf.out/stacks/sso/cdk.tf.json (profile production, region us-east-1)\n",
        stderr: "",
      });
    },
    SLOW_TEST_MS,
  );

  it(
    "exits 2 with the problem on stderr, no stack trace",
    () => {
      expect(run(["--profle", "dev"])).toEqual({
        code: 2,
        stdout: "",
        stderr:
          "flag error: --profle: unknown flag (did you mean --profile? flags are --profile, --config, --region)\n",
      });
    },
    SLOW_TEST_MS,
  );

  it(
    "prints its help or the version, and nothing else happens",
    () => {
      const help = run(["--help"]);
      expect(help).toEqual({ code: 0, stdout: expect.stringMatching(/^Usage: npm run synth -- /), stderr: "" });
      expect(run(["-h"])).toEqual(help);
      expect(run(["--version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
      expect(fs.readdirSync(dir)).toEqual([]);
    },
    SLOW_TEST_MS,
  );
});
