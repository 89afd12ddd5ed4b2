import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { doctorCommand } from "../../src/cli/doctor";
import { loadConfig } from "../../src/config/load";
import { runsOnEc2 } from "../../src/deploy/preflight/aws-credentials";
import { systemInputs } from "../../src/deploy/preflight/system";
import { fakeTerraformBin, runInProcess, SLOW_TEST_MS } from "./run";

// The doctor on this machine's files, with a fake home and PATH (a fake terraform, spawned: SLOW_TEST_MS each).
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "kc-doctor-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const doctor = (env: NodeJS.ProcessEnv, argv: string[] = []) =>
  runInProcess(doctorCommand, argv, { cwd: home, env: { HOME: home, ...env } });

/** The lines of a text, without the config's warnings (production warns about the demo realm's localhost URIs). */
const lines = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .filter((line) => !line.startsWith("config warning: "));

/** The deployment's default name for a profile. */
const defaultName = (profile: string) => loadConfig({ flags: { profile }, env: {}, cwd: home }).config.name;

describe("npm run doctor", () => {
  it(
    "prints what passed, then exactly the terraform and credentials problems, one line each, exit 2",
    async () => {
      const { code, stdout, stderr } = await doctor({ PATH: path.join(home, "empty") }, ["--profile", "dev"]);
      expect(code).toBe(2);
      // An EC2 machine has credentials from its instance role, as far as the doctor can tell without calling AWS.
      const onEc2 = runsOnEc2(systemInputs(process.env).readFile);
      const name = defaultName("dev");
      expect(lines(stdout)).toEqual([
        `deployment: ${name}, profile dev (default config)`,
        ...(onEc2 ? [expect.stringMatching(/^AWS credentials: the EC2 instance's role/)] : []),
        "region: us-east-1",
        `backend: local state file terraform.${name}.tfstate in the project directory`,
        "SSH: closed (log in with Session Manager)",
        `state: terraform.${name}.tfstate does not exist yet (a new deployment)`,
      ]);
      expect(lines(stderr)).toEqual([
        expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH \(.*releases\.hashicorp\.com/),
        ...(onEc2 ? [] : [expect.stringMatching(/^doctor error: AWS credentials: none found in the environment, /)]),
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "prints a summary and exits 0 when everything is there",
    async () => {
      const bin = fakeTerraformBin(home);
      const { code, stdout, stderr } = await doctor(
        { PATH: bin, AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" },
        ["--profile", "dev"],
      );
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const name = defaultName("dev");
      expect(stdout.trimEnd().split("\n")).toEqual([
        `deployment: ${name}, profile dev (default config)`,
        `terraform: 1.9.8 at ${bin}/terraform (this stack needs >= 1.5.0)`,
        "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "region: us-east-1",
        `backend: local state file terraform.${name}.tfstate in the project directory`,
        "SSH: closed (log in with Session Manager)",
        `state: terraform.${name}.tfstate does not exist yet (a new deployment)`,
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "names the config file it read, relative to the working directory",
    async () => {
      fs.writeFileSync(path.join(home, "keycloak.config.json"), '{ "name": "sso" }');
      const { stdout } = await doctor({
        PATH: fakeTerraformBin(home),
        AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "s",
      });
      expect(stdout.split("\n")[0]).toBe("deployment: sso, profile production (config keycloak.config.json)");
    },
    SLOW_TEST_MS,
  );

  it("rejects a bad config before checking anything", async () => {
    expect(await doctor({ PATH: path.join(home, "empty") }, ["--profile", "prod"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'config error: --profile: "prod" is not one of article, dev, production, cluster (did you mean "production"?)\n',
    });
  });
});
