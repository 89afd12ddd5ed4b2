import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BackupCommandOptions, backupCommand, backupMain, restoreCommand } from "../../src/cli/backup";
import { Command } from "../../src/cli/edge";
import { runsOnEc2 } from "../../src/deploy/preflight/aws-credentials";
import { systemInputs } from "../../src/deploy/preflight/system";
import { COMMAND_ID, fakeAwsEnv, SsmAnswer, useFakeAws, writeFile } from "../deploy/fake-aws";
import { runInProcess, RunOptions } from "./run";

// A real HTTP server plays SSM and S3; the SDK reaches it through AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL_S3.
const fakeAws = useFakeAws();

const NAME = "keycloak-ec2"; // the production profile's default name
const INSTANCE = "i-0123456789abcdef0";
const BUCKET = "keycloak-ec2-backups-123456789012";
const PREFIX = "keycloak-ec2/postgresql";
const OUTPUTS = { instance_id: INSTANCE, region: "eu-west-3", backup_bucket: BUCKET, backup_prefix: PREFIX };
const NOW = new Date("2026-01-31T23:59:58.123Z");
const FULL_OUTPUT = `aws ssm get-command-invocation --region eu-west-3 --command-id ${COMMAND_ID} --instance-id ${INSTANCE}`;

// `root` stands for the project directory (the outputs file), and is the working directory and HOME.
let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "kc-backup-"));
  // Without the demo clients, whose localhost redirect URIs production warns about.
  fs.writeFileSync(
    path.join(root, "keycloak.config.json"),
    JSON.stringify({ adminCidrs: ["203.0.113.0/24"], keycloak: { realm: { spa: false, bff: false } } }),
  );
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const writeOutputs = (outputs: Record<string, unknown> = OUTPUTS, name = NAME) =>
  fs.writeFileSync(path.join(root, `${name}.outputs.json`), JSON.stringify({ [name]: outputs }));

/** The command's environment: the fake's keys and endpoints, a HOME without ~/.aws. */
const commandEnv = (): NodeJS.ProcessEnv => ({ ...fakeAwsEnv(fakeAws()), HOME: root });

function run(
  command: typeof backupCommand,
  argv: string[],
  { env = commandEnv(), ...rest }: Partial<RunOptions> & BackupCommandOptions = {},
) {
  const { stdinIsTty, terminalColumns, ask, now = () => NOW } = rest;
  const bound: Command = (a, e, c, io) => command(a, e, c, io, { root, pollMs: 5, ask, now });
  return runInProcess(bound, argv, { cwd: root, env, stdinIsTty, terminalColumns });
}
const backup = (argv: string[], options?: Partial<RunOptions> & BackupCommandOptions) =>
  run(backupCommand, argv, options);
const restore = (argv: string[], options?: Partial<RunOptions> & BackupCommandOptions) =>
  run(restoreCommand, argv, options);

const invocation = (Status: string, extra: object = {}): SsmAnswer => ({
  result: { CommandId: COMMAND_ID, InstanceId: INSTANCE, Status, StatusDetails: Status, ...extra },
});
const success = (stdout: string, stderr = "") =>
  invocation("Success", { ResponseCode: 0, StandardOutputContent: stdout, StandardErrorContent: stderr });
/** The SendCommand input that runs `commandLine` on the instance. */
const sentCommand = (commandLine: string, command: string) => ({
  DocumentName: "AWS-RunShellScript",
  InstanceIds: [INSTANCE],
  Parameters: { commands: [commandLine], executionTimeout: ["3600"] },
  Comment: `keycloak-ec2 ${command} (npm run ${command})`,
  TimeoutSeconds: 300,
});

describe("npm run backup", () => {
  it("runs keycloak-backup.sh backup manual over SSM, polls until Success and prints the S3 URI", async () => {
    writeOutputs();
    const uri = `s3://${BUCKET}/${PREFIX}/20260131T235959Z-manual.dump`;
    fakeAws().invocations = [
      { error: "InvocationDoesNotExist", message: "not yet" },
      invocation("Pending"),
      invocation("InProgress"),
      invocation("InProgress"),
      success(`${uri}\n`, "keycloak-ec2 [23:59:59] dumping database keycloak\n"),
    ];
    const { code, stdout, stderr } = await backup([]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${uri}\n` });
    expect(
      fakeAws()
        .calls("SendCommand")
        .map((r) => r.body),
    ).toEqual([sentCommand("/opt/keycloak-ec2/keycloak-backup.sh backup manual", "backup")]);
    // Signed with the fake keys, for the outputs' region.
    expect(fakeAws().calls("SendCommand")[0].headers.authorization).toMatch(
      /Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/eu-west-3\/ssm\/aws4_request/,
    );
    expect(
      fakeAws()
        .calls("GetCommandInvocation")
        .map((r) => r.body),
    ).toEqual(Array(5).fill({ CommandId: COMMAND_ID, InstanceId: INSTANCE }));
    expect(stderr.trimEnd().split("\n")).toEqual([
      `backup: running keycloak-backup.sh backup manual on ${INSTANCE} (SSM command ${COMMAND_ID})`,
      expect.stringMatching(/^backup: \d+ s, Pending$/),
      expect.stringMatching(/^backup: \d+ s, InProgress$/),
      expect.stringMatching(/^backup: \d+ s, Success$/),
    ]);
  });

  it("fails with exit code 1, the script's last error lines and how to read the whole output", async () => {
    writeOutputs();
    const log = Array.from({ length: 12 }, (_, i) => `keycloak-ec2 [03:15:0${i % 10}] step ${i + 1}`);
    fakeAws().invocations = [
      invocation("InProgress"),
      invocation("Failed", {
        ResponseCode: 1,
        StandardOutputContent: "",
        StandardErrorContent: [
          ...log,
          "keycloak-ec2 [03:15:09] FAILED: pg_dump of database keycloak failed (is postgresql.service running?)",
        ].join("\n"),
      }),
    ];
    const { code, stdout, stderr } = await backup([]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    const lines = stderr.trimEnd().split("\n");
    const error = lines.findIndex((line) => line.startsWith("backup error:"));
    expect(lines.slice(error)).toEqual([
      `backup error: SSM command ${COMMAND_ID}: keycloak-backup.sh backup manual on ${INSTANCE} ended Failed, exit code 1; its last lines follow (the whole output: ${FULL_OUTPUT})`,
      ...log.slice(-9).map((line) => `  ${line}`),
      "  keycloak-ec2 [03:15:09] FAILED: pg_dump of database keycloak failed (is postgresql.service running?)",
    ]);
  });

  it("says when SSM cannot reach the instance, in one line", async () => {
    writeOutputs();
    fakeAws().sendCommand = {
      error: "InvalidInstanceId",
      message: "Instances [[i-0123456789abcdef0]] not in a valid state",
    };
    expect(await backup([])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        `backup error: ssm:SendCommand: InvalidInstanceId: instance ${INSTANCE} is not online in Session Manager (a first boot takes a few minutes: ` +
        "check aws ssm describe-instance-information; if the instance was replaced, npm run output refreshes its id)\n",
    });
    fakeAws().sendCommand = {
      error: "AccessDeniedException",
      message: "User: arn:aws:iam::1:user/x is not authorized",
    };
    expect((await backup([])).stderr).toBe(
      `backup error: ssm:SendCommand: AccessDeniedException: your AWS identity may not do this (allow ssm:SendCommand on instance ${INSTANCE} ` +
        "and document AWS-RunShellScript to the identity aws sts get-caller-identity shows)\n",
    );
  });

  it("--list lists the backups under the prefix, every page, oldest first, with size and date", async () => {
    writeOutputs();
    const put = (key: string, size: number, date: string) =>
      fakeAws().objects.set(`${BUCKET}/${key}`, { body: Buffer.alloc(size), lastModified: new Date(date) });
    put(`${PREFIX}/20260130T031500Z-daily.dump`, 2_500_000, "2026-01-30T03:15:09Z");
    put(`${PREFIX}/20260129T031500Z-daily.dump`, 2_400_000, "2026-01-29T03:15:07Z");
    put(`${PREFIX}/restore-20260131T120000Z-old.dump`, 900, "2026-01-31T12:00:00Z");
    put("elsewhere/20260131T031500Z-daily.dump", 10, "2026-01-31T03:15:00Z");
    fakeAws().pageSize = 2;
    const { code, stdout, stderr } = await backup(["--list"]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "20260129T031500Z-daily.dump        2.3 MiB  2026-01-29T03:15:07Z",
        "20260130T031500Z-daily.dump        2.4 MiB  2026-01-30T03:15:09Z",
        "restore-20260131T120000Z-old.dump    900 B  2026-01-31T12:00:00Z",
        "",
      ].join("\n"),
    );
    expect(stderr).toBe(
      `backup: 3 backups under s3://${BUCKET}/${PREFIX}/, newest last; npm run restore -- --from NAME restores one\n`,
    );
    expect(
      fakeAws()
        .calls("ListObjectsV2")
        .map((r) => r.url),
    ).toEqual([
      `/${BUCKET}/?list-type=2&prefix=${encodeURIComponent(`${PREFIX}/`)}`,
      `/${BUCKET}/?continuation-token=2&list-type=2&prefix=${encodeURIComponent(`${PREFIX}/`)}`,
    ]);
    expect(fakeAws().calls("SendCommand")).toEqual([]);
  });

  it("--list says when there is none, and names the S3 action it lacks", async () => {
    writeOutputs();
    expect(await backup(["--list"])).toEqual({
      code: 0,
      stdout: "",
      stderr: `backup: no backups under s3://${BUCKET}/${PREFIX}/ yet; npm run backup takes one\n`,
    });
    fakeAws().s3Error = { status: 403, code: "AccessDenied", message: "Access Denied" };
    expect((await backup(["--list"])).stderr).toBe(
      `backup error: s3:ListBucket: AccessDenied: your AWS identity may not do this (allow s3:ListBucket on bucket ${BUCKET} (prefix ${PREFIX}/) to the identity aws sts get-caller-identity shows)\n`,
    );
  });

  it("refuses the dev and article profiles, which have no logical backup", async () => {
    expect(await backup(["--profile", "dev"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'backup error: profile: "dev" has no logical backup: Keycloak keeps its data in H2 on the data volume, which the daily EBS snapshots cover ' +
        "(restore the data volume from a snapshot, docs/operations.md; the production profile has npm run backup and npm run restore)\n",
    });
    // (The article profile warns that it ignores the test config's keycloak field.)
    expect((await restore(["--profile", "article", "--from", "x.dump"])).stderr).toContain(
      '\nrestore error: profile: "article" has no logical backup: the guide\'s stack runs no Keycloak and has no backup bucket (the production profile has npm run backup and npm run restore)\n',
    );
    expect(fakeAws().requests).toEqual([]);
  });

  it("says what to run when the outputs file or one of its outputs is missing", async () => {
    const file = path.join(root, `${NAME}.outputs.json`);
    expect(await backup([])).toEqual({
      code: 2,
      stdout: "",
      stderr: `output error: ${file}: not found (run npm run deploy, or npm run output to fetch the outputs from the Terraform state)\n`,
    });
    const { backup_bucket: _, ...older } = OUTPUTS;
    writeOutputs(older);
    expect((await backup([])).stderr).toBe(
      `output error: backup_bucket: not in ${file} (run npm run output to refresh the file from the Terraform state; if it still lacks it, run npm run deploy, which adds the backup bucket)\n`,
    );
    writeOutputs({ ...OUTPUTS, backup_prefix: "a/../b" });
    expect((await backup([])).stderr).toBe(
      `output error: backup_prefix: "a/../b" in ${file} is not what the stack outputs (run npm run output to refresh the file from the Terraform state)\n`,
    );
    expect(fakeAws().requests).toEqual([]);
  });

  it("says in one line that there are no AWS credentials, sending nothing", async () => {
    // On EC2 the instance's role counts as credentials.
    if (runsOnEc2(systemInputs(process.env).readFile)) return;
    writeOutputs();
    const { code, stdout, stderr } = await backup([], { env: { HOME: root } });
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toMatch(
      /^backup error: AWS credentials: none found in the environment, .* \(set AWS_ACCESS_KEY_ID .*\)\n$/,
    );
    expect(fakeAws().requests).toEqual([]);
  });

  it("takes --help and --version, and refuses flags it does not know", async () => {
    const help = await backup(["--help"]);
    expect(help.stdout).toMatch(/^Usage: npm run backup -- \[--profile P\]/);
    expect(help.stdout).toMatch(/\n {2}--list +list the backups/);
    expect((await restore(["-h"])).stdout).toMatch(/^Usage: npm run restore -- --from SOURCE \[--yes\]/);
    expect((await backup(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await backup(["--yes"])).stderr).toMatch(
      /^flag error: --yes: unknown flag \(npm run backup asks nothing; flags are/,
    );
    expect(fakeAws().requests).toEqual([]);
  });

  it("dispatches on the command the package.json scripts name first", async () => {
    const main = (argv: string[]) => runInProcess(backupMain, argv, { cwd: root });
    expect((await main(["restore", "--help"])).stdout).toMatch(/^Usage: npm run restore/);
    expect(await main(["snapshot"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag error: snapshot: not a command (use backup or restore)\n",
    });
  });
});

describe("npm run restore", () => {
  const restoreLine = (key: string) => `/opt/keycloak-ec2/keycloak-backup.sh restore 's3://${BUCKET}/${key}'`;
  const restored =
    "keycloak-ec2 [00:00:09] restored it (DROP DATABASE keycloak_previous frees the space of the replaced database)";

  it("restores a backup by its name under the prefix, copying nothing", async () => {
    writeOutputs();
    fakeAws().invocations = [invocation("InProgress"), success("", `keycloak-ec2 [00:00:01] stopping\n${restored}\n`)];
    const { code, stdout, stderr } = await restore(["--from", "20260130T031500Z-daily.dump", "--yes"]);
    expect({ code, stdout }).toEqual({
      code: 0,
      stdout: `restored s3://${BUCKET}/${PREFIX}/20260130T031500Z-daily.dump into ${NAME} (${INSTANCE}): ${restored}\n`,
    });
    expect(stderr).toMatch(/^restore: running keycloak-backup.sh restore s3:\/\//);
    expect(fakeAws().requests.map((r) => r.operation)).toEqual([
      "SendCommand",
      "GetCommandInvocation",
      "GetCommandInvocation",
    ]);
    expect(fakeAws().calls("SendCommand")[0].body).toEqual(
      sentCommand(restoreLine(`${PREFIX}/20260130T031500Z-daily.dump`), "restore"),
    );
  });

  it("uploads a local file into the prefix first, then restores that copy", async () => {
    writeOutputs();
    const dump = writeFile(root, "keycloak old.dump", "PGDMP custom archive bytes");
    fakeAws().invocations = [success("", `${restored}\n`)];
    const { code, stderr } = await restore(["--from", `./${path.basename(dump)}`, "--yes"]);
    expect(code).toBe(0);
    const key = `${PREFIX}/restore-20260131T235958Z-keycloak_old.dump`;
    expect(fakeAws().requests.map((r) => r.operation)).toEqual(["PutObject", "SendCommand", "GetCommandInvocation"]);
    expect(fakeAws().calls("PutObject")[0].url).toBe(
      `/${BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}?x-id=PutObject`,
    );
    expect(fakeAws().objects.get(`${BUCKET}/${key}`)?.body.toString()).toBe("PGDMP custom archive bytes");
    expect(fakeAws().calls("SendCommand")[0].body).toMatchObject({ Parameters: { commands: [restoreLine(key)] } });
    expect(stderr.split("\n")[0]).toBe(`restore: uploading ${dump} (26 B) to s3://${BUCKET}/${key}`);
  });

  it("copies another deployment's object into the prefix; uses one already there as it is", async () => {
    writeOutputs();
    fakeAws().objects.set("old-backups/keycloak-ec2/postgresql/20250101T000000Z-daily.dump", {
      body: Buffer.from("PGDMP old"),
      lastModified: new Date(),
    });
    fakeAws().invocations = [success("", `${restored}\n`)];
    expect(
      (await restore(["--from", "s3://old-backups/keycloak-ec2/postgresql/20250101T000000Z-daily.dump", "--yes"])).code,
    ).toBe(0);
    const key = `${PREFIX}/restore-20260131T235958Z-20250101T000000Z-daily.dump`;
    expect(fakeAws().requests.map((r) => r.operation)).toEqual(["CopyObject", "SendCommand", "GetCommandInvocation"]);
    expect(fakeAws().calls("CopyObject")[0].headers["x-amz-copy-source"]).toBe(
      "old-backups/keycloak-ec2/postgresql/20250101T000000Z-daily.dump",
    );
    expect(fakeAws().objects.get(`${BUCKET}/${key}`)?.body.toString()).toBe("PGDMP old");
    expect(fakeAws().calls("SendCommand")[0].body).toMatchObject({ Parameters: { commands: [restoreLine(key)] } });

    fakeAws().requests.length = 0;
    const own = `s3://${BUCKET}/${PREFIX}/20260130T031500Z-daily.dump`;
    expect((await restore(["--from", own, "--yes"])).code).toBe(0);
    expect(fakeAws().requests.map((r) => r.operation)).toEqual(["SendCommand", "GetCommandInvocation"]);
    expect(fakeAws().calls("SendCommand")[0].body).toMatchObject({
      Parameters: { commands: [restoreLine(`${PREFIX}/20260130T031500Z-daily.dump`)] },
    });
  });

  it.each([
    ["x; rm -rf /", /^restore error: --from: no file \/.*x; rm -rf (?:\/)? \(give the path/],
    ["x;reboot", /^restore error: --from: "x;reboot" is not a backup name, an s3:\/\/ URI or a file path \(/],
    ["$(reboot).dump", /^restore error: --from: "\$\(reboot\)\.dump" is not a backup name/],
    [
      "s3://bucket/a'b.dump",
      /^restore error: --from: "s3:\/\/bucket\/a'b.dump" is not an S3 object URI this tool accepts \(/,
    ],
    ["s3://bucket/../../etc/passwd", /^restore error: --from: .* is not an S3 object URI/],
    ["s3://Bad_Bucket/x.dump", /^restore error: --from: .* is not an S3 object URI/],
  ])("refuses SOURCE %j before sending anything", async (source, message) => {
    writeOutputs();
    const { code, stdout, stderr } = await restore(["--from", source, "--yes"]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(fakeAws().requests).toEqual([]);
  });

  it("refuses without --yes where nobody can confirm (no terminal, or CI)", async () => {
    writeOutputs();
    expect(await restore(["--from", "a.dump"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `restore error: --yes: not given, and standard input is not a terminal, so nobody can confirm replacing the database of ${NAME} (when you are sure, run npm run restore -- --from a.dump --yes)\n`,
    });
    expect(
      (await restore(["--from", "a.dump"], { stdinIsTty: true, env: { ...commandEnv(), CI: "true" } })).stderr,
    ).toMatch(/^restore error: --yes: not given, and CI=true is set, so nobody/);
    expect((await restore([])).stderr).toBe(
      "restore error: --from: not given (name the backup: npm run restore -- --from NAME (npm run backup -- --list shows them))\n",
    );
    expect(fakeAws().requests).toEqual([]);
  });

  it("on a terminal, restores once the deployment's name is typed, and not otherwise", async () => {
    writeOutputs();
    const questions: string[] = [];
    const wrong = await restore(["--from", "a.dump"], {
      stdinIsTty: true,
      ask: async (question) => (questions.push(question), "yes"),
    });
    expect(wrong).toEqual({
      code: 2,
      stdout: "",
      stderr: `restore error: confirmation: "yes" is not "${NAME}" (nothing was changed; run it again to restore)\n`,
    });
    expect(questions).toEqual([
      `This replaces the database of ${NAME} (instance ${INSTANCE}, eu-west-3) with a.dump; Keycloak stops for the swap. ` +
        `Type the deployment name (${NAME}) to confirm: `,
    ]);
    expect(fakeAws().requests).toEqual([]);

    fakeAws().invocations = [success("", `${restored}\n`)];
    const right = await restore(["--from", "a.dump"], { stdinIsTty: true, ask: async () => ` ${NAME}\n` });
    expect(right.code).toBe(0);
    expect(fakeAws().calls("SendCommand")).toHaveLength(1);
  });

  it("reports a failed restore with exit code 1 and the script's FAILED line", async () => {
    writeOutputs();
    fakeAws().invocations = [
      invocation("Failed", {
        ResponseCode: 1,
        StandardErrorContent: `keycloak-ec2 [00:00:01] downloading s3://${BUCKET}/${PREFIX}/nope.dump\nkeycloak-ec2 [00:00:02] FAILED: no backup at s3://${BUCKET}/${PREFIX}/nope.dump that the instance role can read (keycloak-backup.sh list shows them)\n`,
      }),
    ];
    const { code, stderr } = await restore(["--from", "nope.dump", "--yes"]);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split("\n").slice(-3)).toEqual([
      `restore error: SSM command ${COMMAND_ID}: keycloak-backup.sh restore s3://${BUCKET}/${PREFIX}/nope.dump on ${INSTANCE} ended Failed, exit code 1; its last lines follow (the whole output: ${FULL_OUTPUT})`,
      `  keycloak-ec2 [00:00:01] downloading s3://${BUCKET}/${PREFIX}/nope.dump`,
      `  keycloak-ec2 [00:00:02] FAILED: no backup at s3://${BUCKET}/${PREFIX}/nope.dump that the instance role can read (keycloak-backup.sh list shows them)`,
    ]);
  });

  it("reports an S3 error of the copy in one line, sending no command", async () => {
    writeOutputs();
    const { code, stderr } = await restore(["--from", "s3://old-backups/x.dump", "--yes"]);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split("\n").slice(1)).toEqual([
      `restore error: s3:GetObject on s3://old-backups/x.dump and s3:PutObject on s3://${BUCKET}/${PREFIX}/*: NoSuchKey: no such object (check the name; npm run backup -- --list shows the deployment's backups)`,
    ]);
    expect(fakeAws().calls("SendCommand")).toEqual([]);
  });
});
