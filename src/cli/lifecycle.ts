import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { commandConfig } from "./config";
import {
  approvalProblem, CdktfRun, cdktfRun, flagSpecFor, formatOutputs, isLifecycleCommand, keycloakUrlFrom, LIFECYCLE_COMMANDS, outputsFilePath, projectRoot,
  readOutputs,
} from "../deploy/lifecycle";
import { checkTerraform, preflight, systemInputs } from "../deploy/preflight";
import { waitForKeycloak, waitTimeoutSeconds } from "../deploy/wait";
import { UserError } from "../errors";
import { parseFlags } from "./args";
import { runCommand } from "./edge";

// `npm run deploy|diff|destroy|output -- [--profile P] [--config F] [--region R] [--yes]`: checks the config and the
// machine (the doctor's checks; output only needs terraform), then runs the project's own cdktf CLI on the stack.

/** Runs cdktf to its end. `captureStdout` keeps its printout from the terminal (output prints its own view). */
async function runCdktf(root: string, run: CdktfRun, captureStdout: boolean): Promise<{ code: number; stdout: string }> {
  const cdktf = path.join(root, "node_modules", ".bin", "cdktf");
  if (!fs.existsSync(cdktf)) throw new UserError(`${run.args[0]} error: cdktf: ${cdktf} not found (run npm ci in ${root})`);
  return new Promise((resolve, reject) => {
    // The link's target with this very node: no `node` needed on PATH for its `#!/usr/bin/env node` line.
    const child = spawn(process.execPath, [fs.realpathSync(cdktf), ...run.args], { cwd: root, env: run.env, stdio: ["inherit", captureStdout ? "pipe" : "inherit", "inherit"] });
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    // Ctrl-C reaches cdktf as well (same process group): it stops terraform cleanly; this process waits to report.
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    child.on("error", (error) => {
      process.off("SIGINT", ignore);
      reject(error);
    });
    child.on("close", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve({ code: code ?? (signal === "SIGINT" ? 130 : 1), stdout });
    });
  });
}

runCommand(async () => {
  const [command, ...argv] = process.argv.slice(2);
  if (!isLifecycleCommand(command)) throw new UserError(`flag error: ${command ?? "(none)"}: not a command (use one of ${LIFECYCLE_COMMANDS.join(", ")})`);
  const flags = parseFlags(argv, flagSpecFor(command));
  const yes = flags.yes === true;
  const loaded = commandConfig(flags);
  const { config } = loaded;
  // Checked now, not after a deployment of several minutes.
  const waitSeconds = command === "deploy" && config.profile !== "article" ? waitTimeoutSeconds({}, process.env) : undefined;

  if (command === "output") {
    // Reading outputs needs terraform, but AWS credentials only for some backends: cdktf reports those itself.
    const terraform = checkTerraform(config, systemInputs());
    if ("problem" in terraform) throw new UserError(terraform.problem);
  } else {
    const report = preflight(config, systemInputs());
    const refusal = approvalProblem(command, yes, process.env, Boolean(process.stdin.isTTY));
    const problems = refusal ? [...report.problems, refusal] : report.problems;
    if (problems.length) throw new UserError(problems);
    for (const line of report.summary) process.stdout.write(`${line}\n`);
  }

  const root = projectRoot();
  const outputsFile = outputsFilePath(root, config.name);
  const { code, stdout } = await runCdktf(root, cdktfRun(command, loaded, { yes, outputsFile, env: process.env }), command === "output");
  if (code !== 0) {
    process.stdout.write(stdout);
    throw new UserError(`${command} error: cdktf ${command} ${config.name}: failed with exit code ${code} (see its messages above)`, code);
  }
  // The file would describe a deployment that no longer exists.
  if (command === "destroy") fs.rmSync(outputsFile, { force: true });
  if (command !== "deploy" && command !== "output") return;

  const outputs = readOutputs(outputsFile, config.name);
  process.stdout.write(`\nOutputs of ${config.name} (kept in ${outputsFile}):\n${formatOutputs(outputs).map((line) => `  ${line}\n`).join("")}`);
  if (waitSeconds === undefined) return;
  const keycloakUrl = keycloakUrlFrom(outputs, outputsFile);
  await waitForKeycloak(config, keycloakUrl, { timeoutSeconds: waitSeconds, write: (text) => process.stdout.write(text), terminalColumns: process.stdout.isTTY ? process.stdout.columns : undefined });
  const password = typeof outputs.admin_password_command === "string" ? `the password this prints: ${outputs.admin_password_command}` : "the password in SSM (docs/deploy.md)";
  process.stdout.write(`Log in at ${outputs.admin_console_url ?? keycloakUrl} as ${config.keycloak.adminUser}, with ${password}\n`);
});
