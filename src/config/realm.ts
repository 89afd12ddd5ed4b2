import { DEFAULT_REALM } from "../defaults";
import { nameRule, objectField, Problems, stringField, stringListField } from "./field";

/**
 * The application realm's fields: three clients that follow the OAuth guidance (an SPA with Authorization Code +
 * PKCE, a confidential Backend-for-Frontend, a service client with Client Credentials).
 */

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

function checkRedirectUri(uri: string, at: string, problems: Problems): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    problems.add(at, `"${uri}" is not an absolute URI`, 'write e.g. "https://app.example.com/callback"');
    return;
  }
  if (uri.includes("*") && !(uri.endsWith("/*") && uri.indexOf("*") === uri.length - 1)) {
    problems.add(
      at,
      `"${uri}" has a wildcard that is not a final "/*"`,
      "Keycloak only matches a trailing /*; list exact URIs",
    );
  } else if (url.hash) {
    problems.add(at, `"${uri}" has a fragment`, "OAuth redirect URIs may not contain #");
  } else if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    problems.warn(
      at,
      `"${uri}" is plain http on a non-loopback host: codes and tokens cross the network in clear (use https)`,
    );
  }
}

function checkWebOrigin(origin: string, at: string, problems: Problems): void {
  if (origin === "+") return;
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url || url.origin !== origin || !/^https?:$/.test(url.protocol)) {
    problems.add(
      at,
      `"${origin}" is not an origin`,
      'write scheme, host and port only, e.g. "https://app.example.com", or "+" for the redirect URIs\' origins',
    );
  }
}

const clientId = (fallback: string, what: string) =>
  stringField({
    doc: what,
    defaultText: `\`"${fallback}"\``,
    default: () => fallback,
    check: nameRule(/^[A-Za-z0-9._:-]+$/, 255, "may only contain letters, digits and . _ : -"),
  });

const redirectUris = (fallback: readonly string[], doc: string) =>
  stringListField({
    type: "list of URIs",
    doc,
    defaultText: `\`${JSON.stringify(fallback).replace(/,/g, ", ")}\``,
    default: () => fallback,
    checkItem: (uri, at, { problems }) => checkRedirectUri(uri, at, problems),
    check: (list, at, { problems }) =>
      list.length > 0 ||
      (problems.add(at, "is empty: the client could never log anyone in", "list at least one URI") ?? false),
  });

export const REALM_FIELDS = {
  name: stringField({
    doc: "Application realm imported at first start (not `master`).",
    defaultText: `\`"${DEFAULT_REALM.name}"\``,
    default: () => DEFAULT_REALM.name,
    check: (n) =>
      n === "master"
        ? '"master" is Keycloak\'s administration realm'
        : nameRule(/^[A-Za-z0-9_-]+$/, 255, "may only contain letters, digits, _ and -")(n),
    fix: 'choose another name, e.g. "app"',
  }),
  spa: objectField(
    {
      clientId: clientId(DEFAULT_REALM.spa.clientId, "Public SPA client (Authorization Code + PKCE S256)."),
      redirectUris: redirectUris(
        DEFAULT_REALM.spa.redirectUris,
        "Its allowed redirect URIs (a trailing `/*` is the only wildcard).",
      ),
      webOrigins: stringListField({
        type: "list of origins",
        doc: 'Its allowed CORS origins (`"+"`: the redirect URIs\' origins).',
        defaultText: `\`${JSON.stringify(DEFAULT_REALM.spa.webOrigins)}\``,
        default: () => DEFAULT_REALM.spa.webOrigins,
        checkItem: (origin, at, { problems }) => checkWebOrigin(origin, at, problems),
      }),
    },
    { doc: "Public single-page application client." },
  ),
  bff: objectField(
    {
      clientId: clientId(DEFAULT_REALM.bff.clientId, "Confidential Backend-for-Frontend client (Authorization Code)."),
      redirectUris: redirectUris(DEFAULT_REALM.bff.redirectUris, "Its allowed redirect URIs."),
    },
    { doc: "Confidential Backend-for-Frontend client." },
  ),
  service: objectField(
    { clientId: clientId(DEFAULT_REALM.service.clientId, "Service client for API-to-API calls (Client Credentials).") },
    { doc: "Service client." },
  ),
};

export const realmField = objectField(REALM_FIELDS, {
  doc: "The application realm.",
  check: (realm, at, { problems }) => {
    const ids = { spa: realm.spa.clientId, bff: realm.bff.clientId, service: realm.service.clientId };
    if (new Set(Object.values(ids)).size !== 3) {
      problems.add(
        at,
        `client ids must differ, got spa "${ids.spa}", bff "${ids.bff}", service "${ids.service}"`,
        "give each client its own clientId",
      );
    }
  },
});
