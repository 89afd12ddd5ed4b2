import type { BackendConfig } from "./backend";
import { COMMON_FIELDS, KeycloakConfig, SERVER_FIELDS } from "./fields";
import { ValuesOf } from "./field";
import type { ServerProfile } from "./profiles";
import { REALM_FIELDS } from "./realm";

/**
 * The configuration's types, derived from the field declarations (./fields.ts), so that a field is declared once.
 * A config is a union by profile: the compiler keeps the guide's stack and Keycloak's fields apart.
 */

type CommonConfig = Omit<ValuesOf<typeof COMMON_FIELDS>, "profile" | "backend"> & { readonly backend: BackendConfig };

/** The guide's own stack: only the fields its Terraform has. */
export interface ArticleConfig extends CommonConfig {
  readonly profile: "article";
}

/** A deployment that runs Keycloak (dev or production). */
export interface ServerConfig extends CommonConfig, Omit<ValuesOf<typeof SERVER_FIELDS>, "keycloak"> {
  readonly profile: ServerProfile;
  readonly keycloak: KeycloakConfig;
}

export type KeycloakEc2Config = ArticleConfig | ServerConfig;

export type { KeycloakConfig, TlsConfig } from "./fields";
export type RealmConfig = ValuesOf<typeof REALM_FIELDS>;

export type { Profile, ServerProfile } from "./profiles";
export { DEFAULT_KEYCLOAK_VERSION, PROFILES } from "./profiles";
export type { BackendConfig, CloudBackendConfig, LocalBackendConfig, S3BackendConfig } from "./backend";
export type { TlsCertificateConfig } from "./fields";
