import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFlags } from "../../src/cli/args";
import { Cdktf } from "../../src/cli/cdktf";
import { CONFIG_FLAGS } from "../../src/cli/config";
import { doctorCommand } from "../../src/cli/doctor";
import { BACKUP_HELP, backupCommand, RESTORE_HELP, restoreCommand } from "../../src/cli/backup";
import { Command } from "../../src/cli/edge";
import { hclCommand } from "../../src/cli/hcl";
import { flagSpecOf } from "../../src/cli/help";
import { flagSpecFor, lifecycleCommand } from "../../src/cli/lifecycle";
import { migrateStateCommand } from "../../src/cli/migrate-state";
import { synthCommand } from "../../src/cli/synth";
import { waitCommand } from "../../src/cli/wait";
import { runInProcess } from "./run";

// --help, -h and --version of every command: they print and exit 0, and nothing else happens.
const VERSION = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")).version;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-help-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A cdktf that fails the test if anything runs it. */
const noCdktf = (): Cdktf => ({
  projectRoot: dir,
  run: () => {
    throw new Error("cdktf ran");
  },
});

interface Case {
  /** As `npm run <name>` calls it. */
  readonly name: string;
  readonly command: () => Command;
  /** Words before the flags (the lifecycle commands' own name). */
  readonly prefix?: readonly string[];
  /** Every flag the command takes, besides --help and --version. */
  readonly flags: readonly string[];
}

const CONFIG = ["profile", "config", "region"];
const lifecycle = (name: "deploy" | "diff" | "destroy" | "output", flags: readonly string[]): Case => ({
  name,
  command: () => (argv, env, cwd, io) => lifecycleCommand(argv, env, cwd, io, noCdktf()),
  prefix: [name],
  flags,
});

const CASES: readonly Case[] = [
  { name: "synth", command: () => synthCommand, flags: CONFIG },
  { name: "hcl", command: () => hclCommand, flags: [...CONFIG, "from", "no-backend", "out", "check"] },
  { name: "doctor", command: () => doctorCommand, flags: CONFIG },
  lifecycle("deploy", [...CONFIG, "yes", "timeout"]),
  lifecycle("diff", CONFIG),
  lifecycle("destroy", [...CONFIG, "yes"]),
  lifecycle("output", CONFIG),
  {
    name: "wait",
    command: () => (argv, env, cwd, io) => waitCommand(argv, env, cwd, io, dir),
    flags: ["url", "timeout", ...CONFIG],
  },
  {
    name: "migrate-state",
    command: () => (argv, env, cwd, io) => migrateStateCommand(argv, env, cwd, io, dir),
    flags: [...CONFIG, "yes"],
  },
  {
    name: "backup",
    command: () => (argv, env, cwd, io) => backupCommand(argv, env, cwd, io, { root: dir }),
    flags: ["list", ...CONFIG],
  },
  {
    name: "restore",
    command: () => (argv, env, cwd, io) => restoreCommand(argv, env, cwd, io, { root: dir }),
    flags: ["from", "yes", ...CONFIG],
  },
];

const run = ({ command, prefix = [] }: Case, argv: string[]) =>
  runInProcess(command(), [...prefix, ...argv], { cwd: dir, env: { PATH: path.join(dir, "empty"), HOME: dir } });

describe.each(CASES.map((c) => [c.name, c] as const))("npm run %s", (name, c) => {
  it("--help prints the usage, every flag with a line of its own, and an example; exit 0, nothing done", async () => {
    const { code, stdout, stderr } = await run(c, ["--help"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: npm run ${name} -- `));
    const flagLines = stdout.split("\n").filter((line) => /^ {2}--/.test(line));
    expect(flagLines.map((line) => /^ {2}--([\w-]+)/.exec(line)![1])).toEqual([...c.flags, "help", "version"]);
    for (const line of flagLines) expect(line).toMatch(/^ {2}--[\w-]+( [A-Z.]+)? {2,}\S.{10,}$/);
    const example = /^Example: npm run (\S+) -- (.*)$/m.exec(stdout);
    expect(example?.[1]).toBe(name);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("-h does the same, even among other flags, and --version prints the package's version", async () => {
    const help = await run(c, ["--help"]);
    expect(await run(c, ["--profile", "dev", "-h"])).toEqual(help);
    expect(await run(c, ["--version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("the examples of the help", () => {
  it.each([
    ["synth", CONFIG_FLAGS],
    ["doctor", CONFIG_FLAGS],
    ["deploy", flagSpecFor("deploy")],
    ["destroy", flagSpecFor("destroy")],
    ["output", flagSpecFor("output")],
    ["backup", flagSpecOf(BACKUP_HELP.flags)],
    ["restore", flagSpecOf(RESTORE_HELP.flags)],
  ] as const)("%s: its example's flags are the command's", async (name, spec) => {
    const { stdout } = await run(
      CASES.find((c) => c.name === name)!,
      ["--help"],
    );
    const words = /^Example: npm run \S+ -- (.*)$/m.exec(stdout)![1].split(" ");
    expect(() => parseFlags(words, spec)).not.toThrow();
  });
});
