import { parseFlags } from "./args";
import { projectRoot } from "./cdktf";
import { commandConfig, CONFIG_FLAG_HELP, CONFIG_USAGE } from "./config";
import { CommandIO, runMain } from "./edge";
import { CommandHelp, FlagHelp, flagSpecOf, helpOrVersion } from "./help";
import { bootStatusTarget } from "../deploy/boot-status";
import { keycloakUrlFrom, outputsFilePath, readOutputs } from "../deploy/outputs";
import {
  CLUSTER_WAIT_TIMEOUT_SECONDS,
  DEFAULT_WAIT_TIMEOUT_SECONDS,
  WAIT_TIMEOUT_ENV,
  waitForKeycloak,
  waitTimeoutSeconds,
  withoutTrailingSlash,
} from "../deploy/wait";
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
      problemLine("flag", "--url", `"${text}" is not Keycloak's base URL`, "write e.g. --url https://sso.example.com"),
    );
  }
  return withoutTrailingSlash(text);
}

export /** How long the wait may take, for `npm run wait` and `npm run deploy`. */
const TIMEOUT_FLAG: FlagHelp = {
  name: "timeout",
  value: "SECONDS",
  text: `give up waiting after this long (default: $${WAIT_TIMEOUT_ENV}, else ${DEFAULT_WAIT_TIMEOUT_SECONDS}, ${CLUSTER_WAIT_TIMEOUT_SECONDS} for a cluster, whose instance refresh replaces one node at a time)`,
};
const WAIT_HELP: CommandHelp = {
  usage: [`npm run wait -- [--url URL] [--timeout SECONDS] ${CONFIG_USAGE}`],
  description:
    "Waits until Keycloak answers, as deploy does after applying: polls its OpenID discovery document " +
    "(<url>/realms/<keycloak.realm.name>/.well-known/openid-configuration) every 5 seconds until it serves the realm's " +
    "issuer, or stops with exit code 1 after the timeout. Then, from the outputs file, it waits until the boot's " +
    "report in the bucket names the configuration the last deploy delivered, and prints the running Keycloak " +
    "version and realm (exit code 1 with the boot's reason if it failed). The certificate is verified as any client " +
    "would, and its issuer and expiry printed; only in the self-signed TLS mode is an unverifiable one accepted.",
  flags: [
    {
      name: "url",
      value: "URL",
      text: "Keycloak's base URL (default: the keycloak_url output, in <name>.outputs.json)",
    },
    TIMEOUT_FLAG,
    ...CONFIG_FLAG_HELP,
  ],
  example: "npm run wait -- --url https://sso.example.com --timeout 1200",
};

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
  const info = helpOrVersion(argv, WAIT_HELP);
  if (info) return io.stdout(info);
  const flags = parseFlags(argv, flagSpecOf(WAIT_HELP.flags));
  const { config } = commandConfig(flags, env, cwd, io);
  if (config.profile === "article") {
    throw new UserError(
      problemLine(
        "wait",
        "profile",
        '"article" never starts Keycloak, its boot only installs Docker and PostgreSQL as the guide\'s does',
        "nothing to wait for; the dev, production and cluster profiles run Keycloak",
      ),
    );
  }
  const timeoutSeconds = waitTimeoutSeconds(
    typeof flags.timeout === "string" ? flags.timeout : undefined,
    env,
    config.profile,
  );
  const outputsFile = outputsFilePath(root, config.name);
  // With --url there may be no outputs file: then Keycloak answering is all that is checked.
  const outputs = typeof flags.url === "string" ? undefined : readOutputs(outputsFile, config.name);
  const keycloakUrl = outputs ? keycloakUrlFrom(outputs, outputsFile) : urlFlag(flags.url as string);
  await waitForKeycloak(config, keycloakUrl, {
    bootStatus: outputs && bootStatusTarget(outputs),
    timeoutSeconds,
    write: io.stdout,
    terminalColumns: io.terminalColumns,
  });
}

if (require.main === module) runMain(waitCommand);
