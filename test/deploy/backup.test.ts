import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateConfig } from "../../src/config/validate";
import {
  awsProblem,
  backupNow,
  BackupTarget,
  compactTime,
  credentialsProblem,
  formatSize,
  logicalBackupRefusal,
  parseRestoreSource,
  restoreFrom,
  scriptCommand,
  stagingKey,
} from "../../src/deploy/backup";
import { PreflightInputs } from "../../src/deploy/preflight/inputs";
import { UserError } from "../../src/errors";
import { COMMAND_ID, useFakeAws } from "./fake-aws";

const fakeAws = useFakeAws();

const TARGET: BackupTarget = {
  name: "keycloak-ec2",
  instanceId: "i-0123456789abcdef0",
  region: "eu-west-3",
  bucket: "kc-backups",
  prefix: "keycloak-ec2/postgresql",
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-backup-unit-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The UserError a promise rejects with. */
async function userError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("it did not fail");
}

describe("restore sources", () => {
  it("tells a name, an S3 URI and a local file apart", () => {
    fs.writeFileSync(path.join(dir, "k.dump"), "PGDMP");
    expect(parseRestoreSource("20250131T031500Z-daily.dump", dir)).toEqual({
      kind: "name",
      name: "20250131T031500Z-daily.dump",
    });
    expect(parseRestoreSource("s3://other.bucket/a/b=c+d.dump", dir)).toEqual({
      kind: "s3",
      bucket: "other.bucket",
      key: "a/b=c+d.dump",
    });
    expect(parseRestoreSource("./k.dump", dir)).toEqual({ kind: "file", file: path.join(dir, "k.dump"), size: 5 });
  });

  it.each([
    ["name with a space", "a b.dump"],
    ["name with a quote", "a'b.dump"],
    ["dot-dot name", ".."],
    ["URI without key", "s3://bucket"],
    ["URI of a prefix", "s3://bucket/a/"],
    ["URI with a backtick", "s3://bucket/`id`.dump"],
    ["URI with an empty segment", "s3://bucket/a//b.dump"],
    ["missing file", "./missing.dump"],
    ["directory", "./"],
  ])("refuses a %s", (_, source) => {
    expect(() => parseRestoreSource(source, dir)).toThrow(/^restore error: --from: /);
  });

  it("refuses an empty file", () => {
    fs.writeFileSync(path.join(dir, "empty.dump"), "");
    expect(() => parseRestoreSource("./empty.dump", dir)).toThrow(/is not a non-empty file/);
  });

  it("stages copies under the prefix with a safe name", () => {
    const now = new Date("2026-01-31T23:59:58.123Z");
    expect(compactTime(now)).toBe("20260131T235958Z");
    expect(stagingKey(TARGET, "/home/me/my dump (1).dump", now)).toBe(
      "keycloak-ec2/postgresql/restore-20260131T235958Z-my_dump__1_.dump",
    );
    expect(stagingKey(TARGET, "backups/.hidden", now)).toBe("keycloak-ec2/postgresql/restore-20260131T235958Z-hidden");
  });

  it("single-quotes the script's arguments and refuses any that a shell would read", () => {
    expect(scriptCommand(["restore", "s3://b/k.dump"])).toBe(
      "/opt/keycloak-ec2/keycloak-backup.sh restore 's3://b/k.dump'",
    );
    expect(() => scriptCommand(["restore", "x'; reboot; '"])).toThrow(/unsafe argument/);
    expect(() => scriptCommand(["restore", "$(id)"])).toThrow(/unsafe argument/);
  });

  it("restores only from under the deployment's prefix", async () => {
    await expect(
      restoreFrom("s3://kc-backups/elsewhere/x.dump", TARGET, { command: "restore", write: () => {} }),
    ).rejects.toThrow(/not a backup under the deployment's prefix/);
    expect(fakeAws().requests).toEqual([]);
  });
});

describe("backup profiles and credentials", () => {
  it("has a logical backup in production only", () => {
    expect(logicalBackupRefusal(validateConfig({}).config, "backup")).toBeUndefined();
    expect(logicalBackupRefusal(validateConfig({ profile: "dev" }).config, "backup")?.problems[0]).toMatch(
      /^backup error: profile: "dev" has no logical backup: .*EBS snapshots/,
    );
  });

  it("needs credentials here even with an HCP Terraform backend", () => {
    const config = validateConfig({ backend: { type: "cloud", organization: "acme", workspace: "kc" } }).config;
    const inputs: PreflightInputs = {
      env: {},
      home: dir,
      which: () => undefined,
      readFile: () => undefined,
      run: () => ({ status: 0, stdout: "" }),
    };
    expect(credentialsProblem(config, inputs, "restore")).toMatch(/^restore error: AWS credentials: none found/);
    expect(
      credentialsProblem(config, { ...inputs, env: { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" } }, "restore"),
    ).toBeUndefined();
  });
});

describe("AWS errors", () => {
  const awsError = (name: string, httpStatusCode?: number, message = "") =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });

  it("names the code, what it means and what to do, in one line", () => {
    expect(awsProblem(awsError("ExpiredToken", 400), "backup", "ssm:SendCommand", TARGET).problems).toEqual([
      "backup error: ssm:SendCommand: ExpiredToken: AWS refused the credentials (refresh them (aws sso login, or new keys) and run it again)",
    ]);
    expect(awsProblem(awsError("NoSuchBucket", 404), "backup", "s3:ListBucket", TARGET).problems[0]).toBe(
      "backup error: s3:ListBucket: NoSuchBucket: bucket kc-backups does not exist (run npm run output to refresh the outputs; npm run deploy creates the bucket)",
    );
    const unreachable = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const error = awsProblem(unreachable, "backup", "ssm:SendCommand", TARGET);
    expect(error.problems[0]).toBe(
      "backup error: ssm:SendCommand: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1 (run it again in a moment)",
    );
    expect(error.exitCode).toBe(1);
  });

  it("rethrows what is not an AWS error: a bug", () => {
    const bug = new TypeError("x is undefined");
    expect(() => awsProblem(bug, "backup", "ssm:SendCommand", TARGET)).toThrow(bug);
  });
});

describe("running the script over SSM", () => {
  const options = { command: "backup", write: () => {}, pollMs: 5 };
  const invocation = (Status: string, extra: object = {}) => ({
    result: { CommandId: COMMAND_ID, InstanceId: TARGET.instanceId, Status, ...extra },
  });

  it("shows SSM's status details and, without error output, the last output lines", async () => {
    fakeAws().invocations = [
      invocation("TimedOut", { StatusDetails: "ExecutionTimedOut", ResponseCode: -1, StandardOutputContent: "a\nb\n" }),
    ];
    const error = await userError(backupNow(TARGET, options));
    expect(error.exitCode).toBe(1);
    expect(error.problems).toEqual([
      expect.stringMatching(
        / ended TimedOut \(ExecutionTimedOut\); its last lines follow \(the whole output: aws ssm /,
      ),
      "  a",
      "  b",
    ]);
  });

  it("waits while SSM has not recorded the invocation yet, right after sending", async () => {
    fakeAws().invocations = [
      { error: "InvocationDoesNotExist" },
      { error: "InvocationDoesNotExist" },
      invocation("Success", { StandardOutputContent: "s3://kc-backups/keycloak-ec2/postgresql/x.dump\n" }),
    ];
    expect(await backupNow(TARGET, options)).toBe("s3://kc-backups/keycloak-ec2/postgresql/x.dump");
  });

  it("refuses a success that printed no location", async () => {
    fakeAws().invocations = [invocation("Success", { StandardOutputContent: "" })];
    expect((await userError(backupNow(TARGET, options))).problems[0]).toMatch(
      /^backup error: SSM command .*: the backup script succeeded but printed no location \(see aws ssm get-command-invocation /,
    );
  });
});

describe("sizes", () => {
  it("reads as a person would", () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatSize)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 KiB",
      "5.0 GiB",
    ]);
  });
});
