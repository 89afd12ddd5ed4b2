import { KeycloakEc2Config } from "../config/schema";

/**
 * Interim boot for dev and production: Docker and PostgreSQL from Amazon Linux 2023's own packages, the guide's
 * section 1 on today's image. Keycloak itself is started by the Keycloak bootstrap (issue 4).
 */
export function keycloakUserData(_config: KeycloakEc2Config): string {
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    "dnf install -y docker postgresql16-server",
    "systemctl enable --now docker",
    "[ -f /var/lib/pgsql/data/PG_VERSION ] || postgresql-setup --initdb",
    "systemctl enable --now postgresql",
    "",
  ].join("\n");
}
