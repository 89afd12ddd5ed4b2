import * as path from "node:path";
import { parseFlags } from "./args";
import { commandConfig, CONFIG_FLAG_HELP, CONFIG_FLAGS, CONFIG_USAGE } from "./config";
import { projectRoot } from "./cdktf";
import { Command, runMain } from "./edge";
import { CommandHelp, helpOrVersion } from "./help";
import { preflight } from "../deploy/preflight";
import { systemInputs } from "../deploy/preflight/system";
import { UserError } from "../errors";

export const DOCTOR_HELP: CommandHelp = {
  usage: [`npm run doctor -- ${CONFIG_USAGE}`],
  description:
    "Checks, without calling AWS, whether this machine can deploy the config in force: terraform (or " +
    "$TERRAFORM_BINARY_NAME) and its version, AWS credentials, the state backend's access, a key pair when SSH is " +
    "open. Prints what passed, one line each, then one line per problem with its fix (exit code 2). deploy, diff " +
    "and destroy run the same checks first.",
  flags: CONFIG_FLAG_HELP,
  example: "npm run doctor -- --profile dev",
};

/**
 * `npm run doctor -- [--profile P] [--config F] [--region R]`: whether this machine can deploy the config in force,
 * without calling AWS. What passed is printed in any case (on stdout); each problem is one line with its fix (on
 * stderr, exit 2).
 */
export const doctorCommand: Command = (argv, env, cwd, io) => {
  const info = helpOrVersion(argv, DOCTOR_HELP);
  if (info) return io.stdout(info);
  const { config, file } = commandConfig(parseFlags(argv, CONFIG_FLAGS), env, cwd, io);
  const report = preflight(config, systemInputs(env, projectRoot()));
  // The config file as a path from the working directory, unless it is elsewhere.
  const shown = file && !path.relative(cwd, file).startsWith("..") ? path.relative(cwd, file) : file;
  const lines = [
    `deployment: ${config.name}, profile ${config.profile} (${shown ? `config ${shown}` : "default config"})`,
    ...report.summary,
  ];
  io.stdout(lines.map((line) => `${line}\n`).join(""));
  if (report.problems.length) throw new UserError(report.problems);
};

if (require.main === module) runMain(doctorCommand);
