/** `article`: the guide's Terraform, resource for resource. `dev`: the guide's `start-dev` demo, made safe.
 * `production`: Keycloak in production mode on PostgreSQL with TLS, hardened. `cluster`: several Keycloak nodes in
 * an Auto Scaling group behind a load balancer, on RDS. */
export const PROFILES = ["article", "dev", "production", "cluster"] as const;
export type Profile = (typeof PROFILES)[number];

/** The profiles that run Keycloak on one instance. */
export type ServerProfile = Exclude<Profile, "article" | "cluster">;

export { DEFAULT_KEYCLOAK_VERSION, DEFAULT_NAME } from "../defaults";
