import { commandConfig, CONFIG_FLAGS } from "./config";
import { preflight, systemInputs } from "../deploy/preflight";
import { UserError } from "../errors";
import { parseFlags } from "./args";
import { runCommand } from "./edge";

// `npm run doctor -- [--profile P] [--config F] [--region R]`: whether this machine can deploy the config in force,
// without calling AWS. Each problem is one line with its fix (exit 2); otherwise a summary of what will be used.
runCommand(() => {
  const flags = parseFlags(process.argv.slice(2), CONFIG_FLAGS);
  const { config, file } = commandConfig(flags);
  const report = preflight(config, systemInputs());
  if (report.problems.length) throw new UserError(report.problems);
  const lines = [`deployment: ${config.name}, profile ${config.profile} (${file ? `config ${file}` : "default config"})`, ...report.summary];
  process.stdout.write(lines.map((line) => `${line}\n`).join(""));
});
