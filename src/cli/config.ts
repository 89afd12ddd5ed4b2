import { FlagSpec, ParsedFlags } from "./args";
import { CommandIO } from "./edge";
import { ConfigFlags, loadConfig, LoadedConfig } from "../config/load";

/** The flags every command that reads the config accepts. */
export const CONFIG_FLAGS: FlagSpec = { profile: "value", region: "value", config: "value" };

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
