import { BootInput } from "../src/boot/boot-files";
import { parameterPrefix } from "../src/boot/secrets";
import { ServerConfig } from "../src/config/schema";
import { validateConfig } from "../src/config/validate";

/** A validated dev or production config from a raw one (as a file would hold it). */
export function serverConfig(raw: Record<string, unknown>): ServerConfig {
  const { config } = validateConfig(raw);
  if (config.profile === "article" || config.profile === "cluster")
    throw new Error("expected a dev or production config");
  return config;
}

/** What KeycloakServer hands the boot for a config, with the Elastic IP's addresses as Terraform would fill them. */
export function bootInputOf(config: ServerConfig, addresses: { publicDns?: string; publicIp?: string }): BootInput {
  return {
    mode: config.profile,
    region: config.region,
    keycloakVersion: config.keycloak.version,
    parameterPrefix: parameterPrefix(config.name),
    adminUser: config.keycloak.adminUser,
    hostname: config.keycloak.hostname,
    tls: config.keycloak.tls,
    adminCidrs: (config.adminCidrs ?? config.httpsCidrs).join(" "),
    tlsCertificate: config.keycloak.tlsCertificate,
    ...addresses,
  };
}
