import { KeycloakMode } from "./unit";

/** The generated secrets, by SSM parameter name under `/<name>/keycloak/` (the boot script reads the same names). */
export const SECRET_NAMES = {
  adminPassword: "admin-password",
  databasePassword: "db-password",
  bffClientSecret: "bff-client-secret",
  serviceClientSecret: "service-client-secret",
} as const;

export type SecretName = (typeof SECRET_NAMES)[keyof typeof SECRET_NAMES];

/**
 * The secrets a profile uses: dev runs on Keycloak's embedded database, so it has no database password; production's
 * is its local PostgreSQL's keycloak role's, the cluster's the RDS master user's (src/constructs/cluster-database.ts
 * says why not the password RDS manages in Secrets Manager).
 */
export function secretsOf(mode: KeycloakMode): readonly SecretName[] {
  return Object.values(SECRET_NAMES).filter((name) => mode !== "dev" || name !== SECRET_NAMES.databasePassword);
}

/** `/<name>/keycloak`: the SSM path of a deployment's secrets. */
export function parameterPrefix(deploymentName: string): string {
  return `/${deploymentName}/keycloak`;
}
