/** `article`: the guide's Terraform, resource for resource. `dev`: the guide's `start-dev` demo, made safe.
 * `production`: Keycloak in production mode on PostgreSQL with TLS, hardened. */
export const PROFILES = ["article", "dev", "production"] as const;
export type Profile = (typeof PROFILES)[number];

/** The profiles that run Keycloak (everything but the guide's own stack). */
export type ServerProfile = Exclude<Profile, "article">;

/** The version of quay.io/keycloak/keycloak this release is tested with. */
export const DEFAULT_KEYCLOAK_VERSION = "26.7.4";

/** The deployment name when the config gives none. */
export const DEFAULT_NAME = "keycloak-ec2";
