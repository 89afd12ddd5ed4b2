import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { doctorCommand } from "../../src/cli/doctor";
import { runsOnEc2 } from "../../src/deploy/preflight/aws-credentials";
import { systemInputs } from "../../src/deploy/preflight/system";
import { fakeTerraformBin, runInProcess } from "./run";

// The doctor on this machine's files, with a fake home and PATH.
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "kc-doctor-"));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const doctor = (env: NodeJS.ProcessEnv, argv: string[] = []) =>
  runInProcess(doctorCommand, argv, { cwd: home, env: { HOME: home, ...env } });

describe("npm run doctor", () => {
  it("fails with exactly the terraform and credentials problems, one line each, exit 2", async () => {
    const { code, stdout, stderr } = await doctor({ PATH: path.join(home, "empty") });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    // An EC2 machine has credentials from its instance role, as far as the doctor can tell without calling AWS.
    const expected = [
      expect.stringMatching(/^doctor error: terraform: "terraform" not found on PATH \(.*releases\.hashicorp\.com/),
    ];
    if (!runsOnEc2(systemInputs(process.env).readFile))
      expected.push(expect.stringMatching(/^doctor error: AWS credentials: none found in the environment, /));
    expect(stderr.trimEnd().split("\n")).toEqual(expected);
  });

  it("prints a summary and exits 0 when everything is there", async () => {
    const bin = fakeTerraformBin(home);
    const { code, stdout, stderr } = await doctor(
      { PATH: bin, AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" },
      ["--profile", "dev"],
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toEqual([
      "deployment: keycloak-ec2, profile dev (default config)",
      `terraform: 1.9.8 at ${bin}/terraform (this stack needs >= 1.5.0)`,
      "AWS credentials: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      "region: us-east-1",
      "backend: local state file terraform.keycloak-ec2.tfstate in the project directory",
      "SSH: closed (log in with Session Manager)",
    ]);
  });

  it("names the config file it read, relative to the working directory", async () => {
    fs.writeFileSync(path.join(home, "keycloak.config.json"), '{ "name": "sso" }');
    const { stdout } = await doctor({
      PATH: fakeTerraformBin(home),
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "s",
    });
    expect(stdout.split("\n")[0]).toBe(
      `deployment: sso, profile production (config ${path.join(home, "keycloak.config.json")})`,
    );
  });

  it("rejects a bad config before checking anything", async () => {
    expect(await doctor({ PATH: path.join(home, "empty") }, ["--profile", "prod"])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'config error: --profile: "prod" is not one of article, dev, production (did you mean "production"?)\n',
    });
  });
});
