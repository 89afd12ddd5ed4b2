import * as fs from "node:fs";
import { FlagSpec, parseFlags } from "./args";
import { Cdktf, projectCdktf } from "./cdktf";
import { commandConfig, CONFIG_FLAG_HELP, CONFIG_USAGE } from "./config";
import { CommandIO, runMain } from "./edge";
import { CommandHelp, FlagHelp, flagSpecOf, helpOrVersion } from "./help";
import { TIMEOUT_FLAG } from "./wait";
import {
  approvalProblem,
  cdktfRun,
  destroyNotice,
  destroyRefusal,
  isLifecycleCommand,
  LIFECYCLE_COMMANDS,
  LifecycleCommand,
  needsApproval,
} from "../deploy/lifecycle";
import { bootStatusTarget } from "../deploy/boot-status";
import { checkRemoteStateProfile } from "../deploy/remote-state";
import { deployedChangeWarnings } from "../deploy/changes";
import { formatOutputs, keycloakUrlFrom, outputsFilePath, readOutputs } from "../deploy/outputs";
import { preflight, statePreflight } from "../deploy/preflight";
import { systemInputs } from "../deploy/preflight/system";
import { waitForKeycloak, waitTimeoutSeconds } from "../deploy/wait";
import { problemLine, UserError } from "../errors";

const YES_FLAG: FlagHelp = {
  name: "yes",
  text: "approve the plan without asking (cdktf's --auto-approve); needed in CI and without a terminal",
};

const LIFECYCLE_HELP: Readonly<Record<LifecycleCommand, Omit<CommandHelp, "usage" | "flags">>> = {
  deploy: {
    description:
      "Runs the doctor's checks, then cdktf deploy on the stack of the config in force: shows the plan and asks for " +
      "approval, then applies it, writes the outputs to <name>.outputs.json in the project directory, prints them " +
      "and waits until Keycloak answers and the instance reports it applied this configuration; a cluster, until its " +
      "instance refresh is done and every node reports it. The article profile, which never starts Keycloak, is " +
      "not waited for. Warns first, naming the field, of a change that replaces the " +
      "instance or that AWS refuses.",
    example: "npm run deploy -- --profile dev --yes",
  },
  diff: {
    description:
      "Runs the doctor's checks, then cdktf diff on the stack of the config in force: the plan, nothing changed.",
    example: "npm run diff -- --config keycloak.prod.json",
  },
  destroy: {
    description:
      "Runs the doctor's checks, then cdktf destroy on the stack of the config in force: shows what goes and asks " +
      "for approval, then removes it all and <name>.outputs.json. Refused while dataProtection is on (the " +
      "production and cluster default): docs/operations.md says how to keep or delete the data.",
    example: "npm run destroy -- --profile dev --yes",
  },
  output: {
    description:
      "Reads the outputs from the Terraform state (cdktf output) into <name>.outputs.json and prints them. Checks " +
      "first what reading the state needs: terraform, and AWS credentials for S3 state or a token for HCP Terraform.",
    example: "npm run output -- --profile dev",
  },
};

/** `--help` of a lifecycle command: the config flags, `--yes` where cdktf asks for approval, and deploy's wait's
 * `--timeout`. */
export function lifecycleHelp(command: LifecycleCommand): CommandHelp {
  const yes = needsApproval(command);
  const timeout = command === "deploy";
  return {
    usage: [`npm run ${command} -- ${CONFIG_USAGE}${yes ? " [--yes]" : ""}${timeout ? " [--timeout SECONDS]" : ""}`],
    flags: [...CONFIG_FLAG_HELP, ...(yes ? [YES_FLAG] : []), ...(timeout ? [TIMEOUT_FLAG] : [])],
    ...LIFECYCLE_HELP[command],
  };
}

/** The config flags, and `--yes` where cdktf asks for approval. */
export function flagSpecFor(command: LifecycleCommand): FlagSpec {
  return flagSpecOf(lifecycleHelp(command).flags);
}

/**
 * What to do instead of the approval flags a command does not take: `--yes` on diff and output, which ask nothing,
 * and cdktf's own `--auto-approve`.
 */
export function flagHintsFor(command: LifecycleCommand): Readonly<Record<string, string>> {
  if (needsApproval(command)) return { "auto-approve": "write --yes, which passes it to cdktf" };
  const none = `npm run ${command} changes nothing and asks for no approval; npm run deploy and npm run destroy take --yes`;
  return { yes: none, "auto-approve": none };
}

/**
 * `npm run deploy|diff|destroy|output -- [--profile P] [--config F] [--region R] [--yes]` (argv starts with the
 * command's name): checks the config and the machine (the doctor's checks; output only what reading the state
 * needs), then runs cdktf on the stack. `cdktf` is the project's own CLI unless a test gives another.
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
  const info = helpOrVersion(flagWords, lifecycleHelp(command));
  if (info) return io.stdout(info);
  const flags = parseFlags(flagWords, flagSpecFor(command), flagHintsFor(command));
  const yes = flags.yes === true;
  const loaded = commandConfig(flags, env, cwd, io);
  const { config } = loaded;
  if (command === "deploy" || command === "diff") {
    for (const warning of deployedChangeWarnings(config, cdktf.projectRoot)) io.stderr(`${warning}\n`);
  }
  // Deploy waits for Keycloak, which the article profile never starts. The timeout is checked now, not after a
  // deployment of several minutes.
  const keycloakWait =
    command === "deploy" && config.profile !== "article"
      ? {
          config,
          timeoutSeconds: waitTimeoutSeconds(
            typeof flags.timeout === "string" ? flags.timeout : undefined,
            env,
            config.profile,
          ),
        }
      : undefined;

  const machine = systemInputs(env, cdktf.projectRoot);
  // Output reads the state only: terraform, and what the backend needs (AWS credentials for S3, a token for HCP
  // Terraform). Its own printout is the outputs, so what passed is not shown.
  const capture = command === "output";
  const stdoutIsTerminal = io.terminalColumns !== undefined;
  if (capture) {
    const report = statePreflight(config, machine);
    if (report.problems.length) throw new UserError(report.problems);
  } else {
    const report = preflight(config, machine);
    const terminal = { stdin: io.stdinIsTty ?? false, stdout: stdoutIsTerminal };
    const refusals = [approvalProblem(command, yes, env, terminal), destroyRefusal(command, config)];
    const problems = [...report.problems, ...refusals.filter((refusal) => refusal !== undefined)];
    if (problems.length) throw new UserError(problems);
    // Credentials are there now: a state in S3 is read for the profile it holds, as the doctor reads a local one.
    const state = await checkRemoteStateProfile(config);
    if ("problem" in state) throw new UserError(state.problem);
    for (const line of report.summary) io.stdout(`${line}\n`);
    if (config.backend.type === "s3") io.stdout(`${state.ok}\n`);
    io.stdout(destroyNotice(command, config));
  }

  const outputsFile = outputsFilePath(cdktf.projectRoot, config.name);
  const run = cdktfRun(command, loaded, { yes, outputsFile, env, terminal: stdoutIsTerminal && !capture });
  const { code, stdout } = await cdktf.run(run, capture);
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
    bootStatus: bootStatusTarget(outputs),
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
