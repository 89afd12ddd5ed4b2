import type RealmRepresentation from "@keycloak/keycloak-admin-client/lib/defs/realmRepresentation";
import type ClientRepresentation from "@keycloak/keycloak-admin-client/lib/defs/clientRepresentation";
import type UserRepresentation from "@keycloak/keycloak-admin-client/lib/defs/userRepresentation";

/** The application realm: its name and up to three clients (an SPA, a Backend-for-Frontend, a service). */
export interface RealmSettings {
  readonly name: string;
  /** @default - no SPA client */
  readonly spa?: {
    readonly clientId: string;
    readonly redirectUris: readonly string[];
    readonly webOrigins: readonly string[];
  };
  /** @default - no Backend-for-Frontend client */
  readonly bff?: { readonly clientId: string; readonly redirectUris: readonly string[] };
  /** @default - no service client */
  readonly service?: { readonly clientId: string };
}

/** Environment variables of the Keycloak container that hold the confidential clients' secrets. */
export const CLIENT_SECRET_ENV = { bff: "BFF_CLIENT_SECRET", service: "SERVICE_CLIENT_SECRET" } as const;

/** What every client has off: the Implicit and Resource Owner Password grants and the device flow. */
const NO_LEGACY_GRANTS: ClientRepresentation = {
  protocol: "openid-connect",
  enabled: true,
  implicitFlowEnabled: false,
  directAccessGrantsEnabled: false,
  frontchannelLogout: true,
};

/**
 * The user behind a client's service account, declared as `kc.sh export` writes it. Keycloak 26 has crashed at
 * startup ("Session not bound to a realm") importing a service-account client without it (keycloak#33637, #34673,
 * #38647; docs/design-facts.md §5): declared, the import finds it and skips the code that crashes. The
 * realm's default role is named after the realm in lower case, as Keycloak's RealmManager names it at import.
 */
export function serviceAccountUser(realmName: string, clientId: string): UserRepresentation {
  return {
    username: `service-account-${clientId}`,
    enabled: true,
    serviceAccountClientId: clientId,
    realmRoles: [`default-roles-${realmName.toLowerCase()}`],
  };
}

type Client<K extends "spa" | "bff" | "service"> = NonNullable<RealmSettings[K]>;

function spaClient(spa: Client<"spa">): ClientRepresentation {
  return {
    ...NO_LEGACY_GRANTS,
    clientId: spa.clientId,
    name: "Single-page application (public, Authorization Code + PKCE)",
    publicClient: true,
    standardFlowEnabled: true,
    serviceAccountsEnabled: false,
    redirectUris: [...spa.redirectUris],
    webOrigins: [...spa.webOrigins],
    attributes: {
      "pkce.code.challenge.method": "S256",
      "post.logout.redirect.uris": "+",
      "oauth2.device.authorization.grant.enabled": "false",
    },
  };
}

function bffClient(bff: Client<"bff">): ClientRepresentation {
  return {
    ...NO_LEGACY_GRANTS,
    clientId: bff.clientId,
    name: "Backend-for-Frontend (confidential, Authorization Code + PKCE; tokens stay on the server)",
    publicClient: false,
    clientAuthenticatorType: "client-secret",
    secret: `\${${CLIENT_SECRET_ENV.bff}}`,
    standardFlowEnabled: true,
    serviceAccountsEnabled: false,
    redirectUris: [...bff.redirectUris],
    webOrigins: [],
    attributes: {
      "pkce.code.challenge.method": "S256",
      "post.logout.redirect.uris": "+",
      "oauth2.device.authorization.grant.enabled": "false",
    },
  };
}

function serviceClient(service: Client<"service">): ClientRepresentation {
  return {
    ...NO_LEGACY_GRANTS,
    clientId: service.clientId,
    name: "Service client (confidential, Client Credentials for API-to-API calls)",
    publicClient: false,
    clientAuthenticatorType: "client-secret",
    secret: `\${${CLIENT_SECRET_ENV.service}}`,
    standardFlowEnabled: false,
    serviceAccountsEnabled: true,
    redirectUris: [],
    webOrigins: [],
    attributes: { "oauth2.device.authorization.grant.enabled": "false" },
  };
}

/**
 * The application realm imported at first start, following the OAuth guidance: an SPA with Authorization Code +
 * PKCE (S256), a confidential Backend-for-Frontend, a service client with Client Credentials (each only if
 * configured); no Implicit, no Password grant; TLS required for all but private addresses. Client secrets are
 * Keycloak environment placeholders (`${BFF_CLIENT_SECRET}`), resolved from the container's environment at import,
 * never literals.
 */
export function realmRepresentation(realm: RealmSettings): RealmRepresentation {
  return {
    realm: realm.name,
    enabled: true,
    sslRequired: "external",
    registrationAllowed: false,
    resetPasswordAllowed: false,
    bruteForceProtected: true,
    clients: [
      ...(realm.spa ? [spaClient(realm.spa)] : []),
      ...(realm.bff ? [bffClient(realm.bff)] : []),
      ...(realm.service ? [serviceClient(realm.service)] : []),
    ],
    ...(realm.service ? { users: [serviceAccountUser(realm.name, realm.service.clientId)] } : {}),
  };
}
