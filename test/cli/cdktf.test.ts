import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectCdktf } from "../../src/cli/cdktf";
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

describe("the project's cdktf, as the lifecycle commands run it", () => {
  let scratch: string;
  let root: string;
  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kc-cdktf-"));
    // A project directory of its own, running the built app with the project's cdktf.
    root = path.join(scratch, "project");
    fs.mkdirSync(root);
    const cdktfJson = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8"));
    const app = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, "dist/main.js"))}`;
    fs.writeFileSync(path.join(root, "cdktf.json"), JSON.stringify({ ...cdktfJson, app }));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
  });
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const BACKEND = '{ "backend": { "type": "s3" } }';
  /** Gives `cdktf.out/stacks/<name>` the working files `terraform init` leaves. */
  const initialized = (name: string) => {
    const stack = path.join(root, "cdktf.out", "stacks", name);
    fs.mkdirSync(path.join(stack, ".terraform"), { recursive: true });
    fs.writeFileSync(path.join(stack, ".terraform", "terraform.tfstate"), BACKEND);
    fs.writeFileSync(path.join(stack, ".terraform.lock.hcl"), "# lock\n");
    return stack;
  };

  it(
    "keeps every other stack's directory, which cdktf's synthesis removes, with the backend Terraform recorded there",
    async () => {
      // GIVEN another deployment's stack, initialized by Terraform
      const other = initialized("other");
      fs.writeFileSync(path.join(scratch, "c.json"), '{ "name": "via-cdktf", "profile": "article" }');
      // WHEN cdktf synthesizes this config's stack
      const env = { PATH: process.env.PATH!, HOME: scratch, CHECKPOINT_DISABLE: "1", CI: "1" };
      const run = {
        args: ["synth"],
        stack: "via-cdktf",
        env: { ...env, KEYCLOAK_EC2_CONFIG: path.join(scratch, "c.json") },
      };
      const { code, stdout } = await projectCdktf(root).run(run, true);
      // THEN both stacks are there, the other one as it was, and nothing is left beside cdktf.out
      expect([code, stdout]).toEqual([
        0,
        expect.stringContaining("Generated Terraform code for the stacks: via-cdktf"),
      ]);
      expect(fs.existsSync(path.join(root, "cdktf.out", "stacks", "via-cdktf", "cdk.tf.json"))).toBe(true);
      expect(fs.readFileSync(path.join(other, ".terraform", "terraform.tfstate"), "utf8")).toBe(BACKEND);
      expect(fs.readFileSync(path.join(other, ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
      expect(fs.readdirSync(root).sort()).toEqual(["cdktf.json", "cdktf.out", "node_modules"]);
    },
    SLOW_TEST_MS,
  );
});
