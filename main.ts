import { parseFlags } from "./src/cli/args";
import { runCommand } from "./src/cli/edge";
import { synthesizeAtomically, synthesizeStack } from "./src/cli/synth";
import { commandConfig, CONFIG_FLAGS } from "./src/cli/config";

// The cdktf app: `npm run synth` runs it directly (with flags), `cdktf synth|deploy|...` through cdktf.json
// (config file and KEYCLOAK_EC2_* environment variables only).
runCommand(() => {
  const flags = parseFlags(process.argv.slice(2), CONFIG_FLAGS);
  const { config } = commandConfig(flags);
  synthesizeAtomically((outdir) => synthesizeStack(config, outdir));
});
