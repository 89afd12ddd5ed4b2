import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLOW_TEST_MS } from "./run";

// `npx cdktf synth` runs the app through cdktf.json (`node dist/main.js`, built by `npm test`), where flags cannot
// reach it: the config file and the KEYCLOAK_EC2_* variables must.
const ROOT = path.resolve(__dirname, "../..");

describe("npx cdktf synth", () => {
  let scratch: string;
  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kc-cdktf-"));
  });
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it(
    "synthesizes with the config file and profile named by the environment",
    () => {
      fs.writeFileSync(path.join(scratch, "c.json"), '{ "name": "via-cdktf", "region": "eu-west-3" }');
      const result = spawnSync(
        process.execPath,
        [path.join(ROOT, "node_modules/cdktf-cli/bundle/bin/cdktf"), "synth", "--output", path.join(scratch, "out")],
        {
          cwd: ROOT,
          encoding: "utf8",
          env: {
            PATH: process.env.PATH!,
            HOME: scratch,
            CHECKPOINT_DISABLE: "1",
            CI: "1",
            KEYCLOAK_EC2_CONFIG: path.join(scratch, "c.json"),
            KEYCLOAK_EC2_PROFILE: "article",
          },
          timeout: SLOW_TEST_MS,
        },
      );
      expect(result.stdout).toContain("Generated Terraform code for the stacks: via-cdktf");
      const tf = JSON.parse(fs.readFileSync(path.join(scratch, "out/stacks/via-cdktf/cdk.tf.json"), "utf8"));
      expect(Object.keys(tf.resource.aws_instance)).toEqual(["ec2"]);
      expect(tf.provider.aws).toEqual([{ region: "eu-west-3" }]);
    },
    SLOW_TEST_MS,
  );
});
