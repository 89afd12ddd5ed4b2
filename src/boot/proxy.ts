/**
 * The reverse proxy in front of Keycloak: Caddy, in Docker with host networking, terminating TLS on 443 with a
 * certificate it obtains itself over ACME (Let's Encrypt by default) or the boot's own files, and passing only Keycloak's public paths on to
 * Keycloak's plain-HTTP listener on 127.0.0.1 (Keycloak's reverse-proxy guide, https://www.keycloak.org/server/reverseproxy).
 *
 * What the instance only learns at boot (its address, the admin CIDRs, the ACME contact) is not in the Caddyfile: the
 * Caddyfile reads it from environment placeholders (`{$NAME}`, see {@link PROXY_ENV}), which Docker fills from the env
 * file the boot writes (`--env-file`, {@link PROXY_PATHS}). Caddy expands `{$NAME}` in the raw text before it splits it
 * into tokens (caddyconfig/caddyfile/parse.go, `replaceEnvVars` before `Tokenize`, the same in 2.6.2 and 2.11.4), so a
 * value holding several space-separated CIDRs becomes several arguments of `remote_ip`.
 */

import { LETS_ENCRYPT, SHORTLIVED_PROFILE } from "../defaults";
import { KEYCLOAK_HTTP_PORT } from "./unit";

export { LETS_ENCRYPT };

/** The official Caddy image, pinned (docker-library/official-images#21589 "caddy: v2.11.4 release"). */
export const CADDY_IMAGE = "caddy:2.11.4";

/** The ports Caddy listens on, on every address of the host: what the security group opens. */
export const PROXY_PORTS = {
  /** HTTPS: Keycloak's public URL has no port. */
  https: 443,
  /** ACME HTTP-01 challenges (Let's Encrypt validates on port 80 only) and redirects to HTTPS. */
  http: 80,
} as const;

/** Where the proxy's files are on the host. */
export const PROXY_PATHS = {
  caddyfile: "/etc/keycloak-ec2/Caddyfile",
  /** `NAME=value` lines for `docker run --env-file` (see {@link PROXY_ENV}): written by the boot, 0600. */
  envFile: "/etc/keycloak-ec2/caddy.env",
  /**
   * Caddy's storage (`/data` in the container): the ACME account, the certificates and the internal CA. On the data
   * volume, so that a replaced instance serves its certificate at once instead of asking the CA again (Let's Encrypt
   * allows 5 certificates per exact set of names per 7 days).
   */
  dataDir: "/srv/keycloak-ec2/caddy",
  /** The boot's certificate and key (self-signed or supplied modes), mounted read-only at {@link CADDY_TLS_DIR}. */
  tlsDir: "/etc/keycloak-ec2/tls",
  unit: "/etc/systemd/system/caddy.service",
} as const;

/** Where the container sees {@link PROXY_PATHS}.tlsDir. */
const CADDY_TLS_DIR = "/etc/caddy/tls";

/**
 * The environment variables the Caddyfile reads, by role. Docker's `--env-file` takes each line literally
 * (`NAME=value`, no quotes, no comments after the value), and every value must be a single line.
 */
export const PROXY_ENV = {
  /**
   * The site's address: the Elastic IP (`203.0.113.7`) or the hostname (`sso.example.com`), without scheme or port.
   * It is also the certificate's only name.
   */
  address: "KEYCLOAK_PROXY_ADDRESS",
  /**
   * Who may reach {@link ADMIN_PATHS}: IP addresses or CIDRs, separated by spaces (`198.51.100.0/24 203.0.113.9`).
   * Empty: nobody (every such request is refused).
   */
  adminCidrs: "KEYCLOAK_ADMIN_CIDRS",
  /** The ACME account's contact address; empty: an account without contact. It cannot hold `"`. */
  acmeEmail: "KEYCLOAK_ACME_EMAIL",
} as const;

/**
 * The reserved name (RFC 2606 `.invalid`) of the certificate Caddy's internal CA makes for itself in acme mode, served
 * by `fallback_sni` to clients for whose name no ACME certificate exists yet. Never the real address, so it never
 * competes with the ACME certificate.
 */
export const FALLBACK_NAME = "keycloak-ec2.invalid";

/** Keycloak's paths that are served to anyone (Keycloak's reverse-proxy guide, "Exposed path recommendations"). */
export const PUBLIC_PATHS = ["/realms/*", "/resources/*", "/.well-known/*"] as const;

/**
 * Keycloak's paths served to the admin CIDRs only: the admin console and REST API, and the master realm, whose login
 * and token endpoints (admin-cli's password grant) would otherwise let anyone guess the admin's password.
 */
export const ADMIN_PATHS = ["/admin/*", "/realms/master", "/realms/master/*"] as const;

/**
 * Forwarding headers that Caddy would pass on from the client as they are (it sets only X-Forwarded-For, -Proto and
 * -Host): removed, as Keycloak trusts forwarding headers from loopback.
 */
export const DROPPED_HEADERS = [
  "X-Forwarded-Port",
  "X-Forwarded-Prefix",
  "X-Forwarded-Ssl",
  "X-Forwarded-Server",
  "Forwarded",
] as const;

/**
 * The directory in which Caddy stores the certificates of the ACME CA at `directory` (an https:// URL; by default
 * Let's Encrypt's production one, as in {@link caddyfile}): certmagic's issuer key, the URL's host then its path with
 * `/` and `\` as `-` (acmeissuer.go, issuerKey), made a storage key (storage.go, KeyBuilder.Safe). The same in
 * certmagic v0.25.3 (Caddy 2.11.4) and in Debian's Caddy 2.6.2.
 */
export function acmeIssuerKey(directory: string = LETS_ENCRYPT.production): string {
  // As Go's url.Parse: the host keeps its port, the user info goes, the path is decoded; unparsable, the URL as is.
  const url = /^https?:\/\/(?:[^/?#]*@)?([^/?#]*)([^?#]*)/i.exec(directory);
  let key = directory;
  if (url && decodable(url[2])) {
    const path = decodeURIComponent(url[2])
      .replace(/[/\\]/g, "-")
      .replace(/^-+|-+$/g, "");
    key = path ? `${url[1]}-${path}` : url[1];
  }
  return key
    .toLowerCase()
    .trim()
    .replaceAll(" ", "_")
    .replaceAll("+", "_plus_")
    .replaceAll("*", "wildcard_")
    .replaceAll(":", "-")
    .replaceAll("..", "")
    .replace(/[^\w@.-]/g, "");
}

function decodable(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** What the site address is, which decides the ACME profile and how clients without SNI are served. */
export type ProxyAddressKind = "ip" | "hostname";

/**
 * Where the certificate comes from: `acme`, obtained and renewed by Caddy; `files`, the boot's tls.crt and tls.key
 * (the self-signed and supplied TLS modes), which Caddy reads at start only.
 */
export type ProxyCertificateKind = "acme" | "files";

/** The Caddyfile's static choices; the runtime values come from {@link PROXY_ENV}. */
export interface CaddyfileOptions {
  /** Whether {@link PROXY_ENV}.address holds an IP address or a hostname. */
  readonly addressKind: ProxyAddressKind;
  /** Where the certificate comes from. */
  readonly certificate: ProxyCertificateKind;
  /**
   * The ACME directory URL (acme only).
   * @default - Let's Encrypt's production directory ({@link LETS_ENCRYPT})
   */
  readonly acmeDirectory?: string;
  /**
   * The ACME profile (draft-ietf-acme-profiles) to ask for (acme only); empty: none (the CA's default). Let's Encrypt
   * issues IP certificates only with `shortlived` (160 hours). Caddy 2.6 (Debian's) does not know the option: read
   * from Caddy 2.11's source (modules/caddytls/acmeissuer.go, `profile`), not run here.
   * @default - "shortlived" for an IP address, none for a hostname
   */
  readonly acmeProfile?: string;
  /**
   * Until the first ACME certificate arrives, serve clients a certificate Caddy's internal CA makes for
   * {@link FALLBACK_NAME} (global `fallback_sni`, Caddy >= 2.7: read from Caddy's source, not run here, as Debian's
   * 2.6.2 rejects it). Hostnames only: Caddy gives the fallback site's TLS connection policy an SNI matcher that
   * includes "no SNI" and sorts it before a shorter site address (caddyconfig/httpcaddyfile/httptype.go,
   * serversFromPairings), so for an IP address, whose clients send no SNI, it would shadow `default_sni` and serve
   * the fallback for good; an IP site's own policy never gets the fallback either (its host is the default SNI).
   * There is no internal issuer beside the ACME one: certmagic tries every issuer in turn at renewal too
   * (config.go, renewCert), so one failed renewal would replace a valid certificate with an internal one.
   * @default - true for a hostname with acme; false otherwise
   */
  readonly fallbackSni?: boolean;
  /**
   * How often Caddy checks its certificates for renewal (Caddy's `renew_interval`).
   * @default - Caddy's default, 10 minutes
   */
  readonly renewInterval?: string;
  /**
   * Keycloak's plain-HTTP listener (`--http-enabled=true --http-host=127.0.0.1`).
   * @default "127.0.0.1:8080" (KEYCLOAK_HTTP_PORT)
   */
  readonly upstream?: string;
  /**
   * The port Caddy answers HTTP on: ACME HTTP-01 challenges and redirects.
   * @default 80 ({@link PROXY_PORTS})
   */
  readonly httpPort?: number;
  /**
   * The port Caddy answers HTTPS on.
   * @default 443 ({@link PROXY_PORTS})
   */
  readonly httpsPort?: number;
}

const DURATION = /^\d+(ns|us|µs|ms|s|m|h|d)$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** Throws on options that would make a Caddyfile Caddy rejects, or one Let's Encrypt cannot serve. */
function checkOptions(options: CaddyfileOptions, directory: string, profile: string, fallback: boolean): void {
  const problems: string[] = [];
  const acme = options.certificate === "acme";
  if (acme && !/^https:\/\/\S+$/.test(directory))
    problems.push(`acmeDirectory must be an https:// URL, got "${directory}"`);
  if (!/^[A-Za-z0-9._-]*$/.test(profile)) problems.push(`acmeProfile must be a profile name, got "${profile}"`);
  if (
    acme &&
    options.addressKind === "ip" &&
    directory.includes("api.letsencrypt.org") &&
    profile !== SHORTLIVED_PROFILE
  )
    problems.push(
      `acmeProfile must be "${SHORTLIVED_PROFILE}" for an IP address at Let's Encrypt (IP certificates are short-lived only), got "${profile}"`,
    );
  if (fallback && (!acme || options.addressKind === "ip"))
    problems.push("fallbackSni needs certificate acme and a hostname (clients of an IP address send no SNI)");
  if (options.renewInterval !== undefined && !DURATION.test(options.renewInterval))
    problems.push(`renewInterval must be a duration like 10m, got "${options.renewInterval}"`);
  if (options.upstream !== undefined && !HOST_PORT.test(options.upstream))
    problems.push(`upstream must be host:port, got "${options.upstream}"`);
  for (const [name, value] of [
    ["httpPort", options.httpPort],
    ["httpsPort", options.httpsPort],
  ] as const)
    if (value !== undefined && !(Number.isInteger(value) && value > 0 && value < 65536))
      problems.push(`${name} must be a port number, got ${value}`);
  if (problems.length > 0) throw new Error(`Caddyfile options: ${problems.join("; ")}`);
}

/** `{$NAME}`: a Caddyfile environment placeholder, expanded when Caddy reads the file. */
const env = (name: string) => `{$${name}}`;

/**
 * The Caddyfile: one site, the instance's address, with its certificate from the ACME CA or from the boot's files,
 * proxying Keycloak's public paths, the admin paths to the admin CIDRs only, and nothing else:
 *
 * - {@link PUBLIC_PATHS} but the master realm: to Keycloak, with Host kept and X-Forwarded-For/-Proto/-Host set by
 *   Caddy (incoming ones, and {@link DROPPED_HEADERS}, are dropped), for Keycloak's `--proxy-headers xforwarded`;
 * - {@link ADMIN_PATHS}: the same from the admin CIDRs, 403 from anywhere else;
 * - either with `%2F` or `%5C` (or `\`) in the path: 400;
 * - `/`: a redirect to the admin console, as Keycloak itself answers;
 * - anything else, among them `/health*` and `/metrics*` (Keycloak's management port 9000 is never proxied): 404.
 *
 * Port 80 answers Caddy's own HTTP-01 challenges and redirects everything else to HTTPS (Caddy's automatic redirects,
 * kept by `auto_https disable_certs` in files mode). HTTP/1.1 and HTTP/2 only: the security group opens no UDP.
 *
 * Ordering: the rules are mutually exclusive `handle` blocks (the public matcher excludes the admin paths), so their
 * sort order does not matter, and the checks are inside them, where `respond` sorts before `reverse_proxy`. A
 * separate `handle @denied` could lose to a path-matched `handle`, and a bare `respond 404` in the site would answer
 * every request. Caddy matches paths case-insensitively and on the cleaned, decoded path, so `/realms/../admin/` is
 * an admin request; but it forwards the path as sent, which Keycloak does not decode `%2F` in: hence the 400.
 */
export function caddyfile(options: CaddyfileOptions): string {
  const ip = options.addressKind === "ip";
  const acme = options.certificate === "acme";
  const directory = options.acmeDirectory ?? LETS_ENCRYPT.production;
  const profile = options.acmeProfile ?? (ip ? SHORTLIVED_PROFILE : "");
  const fallback = options.fallbackSni ?? (acme && !ip);
  checkOptions(options, directory, profile, fallback);
  const upstream = options.upstream ?? `127.0.0.1:${KEYCLOAK_HTTP_PORT}`;

  const global = [
    // No admin API: with host networking it would listen on the host's localhost:2019, open to every local process.
    // The configuration changes by restarting the unit.
    "admin off",
    // The internal CA's root (the fallback's) never goes into the trust store of the container or a test machine.
    "skip_install_trust",
    // Files mode: Caddy manages no certificate at all (the boot's files are the only ones), but still redirects.
    ...(acme ? [] : ["auto_https disable_certs"]),
    ...(options.httpPort !== undefined && options.httpPort !== PROXY_PORTS.http
      ? [`http_port ${options.httpPort}`]
      : []),
    ...(options.httpsPort !== undefined && options.httpsPort !== PROXY_PORTS.https
      ? [`https_port ${options.httpsPort}`]
      : []),
    ...(options.renewInterval !== undefined ? [`renew_interval ${options.renewInterval}`] : []),
    // Clients that connect to an IP address send no SNI; Caddy would then look for a certificate for the local
    // address, which on EC2 is the private one (the Elastic IP is NATed).
    ...(ip ? [`default_sni ${env(PROXY_ENV.address)}`] : []),
    ...(fallback ? [`fallback_sni ${FALLBACK_NAME}`] : []),
    "servers {",
    "\tprotocols h1 h2",
    "}",
  ];
  const tls = acme
    ? [
        "\ttls {",
        "\t\tissuer acme {",
        `\t\t\tdir ${directory}`,
        ...(profile ? [`\t\t\tprofile ${profile}`] : []),
        // HTTP-01 only: port 443 may be closed to the CA's validators (httpsCidrs).
        "\t\t\tdisable_tlsalpn_challenge",
        // Quoted, so that an empty value is one empty argument (no contact) rather than none (a syntax error).
        `\t\t\temail "${env(PROXY_ENV.acmeEmail)}"`,
        "\t\t}",
        "\t}",
      ]
    : [`\ttls ${CADDY_TLS_DIR}/tls.crt ${CADDY_TLS_DIR}/tls.key`];
  // Each proxying block: its own checks, then Keycloak.
  const proxying = (matcher: string, checks: string[]) => [
    `\thandle ${matcher} {`,
    ...checks.map((line) => `\t\t${line}`),
    `\t\treverse_proxy ${upstream} {`,
    ...DROPPED_HEADERS.map((name) => `\t\t\theader_up -${name}`),
    "\t\t}",
    "\t}",
  ];
  const lines = [
    "# Generated by keycloak-ec2: Caddy in front of Keycloak. Runtime values come from the environment:",
    `# ${PROXY_ENV.address}, ${PROXY_ENV.adminCidrs} and ${PROXY_ENV.acmeEmail}.`,
    "{",
    ...global.map((line) => `\t${line}`),
    "}",
    "",
    `${env(PROXY_ENV.address)} {`,
    ...tls,
    "",
    // On the path as sent (the request URI up to `?`, where Go escapes a raw `\` as %5C): `path` matches it decoded.
    "\t@encoded vars_regexp {http.request.uri} ^[^?]*%(?i:2f|5c)",
    `\t@admin path ${ADMIN_PATHS.join(" ")}`,
    ...proxying("@admin", [
      // Unquoted: several CIDRs become several arguments; none leaves `remote_ip` empty, which matches no one.
      `@outsider not remote_ip ${env(PROXY_ENV.adminCidrs)}`,
      "respond @outsider 403",
    ]),
    "\t@public {",
    `\t\tpath ${PUBLIC_PATHS.join(" ")}`,
    `\t\tnot path ${ADMIN_PATHS.join(" ")}`,
    "\t}",
    // Encoded separators, refused where they could lead outside the path Caddy matched (Keycloak routes the raw
    // path). The admin block needs no such check: whoever reaches it may administer, and the admin console encodes
    // `/` in role and flow names.
    ...proxying("@public", ["respond @encoded 400"]),
    "\thandle / {",
    // `*` first: a lone `/admin/` would be read as redir's path matcher, not as its target.
    "\t\tredir * /admin/ 302",
    "\t}",
    "\thandle {",
    "\t\trespond 404",
    "\t}",
    "}",
    ...(fallback
      ? [
          "",
          // Requests still route by Host to the site above; this site only makes the fallback certificate exist.
          `https://${FALLBACK_NAME} {`,
          "\ttls internal",
          "\trespond 404",
          "}",
        ]
      : []),
    "",
  ];
  return lines.join("\n");
}

/**
 * The systemd unit that runs Caddy in Docker: host networking (Keycloak is on the host's 127.0.0.1, and `remote_ip`
 * must see the real client address), the Caddyfile read-only, Caddy's storage on the data volume, the runtime values
 * from the boot's env file. Restarts on failure, starts after Docker, survives reboots. Not tied to keycloak.service:
 * Caddy answers 502 while Keycloak starts, and keeps its certificate renewed meanwhile.
 */
export function proxyUnit(): string {
  const run = [
    // --pull=never: the boot pulls the image before the unit starts; a missing one is an error, not a download.
    "/usr/bin/docker run --rm --pull=never --name caddy --network host",
    `--env-file ${PROXY_PATHS.envFile}`,
    `--volume ${PROXY_PATHS.caddyfile}:/etc/caddy/Caddyfile:ro`,
    // The boot's certificate (files mode): root:0 0440, which Caddy, root in its container, reads.
    `--volume ${PROXY_PATHS.tlsDir}:${CADDY_TLS_DIR}:ro`,
    // XDG_DATA_HOME=/data in the image: the ACME account, certificates and internal CA under /data/caddy.
    `--volume ${PROXY_PATHS.dataDir}:/data`,
    CADDY_IMAGE,
    "caddy run --config /etc/caddy/Caddyfile --adapter caddyfile",
  ];
  return [
    "[Unit]",
    "Description=Caddy in Docker, the HTTPS reverse proxy in front of Keycloak, managed by keycloak-ec2",
    "Documentation=https://caddyserver.com/docs/ https://www.keycloak.org/server/reverseproxy",
    "After=docker.service network-online.target",
    "Requires=docker.service",
    "Wants=network-online.target",
    "",
    "[Service]",
    "ExecStartPre=-/usr/bin/docker rm --force caddy",
    `ExecStart=${run.join(" \\\n  ")}`,
    "ExecStop=/usr/bin/docker stop --time 10 caddy",
    "Restart=on-failure",
    "RestartSec=5s",
    "TimeoutStopSec=30s",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
