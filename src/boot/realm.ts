import type RealmRepresentation from "@keycloak/keycloak-admin-client/lib/defs/realmRepresentation";
import type ClientRepresentation from "@keycloak/keycloak-admin-client/lib/defs/clientRepresentation";

/** The application realm: its name and three clients (an SPA, a Backend-for-Frontend, a service). */
export interface RealmSettings {
  readonly name: string;
  readonly spa: {
    readonly clientId: string;
    readonly redirectUris: readonly string[];
    readonly webOrigins: readonly string[];
  };
  readonly bff: { readonly clientId: string; readonly redirectUris: readonly string[] };
  readonly service: { readonly clientId: string };
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
 * The application realm imported at first start, following the OAuth guidance: an SPA with Authorization Code +
 * PKCE (S256), a confidential Backend-for-Frontend, a service client with Client Credentials; no Implicit, no
 * Password grant; TLS required for all but private addresses. Client secrets are Keycloak environment
 * placeholders (`${BFF_CLIENT_SECRET}`), resolved from the container's environment at import, never literals.
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
      {
        ...NO_LEGACY_GRANTS,
        clientId: realm.spa.clientId,
        name: "Single-page application (public, Authorization Code + PKCE)",
        publicClient: true,
        standardFlowEnabled: true,
        serviceAccountsEnabled: false,
        redirectUris: [...realm.spa.redirectUris],
        webOrigins: [...realm.spa.webOrigins],
        attributes: {
          "pkce.code.challenge.method": "S256",
          "post.logout.redirect.uris": "+",
          "oauth2.device.authorization.grant.enabled": "false",
        },
      },
      {
        ...NO_LEGACY_GRANTS,
        clientId: realm.bff.clientId,
        name: "Backend-for-Frontend (confidential, Authorization Code + PKCE; tokens stay on the server)",
        publicClient: false,
        clientAuthenticatorType: "client-secret",
        secret: `\${${CLIENT_SECRET_ENV.bff}}`,
        standardFlowEnabled: true,
        serviceAccountsEnabled: false,
        redirectUris: [...realm.bff.redirectUris],
        webOrigins: [],
        attributes: {
          "pkce.code.challenge.method": "S256",
          "post.logout.redirect.uris": "+",
          "oauth2.device.authorization.grant.enabled": "false",
        },
      },
      {
        ...NO_LEGACY_GRANTS,
        clientId: realm.service.clientId,
        name: "Service client (confidential, Client Credentials for API-to-API calls)",
        publicClient: false,
        clientAuthenticatorType: "client-secret",
        secret: `\${${CLIENT_SECRET_ENV.service}}`,
        standardFlowEnabled: false,
        serviceAccountsEnabled: true,
        redirectUris: [],
        webOrigins: [],
        attributes: { "oauth2.device.authorization.grant.enabled": "false" },
      },
    ],
  };
}
