import { parseFlags } from "./args";
import { commandConfig, CONFIG_FLAGS } from "./config";
import { Command, runMain } from "./edge";
import { preflight } from "../deploy/preflight";
import { systemInputs } from "../deploy/preflight/system";
import { UserError } from "../errors";

/**
 * `npm run doctor -- [--profile P] [--config F] [--region R]`: whether this machine can deploy the config in force,
 * without calling AWS. Each problem is one line with its fix (exit 2); otherwise a summary of what will be used.
 */
export const doctorCommand: Command = (argv, env, cwd, io) => {
  const { config, file } = commandConfig(parseFlags(argv, CONFIG_FLAGS), env, cwd, io);
  const report = preflight(config, systemInputs(env));
  if (report.problems.length) throw new UserError(report.problems);
  const lines = [
    `deployment: ${config.name}, profile ${config.profile} (${file ? `config ${file}` : "default config"})`,
    ...report.summary,
  ];
  io.stdout(lines.map((line) => `${line}\n`).join(""));
};

if (require.main === module) runMain(doctorCommand);
