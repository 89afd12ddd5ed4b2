import * as fs from "node:fs";
import { FlagSpec, parseFlags } from "./args";
import { Cdktf, projectCdktf } from "./cdktf";
import { commandConfig, CONFIG_FLAGS } from "./config";
import { CommandIO, runMain } from "./edge";
import {
  approvalProblem,
  cdktfRun,
  isLifecycleCommand,
  LIFECYCLE_COMMANDS,
  LifecycleCommand,
  needsApproval,
} from "../deploy/lifecycle";
import { formatOutputs, keycloakUrlFrom, outputsFilePath, readOutputs } from "../deploy/outputs";
import { preflight } from "../deploy/preflight";
import { systemInputs } from "../deploy/preflight/system";
import { checkTerraform } from "../deploy/preflight/terraform";
import { waitForKeycloak, waitTimeoutSeconds } from "../deploy/wait";
import { problemLine, UserError } from "../errors";

/** The config flags, and `--yes` where cdktf asks for approval. */
export function flagSpecFor(command: LifecycleCommand): FlagSpec {
  return needsApproval(command) ? { ...CONFIG_FLAGS, yes: "switch" } : CONFIG_FLAGS;
}

/**
 * `npm run deploy|diff|destroy|output -- [--profile P] [--config F] [--region R] [--yes]` (argv starts with the
 * command's name): checks the config and the machine (the doctor's checks; output only needs terraform), then runs
 * cdktf on the stack. `cdktf` is the project's own CLI unless a test gives another.
 */
export async function lifecycleCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
  cdktf: Cdktf = projectCdktf(),
): Promise<void> {
  const [command, ...flagWords] = argv;
  if (!isLifecycleCommand(command)) {
    throw new UserError(
      problemLine("flag", command ?? "(none)", "not a command", `use one of ${LIFECYCLE_COMMANDS.join(", ")}`),
    );
  }
  const flags = parseFlags(flagWords, flagSpecFor(command));
  const yes = flags.yes === true;
  const loaded = commandConfig(flags, env, cwd, io);
  const { config } = loaded;
  // Deploy waits for Keycloak, which the article profile never starts. The timeout is checked now, not after a
  // deployment of several minutes.
  const keycloakWait =
    command === "deploy" && config.profile !== "article"
      ? { config, timeoutSeconds: waitTimeoutSeconds(undefined, env) }
      : undefined;

  const machine = systemInputs(env);
  if (command === "output") {
    // Reading outputs needs terraform, but AWS credentials only for some backends: cdktf reports those itself.
    const terraform = checkTerraform(config, machine);
    if ("problem" in terraform) throw new UserError(terraform.problem);
  } else {
    const report = preflight(config, machine);
    const refusal = approvalProblem(command, yes, env, io.stdinIsTty ?? false);
    const problems = refusal ? [...report.problems, refusal] : report.problems;
    if (problems.length) throw new UserError(problems);
    for (const line of report.summary) io.stdout(`${line}\n`);
  }

  const outputsFile = outputsFilePath(cdktf.projectRoot, config.name);
  const { code, stdout } = await cdktf.run(cdktfRun(command, loaded, { yes, outputsFile, env }), command === "output");
  if (code !== 0) {
    io.stdout(stdout);
    throw new UserError(
      problemLine(
        command,
        `cdktf ${command} ${config.name}`,
        `failed with exit code ${code}`,
        "see its messages above",
      ),
      code,
    );
  }
  // The file would describe a deployment that no longer exists.
  if (command === "destroy") fs.rmSync(outputsFile, { force: true });
  if (command !== "deploy" && command !== "output") return;

  const outputs = readOutputs(outputsFile, config.name);
  io.stdout(
    `\nOutputs of ${config.name} (kept in ${outputsFile}):\n${formatOutputs(outputs)
      .map((line) => `  ${line}\n`)
      .join("")}`,
  );
  if (!keycloakWait) return;
  const keycloakUrl = keycloakUrlFrom(outputs, outputsFile);
  await waitForKeycloak(keycloakWait.config, keycloakUrl, {
    timeoutSeconds: keycloakWait.timeoutSeconds,
    write: io.stdout,
    terminalColumns: io.terminalColumns,
  });
  const password =
    typeof outputs.admin_password_command === "string"
      ? `the password this prints: ${outputs.admin_password_command}`
      : "the password in SSM (docs/deploy.md)";
  io.stdout(
    `Log in at ${outputs.admin_console_url ?? keycloakUrl} as ${keycloakWait.config.keycloak.adminUser}, with ${password}\n`,
  );
}

if (require.main === module) runMain(lifecycleCommand);
