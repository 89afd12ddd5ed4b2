import { parseFlags } from "./args";
import { projectRoot } from "./cdktf";
import { commandConfig, CONFIG_FLAGS } from "./config";
import { CommandIO, runMain } from "./edge";
import { keycloakUrlFrom, outputsFilePath, readOutputs } from "../deploy/outputs";
import { waitForKeycloak, waitTimeoutSeconds, withoutTrailingSlash } from "../deploy/wait";
import { problemLine, UserError } from "../errors";

/** `--url`: Keycloak's base URL, as the keycloak_url output gives it. */
export function urlFlag(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash) {
    throw new UserError(
      problemLine(
        "flag",
        "--url",
        `"${text}" is not Keycloak's base URL`,
        "write e.g. --url https://sso.example.com:8443",
      ),
    );
  }
  return withoutTrailingSlash(text);
}

/**
 * `npm run wait -- [--url URL] [--timeout SECONDS] [--profile P] [--config F] [--region R]`: waits until Keycloak
 * answers (deploy runs the same wait). The URL defaults to the deployment's keycloak_url output, in the outputs file
 * under `root` (the project directory); the config says whether the instance's certificate is the self-signed one
 * made at boot.
 */
export async function waitCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  io: CommandIO,
  root: string = projectRoot(),
): Promise<void> {
  const flags = parseFlags(argv, { ...CONFIG_FLAGS, url: "value", timeout: "value" });
  const { config } = commandConfig(flags, env, cwd, io);
  if (config.profile === "article") {
    throw new UserError(
      problemLine(
        "wait",
        "profile",
        '"article" never starts Keycloak, its boot only installs Docker and PostgreSQL as the guide\'s does',
        "nothing to wait for; the dev and production profiles run Keycloak",
      ),
    );
  }
  const timeoutSeconds = waitTimeoutSeconds(typeof flags.timeout === "string" ? flags.timeout : undefined, env);
  const outputsFile = outputsFilePath(root, config.name);
  const keycloakUrl =
    typeof flags.url === "string"
      ? urlFlag(flags.url)
      : keycloakUrlFrom(readOutputs(outputsFile, config.name), outputsFile);
  await waitForKeycloak(config, keycloakUrl, { timeoutSeconds, write: io.stdout, terminalColumns: io.terminalColumns });
}

if (require.main === module) runMain(waitCommand);
