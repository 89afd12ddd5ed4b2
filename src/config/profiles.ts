/** `article`: the guide's Terraform, resource for resource. `dev`: the guide's `start-dev` demo, made safe.
 * `production`: Keycloak in production mode on PostgreSQL with TLS, hardened. */
export const PROFILES = ["article", "dev", "production"] as const;
export type Profile = (typeof PROFILES)[number];

/** The profiles that run Keycloak (everything but the guide's own stack). */
export type ServerProfile = Exclude<Profile, "article">;

export { DEFAULT_KEYCLOAK_VERSION, DEFAULT_NAME } from "../defaults";
