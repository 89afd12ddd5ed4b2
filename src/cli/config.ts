import { ParsedFlags } from "./args";
import { CommandIO } from "./edge";
import { FlagHelp, flagSpecOf } from "./help";
import { ConfigFlags, ENV, loadConfig, LoadedConfig } from "../config/load";

/** The flags every command that reads the config accepts, as the help lists them. */
export const CONFIG_FLAG_HELP: readonly FlagHelp[] = [
  {
    name: "profile",
    value: "P",
    text: `article, dev, production or cluster (default: $${ENV.profile}, else the config's, else production)`,
  },
  {
    name: "config",
    value: "F",
    text: `the config file (default: $${ENV.config}, else keycloak.config.json if there is one)`,
  },
  { name: "region", value: "R", text: `the AWS region (default: $${ENV.region}, else the config's)` },
];

/** The usage words of the config flags. */
export const CONFIG_USAGE = "[--profile P] [--config F] [--region R]";

/** The flags every command that reads the config accepts. */
export const CONFIG_FLAGS = flagSpecOf(CONFIG_FLAG_HELP);

/** The config flags among a command's parsed flags. */
export function configFlags(flags: ParsedFlags): ConfigFlags {
  const value = (name: string) => (typeof flags[name] === "string" ? (flags[name] as string) : undefined);
  return { config: value("config"), profile: value("profile"), region: value("region") };
}

/** The config in force for a command (its flags, environment and directory), with its warnings on `io.stderr`. */
export function commandConfig(flags: ParsedFlags, env: NodeJS.ProcessEnv, cwd: string, io: CommandIO): LoadedConfig {
  const loaded = loadConfig({ flags: configFlags(flags), env, cwd });
  for (const warning of loaded.warnings) io.stderr(`${warning}\n`);
  return loaded;
}
