import type { BackendConfig } from "./backend";
import { CLUSTER_FIELDS } from "./cluster-fields";
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

/** Keycloak on several instances behind a load balancer, on RDS: the single-instance fields it shares, and its own. */
export interface ClusterConfig
  extends
    CommonConfig,
    Pick<
      ValuesOf<typeof SERVER_FIELDS>,
      "rootVolumeSize" | "backupRetentionDays" | "dataProtection" | "vpcId" | "adminCidrs"
    >,
    ValuesOf<typeof CLUSTER_FIELDS> {
  readonly profile: "cluster";
  readonly keycloak: KeycloakConfig & { readonly hostname: string };
  /** Required: the load balancer's certificate is validated, and its name made, in this zone. */
  readonly dnsZone: string;
}

export type KeycloakEc2Config = ArticleConfig | ServerConfig | ClusterConfig;

export type { KeycloakConfig, TlsConfig } from "./fields";
export type RealmConfig = ValuesOf<typeof REALM_FIELDS>;

export type { Profile, ServerProfile } from "./profiles";
export { DEFAULT_KEYCLOAK_VERSION, PROFILES } from "./profiles";
export type { BackendConfig, CloudBackendConfig, LocalBackendConfig, S3BackendConfig } from "./backend";
export type { TlsCertificateConfig } from "./fields";
