import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cdktf, projectCdktf, projectRoot } from "../../src/cli/cdktf";
import { flagSpecFor, lifecycleCommand } from "../../src/cli/lifecycle";
import { runsOnEc2 } from "../../src/deploy/preflight/aws-credentials";
import { systemInputs } from "../../src/deploy/preflight/system";
import { useFakeAws } from "../deploy/fake-aws";
import { ready, status, useFakeKeycloak } from "../deploy/fake-keycloak";
import { fakeTerraformBin, runInProcess, SLOW_TEST_MS } from "./run";

// The deploy, diff, destroy and output commands in-process, with a fake cdktf in a scratch project directory. Every
// test runs the fake terraform of the doctor's checks, some wait on a fake Keycloak: each has SLOW_TEST_MS.
const { serve } = useFakeKeycloak();

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-lifecycle-"));
  // No wait after deploy (the article profile never starts Keycloak), and the key pair its open SSH port needs; the
  // name and the region its AMI exists in, as given.
  fs.writeFileSync(
    path.join(dir, "article.json"),
    '{ "profile": "article", "keyName": "ops", "name": "keycloak-ec2", "region": "eu-west-1" }',
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const OUTPUTS = { instance_ip: "203.0.113.7", instance_dns: "ec2-203-0-113-7.compute-1.amazonaws.com" };
const outputsFile = () => path.join(dir, "keycloak-ec2.outputs.json");

interface RecordedRun {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly captureStdout: boolean;
}

interface FakeCdktfOptions {
  /** What the stack outputs; written to the outputs file when cdktf is given one, as cdktf does. */
  readonly outputs?: Record<string, unknown>;
  readonly code?: number;
  /** What cdktf prints. */
  readonly printout?: string;
}

/** cdktf as a fake, with the scratch directory as the project: records each run instead of running anything. */
function fakeCdktf({ outputs = OUTPUTS, code = 0, printout = "" }: FakeCdktfOptions = {}): Cdktf & {
  readonly runs: RecordedRun[];
} {
  const runs: RecordedRun[] = [];
  return {
    projectRoot: dir,
    runs,
    run: async ({ args, env }, captureStdout) => {
      runs.push({ args, env, captureStdout });
      const file = args.indexOf("--outputs-file");
      if (code === 0 && file >= 0) fs.writeFileSync(args[file + 1], JSON.stringify({ [args[1]]: outputs }));
      return { code, stdout: captureStdout ? printout : "" };
    },
  };
}

/** A machine on which the doctor's checks pass: a fake terraform on PATH and AWS keys in the environment. */
const readyMachine = (): NodeJS.ProcessEnv => ({
  HOME: dir,
  PATH: fakeTerraformBin(dir),
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "s",
});

interface LifecycleOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cdktf?: ReturnType<typeof fakeCdktf>;
  readonly stdinIsTty?: boolean;
  /** The terminal's width when stdout is one. @default - not a terminal */
  readonly terminalColumns?: number;
}

async function lifecycle(
  argv: string[],
  { env = readyMachine(), cdktf = fakeCdktf(), stdinIsTty = false, terminalColumns }: LifecycleOptions = {},
) {
  const result = await runInProcess((a, e, c, io) => lifecycleCommand(a, e, c, io, cdktf), argv, {
    cwd: dir,
    env,
    stdinIsTty,
    terminalColumns,
  });
  return { ...result, runs: cdktf.runs };
}

/** Standard input and output on a terminal: a person runs the command. */
const onTerminal = { stdinIsTty: true, terminalColumns: 120 };

/** The lines of a text, without the config's warnings (production warns about the demo realm's localhost URIs). */
const lines = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .filter((line) => !line.startsWith("config warning: "));

const summary = (terraformMinimum: string, ssh: string, region = "us-east-1") =>
  [
    `terraform: 1.9.8 at ${dir}/bin/terraform (this stack needs >= ${terraformMinimum})`,
    "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    `region: ${region}`,
    "backend: local state file terraform.keycloak-ec2.tfstate in the project directory",
    ssh,
    "state: terraform.keycloak-ec2.tfstate does not exist yet (a new deployment)",
  ]
    .map((line) => `${line}\n`)
    .join("");

const printedOutputs = () =>
  `\nOutputs of keycloak-ec2 (kept in ${outputsFile()}):\n  instance_ip   203.0.113.7\n  instance_dns  ec2-203-0-113-7.compute-1.amazonaws.com\n`;

describe("npm run deploy", () => {
  it(
    "checks the machine, runs cdktf deploy with the config in force, and prints the outputs",
    async () => {
      const { code, stdout, stderr, runs } = await lifecycle(["deploy", "--yes", "--config", "article.json"]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout).toBe(
        summary("1.2.8", 'SSH: key pair "ops" (must exist in eu-west-1) from 0.0.0.0/0, ::/0', "eu-west-1") +
          printedOutputs(),
      );
      expect(runs).toEqual([
        {
          args: ["deploy", "keycloak-ec2", "--outputs-file", outputsFile(), "--auto-approve"],
          env: expect.objectContaining({
            KEYCLOAK_EC2_CONFIG: path.join(dir, "article.json"),
            KEYCLOAK_EC2_PROFILE: "article",
            KEYCLOAK_EC2_REGION: "eu-west-1",
            CHECKPOINT_DISABLE: "1",
            AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
          }),
          captureStdout: false,
        },
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "waits until Keycloak answers (dev, production), then says how to log in",
    async () => {
      const url = await serve(ready);
      const command = "aws ssm get-parameter --name /keycloak-ec2/keycloak/admin-password --with-decryption";
      const cdktf = fakeCdktf({
        outputs: {
          keycloak_url: url,
          admin_console_url: `${url}/admin/master/console/`,
          admin_password_command: command,
        },
      });
      const { code, stdout } = await lifecycle(["deploy", "--yes", "--profile", "dev"], {
        cdktf,
        env: { ...readyMachine(), KEYCLOAK_EC2_WAIT_TIMEOUT: "5" },
      });
      expect(code).toBe(0);
      expect(stdout.split("\n").slice(-4)).toEqual([
        expect.stringMatching(new RegExp(`^waiting for Keycloak at ${url}: \\d+ s, ready$`)),
        expect.stringMatching(/^certificate: issued by localhost, valid until /),
        `Log in at ${url}/admin/master/console/ as admin, with the password this prints: ${command}`,
        "",
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "asks for approval on a terminal, and refuses without --yes when nobody can give it",
    async () => {
      expect((await lifecycle(["deploy", "--config", "article.json"], onTerminal)).runs.map((r) => r.args)).toEqual([
        ["deploy", "keycloak-ec2", "--outputs-file", outputsFile()],
      ]);
      expect(await lifecycle(["deploy", "--config", "article.json"])).toEqual({
        code: 2,
        stdout: "",
        runs: [],
        stderr:
          "deploy error: --yes: not given, and standard input is not a terminal, so nobody can approve the plan and cdktf would wait forever " +
          "(review the plan with npm run diff, then run npm run deploy -- --yes)\n",
      });
      const inCi = await lifecycle(["destroy", "--profile", "dev"], {
        env: { ...readyMachine(), CI: "true" },
        ...onTerminal,
      });
      expect(lines(inCi.stderr)).toEqual([
        expect.stringMatching(
          /^destroy error: --yes: not given, and CI=true is set, .* \(when you are sure, run npm run destroy -- --yes\)$/,
        ),
      ]);
      expect(inCi.runs).toEqual([]);
    },
    SLOW_TEST_MS,
  );

  it(
    "refuses without --yes when its output goes to a log: cdktf then prints plainly, without the prompt",
    async () => {
      const { code, stderr, runs } = await lifecycle(["deploy", "--config", "article.json"], { stdinIsTty: true });
      expect(stderr).toBe(
        "deploy error: --yes: not given, and standard output is not a terminal (cdktf then prints plainly, without its approval prompt), " +
          "so nobody can approve the plan and cdktf would wait forever (review the plan with npm run diff, then run npm run deploy -- --yes)\n",
      );
      expect([code, runs]).toEqual([2, []]);
    },
    SLOW_TEST_MS,
  );

  it(
    "suggests --yes for cdktf's --auto-approve",
    async () => {
      expect((await lifecycle(["deploy", "--auto-approve"])).stderr).toBe(
        "flag error: --auto-approve: unknown flag (write --yes, which passes it to cdktf; flags are --profile, --config, --region, --yes, --timeout)\n",
      );
    },
    SLOW_TEST_MS,
  );

  it(
    "takes the wait's --timeout, over KEYCLOAK_EC2_WAIT_TIMEOUT, and rejects a bad one before deploying",
    async () => {
      const url = await serve(status(503));
      const cdktf = fakeCdktf({ outputs: { keycloak_url: url } });
      const given = await lifecycle(["deploy", "--yes", "--profile", "dev", "--timeout", "1"], {
        cdktf,
        env: { ...readyMachine(), KEYCLOAK_EC2_WAIT_TIMEOUT: "900" },
      });
      expect(given.code).toBe(1);
      expect(given.stderr).toMatch(/Keycloak is not ready within 1 s/);
      const bad = await lifecycle(["deploy", "--yes", "--profile", "dev", "--timeout", "10m"]);
      expect({ code: bad.code, runs: bad.runs, stderr: lines(bad.stderr) }).toEqual({
        code: 2,
        runs: [],
        stderr: ['flag error: --timeout: "10m" is not a whole number of seconds (write e.g. --timeout 900)'],
      });
      expect((await lifecycle(["diff", "--timeout", "60"])).stderr).toMatch(/^flag error: --timeout: unknown flag/);
    },
    SLOW_TEST_MS,
  );

  it(
    "rejects a bad KEYCLOAK_EC2_WAIT_TIMEOUT before deploying",
    async () => {
      const { code, stdout, stderr, runs } = await lifecycle(["deploy", "--yes", "--profile", "dev"], {
        env: { ...readyMachine(), KEYCLOAK_EC2_WAIT_TIMEOUT: "10m" },
      });
      expect({ code, stdout, runs, stderr: lines(stderr) }).toEqual({
        code: 2,
        stdout: "",
        runs: [],
        stderr: [
          'config error: KEYCLOAK_EC2_WAIT_TIMEOUT: "10m" is not a whole number of seconds (write e.g. KEYCLOAK_EC2_WAIT_TIMEOUT=900)',
        ],
      });
    },
    SLOW_TEST_MS,
  );
});

describe("cdktf's output in a log", () => {
  it(
    "is plain when the wrapper's stdout is not a terminal: cdktf runs with CI=1, so its UI draws no spinner frames",
    async () => {
      const { runs } = await lifecycle(["diff"]);
      expect(runs[0]!.env.CI).toBe("1");
      // A CI value that already makes cdktf plain is kept; CI=false would not, and is replaced.
      expect((await lifecycle(["diff"], { env: { ...readyMachine(), CI: "woodpecker" } })).runs[0]!.env.CI).toBe(
        "woodpecker",
      );
      expect((await lifecycle(["diff"], { env: { ...readyMachine(), CI: "false" } })).runs[0]!.env.CI).toBe("1");
    },
    SLOW_TEST_MS,
  );

  it(
    "is cdktf's own on a terminal, where it redraws in place",
    async () => {
      const { runs } = await lifecycle(["diff"], onTerminal);
      expect(runs[0]!.env).not.toHaveProperty("CI");
      // output's printout is captured, never a terminal.
      const output = await lifecycle(["output"], onTerminal);
      expect(output.runs[0]!.env.CI).toBe("1");
    },
    SLOW_TEST_MS,
  );
});

describe("npm run diff, destroy, output", () => {
  it(
    "diff runs cdktf diff, and suggests where --yes belongs",
    async () => {
      const { code, stdout, runs } = await lifecycle(["diff"]);
      expect(code).toBe(0);
      expect(stdout).toBe(summary("1.5.0", "SSH: closed (log in with Session Manager)"));
      expect(runs.map((r) => r.args)).toEqual([["diff", "keycloak-ec2"]]);
      const withYes = await lifecycle(["diff", "--yes"], { cdktf: fakeCdktf() });
      expect({ ...withYes, stderr: lines(withYes.stderr) }).toEqual({
        code: 2,
        stdout: "",
        runs: [],
        stderr: [
          "flag error: --yes: unknown flag (npm run diff changes nothing and asks for no approval; npm run deploy and npm run destroy take --yes; " +
            "flags are --profile, --config, --region)",
        ],
      });
      expect(lines((await lifecycle(["output", "--auto-approve"])).stderr)).toEqual([
        "flag error: --auto-approve: unknown flag (npm run output changes nothing and asks for no approval; npm run deploy and npm run destroy take --yes; " +
          "flags are --profile, --config, --region)",
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "destroy runs cdktf destroy, saying first what goes with the data, and removes the outputs file",
    async () => {
      // GIVEN a dev deployment (dataProtection off)
      fs.writeFileSync(outputsFile(), JSON.stringify({ "keycloak-ec2-dev": OUTPUTS }));
      // WHEN
      const { code, stdout, runs } = await lifecycle(["destroy", "--yes", "--profile", "dev"]);
      // THEN
      expect(code).toBe(0);
      expect(stdout).toMatch(
        /^dataProtection is off: the destroy deletes the data volume \(it leaves a final snapshot/m,
      );
      expect(runs.map((r) => r.args)).toEqual([["destroy", "keycloak-ec2-dev", "--auto-approve"]]);
      expect(fs.existsSync(path.join(dir, "keycloak-ec2-dev.outputs.json"))).toBe(false);
    },
    SLOW_TEST_MS,
  );

  it(
    "destroy refuses at once, running nothing, while dataProtection keeps the data: Terraform would destroy nothing",
    async () => {
      // GIVEN the production default, dataProtection on
      fs.writeFileSync(outputsFile(), JSON.stringify({ "keycloak-ec2": OUTPUTS }));
      // WHEN
      const { code, stderr, runs } = await lifecycle(["destroy", "--yes"]);
      // THEN
      expect(code).toBe(2);
      expect(lines(stderr).filter((line) => !line.startsWith("config warning:"))).toEqual([
        "destroy error: dataProtection: is on for keycloak-ec2: Terraform refuses to destroy its data volume and backup bucket, and so destroys nothing " +
          '(to delete everything with the data, set "dataProtection": false and run npm run destroy again; to keep the volume and the bucket and remove the rest, see docs/operations.md, "Destroying")',
      ]);
      expect(runs).toEqual([]);
      expect(fs.existsSync(outputsFile())).toBe(true);
    },
    SLOW_TEST_MS,
  );

  it(
    "output with local state needs only terraform, and prints the outputs in place of cdktf's printout",
    async () => {
      const cdktf = fakeCdktf({ printout: "cdktf's own table\n" });
      const { code, stdout, stderr, runs } = await lifecycle(["output"], {
        env: { HOME: dir, PATH: fakeTerraformBin(dir) },
        cdktf,
      });
      expect(lines(stderr)).toEqual([]);
      expect(code).toBe(0);
      expect(stdout).toBe(printedOutputs());
      expect(runs).toEqual([
        {
          args: ["output", "keycloak-ec2", "--outputs-file", outputsFile()],
          env: expect.any(Object),
          captureStdout: true,
        },
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "output with S3 state also needs AWS credentials, with HCP Terraform's a token",
    async () => {
      const s3 = '{ "backend": { "type": "s3", "bucket": "acme-state", "key": "k", "region": "eu-west-3" } }';
      fs.writeFileSync(path.join(dir, "s3.json"), s3);
      fs.writeFileSync(
        path.join(dir, "cloud.json"),
        '{ "backend": { "type": "cloud", "organization": "acme", "workspace": "sso" } }',
      );
      // The S3 lock file needs Terraform 1.10.
      const noCredentials = { HOME: dir, PATH: fakeTerraformBin(dir, "1.10.5") };
      const fromS3 = await lifecycle(["output", "--config", "s3.json"], { env: noCredentials });
      // An EC2 machine has credentials from its role as far as the checks can tell.
      if (!runsOnEc2(systemInputs(process.env).readFile)) {
        expect(lines(fromS3.stderr)).toEqual([expect.stringMatching(/^doctor error: AWS credentials: none found/)]);
        expect([fromS3.code, fromS3.runs]).toEqual([2, []]);
      }
      const withKeys = { ...noCredentials, AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" };
      expect((await lifecycle(["output", "--config", "s3.json"], { env: withKeys })).code).toBe(0);
      const fromCloud = await lifecycle(["output", "--config", "cloud.json"], { env: noCredentials });
      expect(lines(fromCloud.stderr)).toEqual([
        "doctor error: backend: no HCP Terraform token for app.terraform.io (run terraform login, or set TF_TOKEN_app_terraform_io)",
      ]);
      expect([fromCloud.code, fromCloud.runs]).toEqual([2, []]);
      const withToken = await lifecycle(["output", "--config", "cloud.json"], {
        env: { ...noCredentials, TF_TOKEN_app_terraform_io: "t" },
      });
      expect(withToken.code).toBe(0);
    },
    SLOW_TEST_MS,
  );

  it(
    "reports a failed cdktf run with its exit code, after what it printed",
    async () => {
      const cdktf = fakeCdktf({ code: 1, printout: "Error: no state\n" });
      const { code, stdout, stderr, runs } = await lifecycle(["output"], { cdktf });
      expect({ code, stdout, runs, stderr: lines(stderr) }).toEqual({
        code: 1,
        stdout: "Error: no state\n",
        runs: cdktf.runs,
        stderr: ["output error: cdktf output keycloak-ec2: failed with exit code 1 (see its messages above)"],
      });
    },
    SLOW_TEST_MS,
  );

  it("rejects unknown commands", async () => {
    expect(await lifecycle(["apply"])).toEqual({
      code: 2,
      stdout: "",
      runs: [],
      stderr: "flag error: apply: not a command (use one of deploy, diff, destroy, output)\n",
    });
    expect((await lifecycle([])).stderr).toBe(
      "flag error: (none): not a command (use one of deploy, diff, destroy, output)\n",
    );
  });

  it("accepts --yes only where cdktf asks for approval", () => {
    expect(flagSpecFor("deploy")).toEqual({
      profile: "value",
      region: "value",
      config: "value",
      yes: "switch",
      timeout: "value",
    });
    expect(flagSpecFor("destroy").yes).toBe("switch");
    expect(flagSpecFor("diff").yes).toBeUndefined();
    expect(flagSpecFor("output").yes).toBeUndefined();
  });
});

describe("on a machine without terraform or credentials", () => {
  const bare = (): NodeJS.ProcessEnv => ({ HOME: dir, PATH: path.join(dir, "empty") });
  // An EC2 machine has credentials from its role as far as the checks can tell.
  const preflightProblems = [
    expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH \(/),
    ...(runsOnEc2(systemInputs(process.env).readFile)
      ? []
      : [expect.stringMatching(/^doctor error: AWS credentials: none found/)]),
  ];

  it.each([["deploy", "--yes"], ["destroy", "--yes", "--profile", "dev"], ["diff"]])(
    "%s stops at the preflight, exit 2, running nothing",
    async (...argv) => {
      const { code, stdout, stderr, runs } = await lifecycle(argv, { env: bare() });
      expect(lines(stderr)).toEqual(preflightProblems);
      expect([code, stdout, runs]).toEqual([2, "", []]);
    },
    SLOW_TEST_MS,
  );

  it(
    "output with local state stops at the terraform check alone",
    async () => {
      expect(lines((await lifecycle(["output"], { env: bare() })).stderr)).toEqual([preflightProblems[0]]);
    },
    SLOW_TEST_MS,
  );

  it(
    "adds the refusal to the preflight's problems when deploy cannot ask for approval",
    async () => {
      const { stderr } = await lifecycle(["deploy"], { env: { ...bare(), CI: "true" } });
      expect(lines(stderr)).toEqual([
        ...preflightProblems,
        expect.stringMatching(/^deploy error: --yes: not given, and CI=true is set, so nobody can approve/),
      ]);
    },
    SLOW_TEST_MS,
  );
});

describe("the real cdktf", () => {
  it("is the project's own CLI, run in the project directory, where the outputs are kept", () => {
    const root = path.resolve(__dirname, "../..");
    expect(projectRoot()).toBe(root);
    expect(projectCdktf().projectRoot).toBe(root);
  });

  it("says to run npm ci when the project has no cdktf", async () => {
    await expect(
      projectCdktf(dir).run({ args: ["deploy", "keycloak-ec2"], env: {}, stack: "keycloak-ec2" }, false),
    ).rejects.toThrow(`deploy error: cdktf: ${dir}/node_modules/.bin/cdktf not found (run npm ci in ${dir})`);
  });
});

describe("deploy, diff and destroy with the state in S3", () => {
  const fake = useFakeAws();

  it(
    "refuse before cdktf runs when the state of that name holds another profile's deployment",
    async () => {
      // GIVEN a production deployment's state under the name a dev config now uses
      const backend = { type: "s3", bucket: "acme-state", key: "sso.tfstate", region: "eu-west-3" };
      fs.writeFileSync(path.join(dir, "dev.json"), JSON.stringify({ profile: "dev", name: "sso", backend }));
      fake().objects.set("acme-state/sso.tfstate", {
        body: Buffer.from(
          JSON.stringify({
            resources: [
              { mode: "managed", type: "aws_ssm_parameter", name: "secrets_db_password_parameter" },
              { mode: "managed", type: "aws_instance", name: "host_instance" },
            ],
          }),
        ),
        lastModified: new Date(),
      });
      const env = { ...readyMachine(), PATH: fakeTerraformBin(dir, "1.10.5") };
      for (const command of ["diff", "deploy", "destroy"]) {
        // WHEN
        const yes = command === "diff" ? [] : ["--yes"];
        const { code, stderr, runs } = await lifecycle([command, ...yes, "--config", "dev.json"], { env });
        // THEN
        expect([code, runs]).toEqual([2, []]);
        expect(lines(stderr)).toEqual([
          expect.stringMatching(
            /^doctor error: profile: s3:\/\/acme-state\/sso\.tfstate holds a production deployment of "sso"/,
          ),
        ]);
      }
      // AND the same profile goes ahead, saying what it read
      fake().objects.clear();
      const { code, stdout } = await lifecycle(["diff", "--config", "dev.json"], { env });
      expect(code).toBe(0);
      expect(stdout).toContain("state: s3://acme-state/sso.tfstate does not exist yet (a new deployment)\n");
    },
    SLOW_TEST_MS,
  );
});
