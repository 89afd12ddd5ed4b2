import { DEFAULT_REALM } from "../defaults";
import {
  describe,
  Field,
  FieldTable,
  nameRule,
  objectField,
  Problems,
  ReadContext,
  stringField,
  stringListField,
  ValuesOf,
} from "./field";

/**
 * The application realm's fields: up to three clients that follow the OAuth guidance (an SPA with Authorization Code
 * + PKCE, a confidential Backend-for-Frontend, a service client with Client Credentials), each of which `false`
 * leaves out.
 */

/** A host name (as `URL.hostname` gives it) that only reaches the machine it is used on. */
function isLoopback(host: string): boolean {
  return host === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "[::1]";
}

/** The loopback host of a URI or origin, if it has one. */
function loopbackHost(uri: string): string | undefined {
  try {
    const { hostname } = new URL(uri);
    return isLoopback(hostname) ? hostname : undefined;
  } catch {
    return undefined;
  }
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

/**
 * A client of the realm: its fields, or `false` to leave it out (read as undefined). Absent, it takes its defaults.
 */
function optionalClient<F extends FieldTable>(fields: F, doc: string): Field<ValuesOf<F> | undefined> {
  const client = objectField(fields, { doc });
  return {
    ...client,
    type: "object \\| `false`",
    defaultText: "the fields below",
    doc: `${doc} \`false\` leaves it out of the realm.`,
    ownRow: true,
    read: (raw, at, context) => {
      if (raw === false) return undefined;
      if (raw === true || raw === null) {
        context.problems.add(
          at,
          `must be an object, or false to leave the client out, got ${describe(raw)}`,
          "write { ... } to set the client, false to leave it out, or nothing for the defaults",
        );
        return client.read(undefined, at, context);
      }
      return client.read(raw, at, context);
    },
  };
}

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
  spa: optionalClient(
    {
      clientId: clientId(DEFAULT_REALM.spa.clientId, "Public SPA client (Authorization Code + PKCE S256)."),
      redirectUris: redirectUris(
        DEFAULT_REALM.spa.redirectUris,
        "Its allowed redirect URIs (a trailing `/*` is the only wildcard).",
      ),
      webOrigins: stringListField({
        type: "list of origins",
        doc: 'Its allowed CORS origins. `"+"`, the default, is Keycloak\'s "the origins of the redirect URIs", so it follows `redirectUris`.',
        defaultText: `\`${JSON.stringify(DEFAULT_REALM.spa.webOrigins)}\``,
        default: () => DEFAULT_REALM.spa.webOrigins,
        checkItem: (origin, at, { problems }) => checkWebOrigin(origin, at, problems),
      }),
    },
    "Public single-page application client.",
  ),
  bff: optionalClient(
    {
      clientId: clientId(DEFAULT_REALM.bff.clientId, "Confidential Backend-for-Frontend client (Authorization Code)."),
      redirectUris: redirectUris(DEFAULT_REALM.bff.redirectUris, "Its allowed redirect URIs."),
    },
    "Confidential Backend-for-Frontend client.",
  ),
  service: optionalClient(
    { clientId: clientId(DEFAULT_REALM.service.clientId, "Service client for API-to-API calls (Client Credentials).") },
    "Service client.",
  ),
};

type Realm = ValuesOf<typeof REALM_FIELDS>;

/**
 * In production and in a cluster, a redirect URI or web origin on localhost is only usable from a browser on the
 * machine that runs the application: right for the laptop demo the defaults are, wrong for a real application.
 */
function warnLoopback(realm: Realm, at: string, { problems, profile }: ReadContext): void {
  if (profile !== "production" && profile !== "cluster") return;
  const lists: Array<[string, readonly string[] | undefined, readonly string[]]> = [
    ["spa.redirectUris", realm.spa?.redirectUris, DEFAULT_REALM.spa.redirectUris],
    ["spa.webOrigins", realm.spa?.webOrigins, DEFAULT_REALM.spa.webOrigins],
    ["bff.redirectUris", realm.bff?.redirectUris, DEFAULT_REALM.bff.redirectUris],
  ];
  for (const [field, list, fallback] of lists) {
    list?.forEach((uri, i) => {
      const host = loopbackHost(uri);
      if (!host) return;
      const client = field.split(".")[0];
      problems.warn(
        `${at}.${field}[${i}]`,
        `"${uri}"${list === fallback ? " (the default)" : ""} points at ${host}: only a browser on the machine that runs the application can use it, fine for a demo, not in production (list your application's URIs, or set ${at}.${client} to false)`,
      );
    });
  }
}

export const realmField = objectField(REALM_FIELDS, {
  doc: "The application realm.",
  check: (realm, at, context) => {
    const clients = (["spa", "bff", "service"] as const).filter((c) => realm[c] !== undefined);
    const ids = clients.map((c) => realm[c]!.clientId);
    if (new Set(ids).size !== ids.length) {
      context.problems.add(
        at,
        `client ids must differ, got ${clients.map((c) => `${c} "${realm[c]!.clientId}"`).join(", ")}`,
        "give each client its own clientId",
      );
    }
    warnLoopback(realm, at, context);
  },
});
