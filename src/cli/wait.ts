import { commandConfig, CONFIG_FLAGS } from "./config";
import { keycloakUrlFrom, outputsFilePath, projectRoot, readOutputs } from "../deploy/lifecycle";
import { urlFlag, waitForKeycloak, waitTimeoutSeconds } from "../deploy/wait";
import { UserError } from "../errors";
import { parseFlags } from "./args";
import { runCommand } from "./edge";

// `npm run wait -- [--url URL] [--timeout SECONDS] [--profile P] [--config F] [--region R]`: waits until Keycloak
// answers (deploy runs the same wait). The URL defaults to the deployment's keycloak_url output; the config says
// whether the instance's certificate is the self-signed one made at boot.
runCommand(async () => {
  const flags = parseFlags(process.argv.slice(2), { ...CONFIG_FLAGS, url: "value", timeout: "value" });
  const { config } = commandConfig(flags);
  if (config.profile === "article") {
    throw new UserError('wait error: profile: "article" never starts Keycloak, its boot only installs Docker and PostgreSQL as the guide\'s does (nothing to wait for; the dev and production profiles run Keycloak)');
  }
  const timeoutSeconds = waitTimeoutSeconds(flags, process.env);
  const outputsFile = outputsFilePath(projectRoot(), config.name);
  const keycloakUrl = typeof flags.url === "string" ? urlFlag(flags.url) : keycloakUrlFrom(readOutputs(outputsFile, config.name), outputsFile);
  await waitForKeycloak(config, keycloakUrl, { timeoutSeconds, write: (text) => process.stdout.write(text), terminalColumns: process.stdout.isTTY ? process.stdout.columns : undefined });
});
