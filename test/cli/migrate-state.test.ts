import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { migrateStateCommand } from "../../src/cli/migrate-state";
import { fakeTerraformBin, runInProcess, SLOW_TEST_MS, terraformCalls } from "./run";

// npm run migrate-state in-process, in a scratch project directory, running a fake terraform (which records its runs):
// SLOW_TEST_MS each.
let root: string;
let bin: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "kc-migrate-"));
  // The S3 backend's lock file needs Terraform 1.10.
  bin = fakeTerraformBin(root, "1.10.5");
  const backends: Record<string, unknown> = {
    "local.json": { type: "local" },
    "s3.json": { type: "s3", bucket: "acme-state", key: "sso/terraform.tfstate", region: "eu-west-3" },
    "cloud.json": { type: "cloud", organization: "acme", workspace: "sso" },
  };
  for (const [file, backend] of Object.entries(backends))
    fs.writeFileSync(path.join(root, file), JSON.stringify({ name: "sso", profile: "dev", backend }));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const STACK = "cdktf.out/stacks/sso";
const stackDir = () => path.join(root, STACK);

/** A machine that passes the checks: the fake terraform, AWS keys and an HCP Terraform token. */
const machine = (): NodeJS.ProcessEnv => ({
  HOME: root,
  PATH: bin,
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "s",
  TF_TOKEN_app_terraform_io: "t",
});

/** Terraform was initialized in the stack's directory with this backend (as .terraform/terraform.tfstate records). */
function initializedWith(type: string): void {
  fs.mkdirSync(path.join(stackDir(), ".terraform"), { recursive: true });
  fs.writeFileSync(
    path.join(stackDir(), ".terraform", "terraform.tfstate"),
    JSON.stringify({ version: 3, backend: { type, config: {} } }),
  );
  fs.writeFileSync(path.join(stackDir(), "cdk.tf.json"), "{}");
}

interface Options {
  readonly env?: NodeJS.ProcessEnv;
  /** Standard input and output on a terminal. @default false */
  readonly terminal?: boolean;
}

async function migrate(argv: string[], { env = machine(), terminal = false }: Options = {}) {
  const { code, stdout, stderr } = await runInProcess((a, e, c, io) => migrateStateCommand(a, e, c, io, root), argv, {
    cwd: root,
    env,
    stdinIsTty: terminal,
    terminalColumns: terminal ? 120 : undefined,
  });
  // Production and dev may warn about the demo realm's localhost URIs: not what these tests are about.
  const lines = (text: string) =>
    text.split("\n").filter((line) => line !== "" && !line.startsWith("config warning: "));
  return { code, stdout: lines(stdout), stderr: lines(stderr), terraform: terraformCalls(bin) };
}

/** What the fake terraform records for a run in the stack's directory. */
const ran = (args: string) => `cwd=${fs.realpathSync(stackDir())} args=${args} CHECKPOINT_DISABLE=1`;

describe("npm run migrate-state", () => {
  it(
    "local -> S3 with --yes: synthesizes with the new backend, keeps .terraform, runs terraform init -migrate-state -force-copy",
    async () => {
      initializedWith("local");
      const { code, stdout, stderr, terraform } = await migrate(["--config", "s3.json", "--yes"]);
      expect(stderr).toEqual([]);
      expect(code).toBe(0);
      expect(terraform).toEqual([ran("init -migrate-state -force-copy -input=false")]);
      expect(stdout).toEqual([
        `terraform: 1.10.5 at ${bin}/terraform (this stack needs >= 1.10.0)`,
        "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "backend: s3://acme-state/sso/terraform.tfstate in eu-west-3, locked by the S3 lock file, with the AWS credentials above",
        `migrate-state: from the local backend to s3: terraform init -migrate-state -force-copy -input=false in ${STACK}`,
        expect.stringMatching(/^migrate-state: terraform init finished; npm run diff should now plan no changes\. /),
      ]);
      // Terraform finds the new backend in the stack, and the previous one in .terraform.
      const stack = JSON.parse(fs.readFileSync(path.join(stackDir(), "cdk.tf.json"), "utf8"));
      expect(stack.terraform.backend.s3).toMatchObject({ bucket: "acme-state", key: "sso/terraform.tfstate" });
      expect(fs.readFileSync(path.join(stackDir(), ".terraform", "terraform.tfstate"), "utf8")).toContain('"local"');
    },
    SLOW_TEST_MS,
  );

  it(
    "without --yes, lets terraform ask on a terminal, and refuses where nobody can answer",
    async () => {
      initializedWith("local");
      const asked = await migrate(["--config", "s3.json"], { terminal: true });
      expect(asked.code).toBe(0);
      expect(asked.terraform).toEqual([ran("init -migrate-state")]);

      fs.rmSync(path.join(bin, "terraform.log"));
      const before = fs.readFileSync(path.join(stackDir(), "cdk.tf.json"), "utf8");
      expect(await migrate(["--config", "local.json"])).toEqual({
        code: 2,
        stdout: [],
        stderr: [
          "migrate-state error: --yes: not given, and standard input is not a terminal, so nobody can answer terraform init's questions and it would wait forever " +
            "(run npm run migrate-state -- --yes, which copies the state without asking)",
        ],
        terraform: [],
      });
      expect(fs.readFileSync(path.join(stackDir(), "cdk.tf.json"), "utf8")).toBe(before);
    },
    SLOW_TEST_MS,
  );

  it(
    "S3 -> HCP Terraform: plain terraform init, which asks its own questions; --yes cannot apply",
    async () => {
      initializedWith("s3");
      const { code, stdout, terraform } = await migrate(["--config", "cloud.json"], { terminal: true });
      expect(code).toBe(0);
      expect(terraform).toEqual([ran("init")]);
      expect(stdout).toContainEqual(`migrate-state: from s3 to HCP Terraform: terraform init in ${STACK}`);

      const withYes = await migrate(["--config", "cloud.json", "--yes"], { terminal: true });
      expect(withYes.code).toBe(2);
      expect(withYes.stderr).toEqual([
        expect.stringMatching(
          /^migrate-state error: --yes: terraform init asks its own questions when it moves state to HCP Terraform, and takes no -force-copy there \(/,
        ),
      ]);
      expect(withYes.terraform).toEqual([ran("init")]);
    },
    SLOW_TEST_MS,
  );

  it(
    "refuses when Terraform recorded no previous backend: it would start the new one empty",
    async () => {
      const { code, stderr, terraform } = await migrate(["--config", "s3.json", "--yes"]);
      expect(stderr).toEqual([
        `migrate-state error: ${STACK}: records no previous backend (.terraform/terraform.tfstate), so there is no state to move from ` +
          `(synthesize with the config of the previous backend (npm run synth -- --config OLD), run terraform -chdir=${STACK} init, ` +
          "then run this again with the new config; with nothing deployed yet, npm run deploy initializes the new backend)",
      ]);
      expect([code, terraform]).toEqual([2, []]);
      expect(fs.existsSync(path.join(root, "cdktf.out"))).toBe(false);
    },
    SLOW_TEST_MS,
  );

  it(
    "stops at the preflight: no terraform, or no credentials for the new backend",
    async () => {
      initializedWith("local");
      const bare = await migrate(["--config", "cloud.json"], {
        env: { HOME: root, PATH: path.join(root, "empty") },
        terminal: true,
      });
      expect(bare.stderr).toEqual([
        expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH/),
        "doctor error: backend: no HCP Terraform token for app.terraform.io (run terraform login, or set TF_TOKEN_app_terraform_io)",
      ]);
      expect(bare.code).toBe(2);
      expect(fs.readFileSync(path.join(stackDir(), "cdk.tf.json"), "utf8")).toBe("{}");
    },
    SLOW_TEST_MS,
  );

  it(
    "reports a failed terraform init with its exit code",
    async () => {
      initializedWith("local");
      const { code, stderr } = await migrate(["--config", "s3.json", "--yes"], {
        env: { ...machine(), FAKE_TERRAFORM_EXIT: "1" },
      });
      expect(stderr).toEqual([
        "migrate-state error: terraform init -migrate-state -force-copy -input=false: failed with exit code 1 (see its messages above; the state is still in the local backend)",
      ]);
      expect(code).toBe(1);
    },
    SLOW_TEST_MS,
  );

  it("suggests --yes for terraform's -force-copy and cdktf's --auto-approve", async () => {
    for (const flag of ["--force-copy", "--auto-approve"])
      expect((await migrate([flag])).stderr).toEqual([
        `flag error: ${flag}: unknown flag (write --yes, which passes -force-copy to terraform init; flags are --profile, --config, --region, --yes)`,
      ]);
  });
});
