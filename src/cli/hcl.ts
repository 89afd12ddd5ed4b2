import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFlags } from "./args";
import { runCommand } from "./edge";
import { DEFAULT_OUTDIR, stackFile, synthesizeStack } from "./synth";
import { loadConfig } from "../config/load";
import { CONFIG_FLAGS, configFlags } from "./config";
import { UserError } from "../errors";
import { exportHcl, HclExportError, HclFiles } from "../hcl/export";

const USAGE = "npm run hcl -- [--profile P] [--config F] [--region R] --out DIR [--check], or --from FILE.tf.json --out DIR [--check]";

/** The Terraform JSON to export and the directory Terraform would run it from (where relative state paths start). */
interface Source {
  readonly json: unknown;
  readonly runDir: string;
}

function fromFile(file: string): Source {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`hcl error: --from: ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "cannot be read"} (give a Terraform JSON file, e.g. cdktf.out/stacks/<stack>/cdk.tf.json)`);
  }
  try {
    return { json: JSON.parse(text), runDir: path.dirname(file) };
  } catch (error) {
    throw new UserError(`hcl error: --from: ${file}: not valid JSON: ${(error as Error).message} (give a Terraform JSON file)`);
  }
}

/** Synthesizes the configured stack in a scratch directory, leaving cdktf.out alone. */
function fromConfig(flags: ReturnType<typeof parseFlags>, cwd: string, env: NodeJS.ProcessEnv, warn: (line: string) => void): Source {
  const { config, warnings } = loadConfig({ flags: configFlags(flags), env, cwd });
  warnings.forEach(warn);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "keycloak-ec2-hcl-"));
  try {
    const json = JSON.parse(fs.readFileSync(synthesizeStack(config, scratch), "utf8"));
    return { json, runDir: path.dirname(stackFile(path.join(cwd, DEFAULT_OUTDIR), config.name)) };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Writes the three files, or with `check` only compares them; every file written whole or not at all. Returns
 * what to print. */
function writeOrCheck(files: HclFiles, outDir: string, shownAs: string, check: boolean): string {
  const show = (file: string) => path.join(shownAs, path.basename(file));
  const wanted = Object.entries(files).map(([name, text]) => [path.join(outDir, name), text || `# This stack declares no ${name.replace(".tf", "")}.\n`] as const);
  if (check) {
    const stale = wanted.filter(([file, text]) => !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text);
    if (stale.length) {
      throw new UserError(stale.map(([file]) => `hcl check: ${show(file)} ${fs.existsSync(file) ? "differs from" : "is missing from"} the export (run npm run hcl -- --out ${shownAs} and commit the result)`), 1);
    }
    return `hcl check: ${shownAs} is up to date`;
  }
  const written: string[] = [];
  try {
    fs.mkdirSync(outDir, { recursive: true });
    for (const [file, text] of wanted) {
      fs.writeFileSync(`${file}.tmp`, text);
      written.push(`${file}.tmp`);
    }
  } catch (error) {
    for (const file of written) fs.rmSync(file, { force: true });
    const { code, path: at } = error as NodeJS.ErrnoException;
    throw new UserError(`hcl error: --out: cannot write ${path.join(shownAs, path.relative(outDir, at ?? outDir))} (${code}) (give a directory you can write, or a new one)`);
  }
  for (const [file] of wanted) fs.renameSync(`${file}.tmp`, file);
  return `wrote ${wanted.map(([file]) => show(file)).join(", ")}`;
}

/**
 * `npm run hcl`: what to print when it succeeds, or a UserError. `cwd`, `env` and `warn` (config warnings) stand
 * for the process's own, so that tests run it in-process.
 */
export async function hclCommand(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, warn: (line: string) => void): Promise<string> {
  const flags = parseFlags(argv, { ...CONFIG_FLAGS, out: "value", from: "value", check: "switch" });
  if (typeof flags.out !== "string") throw new UserError(`flag error: --out: is required (${USAGE})`);
  const configFlags = Object.keys(CONFIG_FLAGS).filter((name) => flags[name] !== undefined);
  if (typeof flags.from === "string" && configFlags.length) {
    throw new UserError(`flag error: --from: exports the given file, so ${configFlags.map((f) => `--${f}`).join(", ")} cannot apply (give one or the other)`);
  }
  const source = typeof flags.from === "string" ? fromFile(path.resolve(cwd, flags.from)) : fromConfig(flags, cwd, env, warn);
  const outDir = path.resolve(cwd, flags.out);
  let files: HclFiles;
  try {
    files = await exportHcl(source.json as Record<string, never>, { fromDir: source.runDir, toDir: outDir });
  } catch (error) {
    if (error instanceof HclExportError) throw new UserError(`hcl error: ${error.message}`);
    throw error;
  }
  return writeOrCheck(files, outDir, path.relative(cwd, outDir) || ".", flags.check === true);
}

if (require.main === module) {
  runCommand(async () => {
    const warn = (line: string) => process.stderr.write(`${line}\n`);
    process.stdout.write(`${await hclCommand(process.argv.slice(2), process.cwd(), process.env, warn)}\n`);
  });
}
