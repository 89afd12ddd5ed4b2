import { ParsedFlags } from "./args";
import { loadConfig, LoadedConfig } from "../config/load";

/** The config in force for a command run from the shell (its flags, environment and directory), warnings on stderr. */
export function commandConfig(flags: ParsedFlags): LoadedConfig {
  const loaded = loadConfig({ flags, env: process.env, cwd: process.cwd() });
  for (const warning of loaded.warnings) process.stderr.write(`${warning}\n`);
  return loaded;
}
