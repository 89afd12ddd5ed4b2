import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthCommand } from "../../src/cli/synth";
import { loadConfig } from "../../src/config/load";
import { runInProcess, SLOW_TEST_MS } from "./run";

// The synth command in-process; test/cli/main.test.ts runs the compiled main.js. Each synthesis takes a while on a
// loaded machine: SLOW_TEST_MS each.
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-synth-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const synth = (argv: string[], env: NodeJS.ProcessEnv = {}) => runInProcess(synthCommand, argv, { cwd: dir, env });
/** The deployment's default name for a profile. */
const defaultName = (profile: string) => loadConfig({ flags: { profile }, env: {}, cwd: dir }).config.name;
const ARTICLE = () => defaultName("article");
const stackDir = (name: string) => path.join(dir, "cdktf.out", "stacks", name);
const stackFile = (name: string) => path.join(stackDir(name), "cdk.tf.json");

describe("the synth command", () => {
  it(
    "synthesizes into cdktf.out/stacks/<name>/cdk.tf.json in the working directory, and says so on one line",
    async () => {
      const config = loadConfig({ flags: { profile: "article" }, env: {}, cwd: dir }).config;
      expect(await synth(["--profile", "article"])).toEqual({
        code: 0,
        stdout: `wrote cdktf.out/stacks/${config.name}/cdk.tf.json (profile article, region ${config.region})\n`,
        stderr: "",
      });
      expect(Object.keys(JSON.parse(fs.readFileSync(stackFile(config.name), "utf8")).resource.aws_instance)).toEqual([
        "ec2",
      ]);
      expect(fs.existsSync(path.join(dir, "cdktf.out", "manifest.json"))).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
    },
    SLOW_TEST_MS,
  );

  it(
    "honours KEYCLOAK_EC2_CONFIG and KEYCLOAK_EC2_PROFILE, as under `cdktf synth`",
    async () => {
      fs.writeFileSync(path.join(dir, "c.json"), '{ "name": "sso", "profile": "production" }');
      const { code, stdout } = await synth([], { KEYCLOAK_EC2_CONFIG: "c.json", KEYCLOAK_EC2_PROFILE: "article" });
      expect(code).toBe(0);
      expect(stdout).toMatch(/^wrote cdktf\.out\/stacks\/sso\/cdk\.tf\.json \(profile article, region [a-z0-9-]+\)\n$/);
      expect(JSON.parse(fs.readFileSync(stackFile("sso"), "utf8")).resource.aws_instance.ec2).toBeDefined();
    },
    SLOW_TEST_MS,
  );

  it(
    "writes where the cdktf CLI says (CDKTF_OUTDIR), leaving the working directory alone and the reporting to it",
    async () => {
      const outdir = path.join(dir, "cli-out");
      const { code, stdout } = await synth(["--profile", "article"], { CDKTF_OUTDIR: outdir });
      expect([code, stdout]).toEqual([0, ""]);
      expect(fs.existsSync(path.join(outdir, "stacks", ARTICLE(), "cdk.tf.json"))).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(["cli-out"]);
    },
    SLOW_TEST_MS,
  );

  it(
    "rejects a bad config with one line per problem, exit 2, and writes nothing",
    async () => {
      fs.writeFileSync(path.join(dir, "keycloak.config.json"), '{ "regoin": "eu-west-3", "instanceType": "t3.huge" }');
      const { code, stdout, stderr } = await synth([]);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trimEnd().split("\n")).toEqual([
        'config error: regoin: unknown field (did you mean "region"?)',
        expect.stringMatching(/^config error: instanceType: "t3.huge" is not an EC2 instance type/),
      ]);
      expect(fs.existsSync(path.join(dir, "cdktf.out"))).toBe(false);
    },
    SLOW_TEST_MS,
  );

  it(
    "leaves a previous synthesis whole when a later run fails",
    async () => {
      expect((await synth(["--profile", "article"])).code).toBe(0);
      const before = fs.readFileSync(stackFile(ARTICLE()), "utf8");
      expect((await synth(["--profile", "staging"])).code).toBe(2);
      expect(fs.readFileSync(stackFile(ARTICLE()), "utf8")).toBe(before);
      expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
    },
    SLOW_TEST_MS,
  );

  it(
    "keeps Terraform's working files of each stack (the backend it was initialized with) across synths",
    async () => {
      // GIVEN a synthesized stack that Terraform initialized, and one that is no longer synthesized
      expect((await synth(["--profile", "article"])).code).toBe(0);
      const working = path.join(stackDir(ARTICLE()), ".terraform");
      fs.mkdirSync(path.join(working, "providers"), { recursive: true });
      fs.writeFileSync(path.join(working, "terraform.tfstate"), '{ "backend": { "type": "local" } }');
      fs.writeFileSync(path.join(stackDir(ARTICLE()), ".terraform.lock.hcl"), "# lock\n");
      fs.mkdirSync(path.join(stackDir("other"), ".terraform"), { recursive: true });
      fs.writeFileSync(
        path.join(stackDir("other"), ".terraform", "terraform.tfstate"),
        '{ "backend": { "type": "s3" } }',
      );
      fs.writeFileSync(path.join(stackDir("other"), ".terraform.lock.hcl"), "# other lock\n");
      // WHEN synth runs again, with another backend
      fs.writeFileSync(
        path.join(dir, "s3.json"),
        '{ "profile": "article", "backend": { "type": "s3", "bucket": "acme-state", "key": "k", "region": "eu-west-1" } }',
      );
      expect((await synth(["--config", "s3.json"])).code).toBe(0);
      // THEN the new output has the new backend and the stack's working files, and the other stack's as they were
      expect(JSON.parse(fs.readFileSync(stackFile(ARTICLE()), "utf8")).terraform.backend.s3).toBeDefined();
      expect(fs.readFileSync(path.join(working, "terraform.tfstate"), "utf8")).toBe(
        '{ "backend": { "type": "local" } }',
      );
      expect(fs.existsSync(path.join(working, "providers"))).toBe(true);
      expect(fs.readFileSync(path.join(stackDir(ARTICLE()), ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
      expect(fs.readdirSync(path.join(dir, "cdktf.out", "stacks")).sort()).toEqual([ARTICLE(), "other"].sort());
      expect(fs.readFileSync(path.join(stackDir("other"), ".terraform", "terraform.tfstate"), "utf8")).toBe(
        '{ "backend": { "type": "s3" } }',
      );
      expect(fs.readFileSync(path.join(stackDir("other"), ".terraform.lock.hcl"), "utf8")).toBe("# other lock\n");
      expect(fs.readdirSync(dir).sort()).toEqual(["cdktf.out", "s3.json"]);
    },
    SLOW_TEST_MS,
  );

  it(
    "keeps another deployment's stack, with the backend Terraform was initialized with, when synthesizing this one",
    async () => {
      // GIVEN the stack of one deployment, initialized by Terraform on its S3 backend
      fs.writeFileSync(path.join(dir, "prod.json"), '{ "profile": "article", "name": "prod" }');
      fs.writeFileSync(path.join(dir, "trial.json"), '{ "profile": "article", "name": "trial" }');
      expect((await synth(["--config", "prod.json"])).code).toBe(0);
      const before = fs.readFileSync(stackFile("prod"), "utf8");
      fs.mkdirSync(path.join(stackDir("prod"), ".terraform"));
      fs.writeFileSync(
        path.join(stackDir("prod"), ".terraform", "terraform.tfstate"),
        '{ "backend": { "type": "s3" } }',
      );
      fs.writeFileSync(path.join(stackDir("prod"), ".terraform.lock.hcl"), "# lock\n");
      // WHEN another deployment's stack is synthesized
      expect((await synth(["--config", "trial.json"])).code).toBe(0);
      // THEN both stacks are there, the first one's directory as it was
      expect(fs.existsSync(stackFile("trial"))).toBe(true);
      expect(fs.readFileSync(path.join(stackDir("prod"), ".terraform", "terraform.tfstate"), "utf8")).toBe(
        '{ "backend": { "type": "s3" } }',
      );
      expect(fs.readFileSync(path.join(stackDir("prod"), ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
      expect(fs.readFileSync(stackFile("prod"), "utf8")).toBe(before);
      expect(fs.readdirSync(dir).sort()).toEqual(["cdktf.out", "prod.json", "trial.json"]);
    },
    SLOW_TEST_MS,
  );

  it(
    "puts back the stacks a killed deploy kept aside from cdktf (cdktf.out.kept)",
    async () => {
      // GIVEN a stack that npm run deploy kept aside, and was killed before it put it back
      fs.mkdirSync(path.join(dir, "cdktf.out.kept", "other", ".terraform"), { recursive: true });
      fs.writeFileSync(path.join(dir, "cdktf.out.kept", "other", ".terraform.lock.hcl"), "# lock\n");
      // WHEN synth runs
      expect((await synth(["--profile", "article"])).code).toBe(0);
      // THEN the stack is back in cdktf.out, beside the one synthesized
      expect(fs.existsSync(path.join(stackDir("other"), ".terraform"))).toBe(true);
      expect(fs.readFileSync(path.join(stackDir("other"), ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
      expect(fs.existsSync(stackFile(ARTICLE()))).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(["cdktf.out"]);
    },
    SLOW_TEST_MS,
  );

  it("rejects an unknown flag", async () => {
    expect(await synth(["--profle", "dev"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag error: --profle: unknown flag (did you mean --profile? flags are --profile, --config, --region)\n",
    });
  });

  it(
    "prints config warnings and still synthesizes",
    async () => {
      fs.writeFileSync(path.join(dir, "keycloak.config.json"), '{ "instanceType": "t3.micro" }');
      const { code, stderr } = await synth([]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/^config warning: instanceType: t3\.micro has less than 2 GiB/m);
    },
    SLOW_TEST_MS,
  );
});
