import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  acmeIssuerKey,
  CADDY_IMAGE,
  caddyfile,
  type CaddyfileOptions,
  FALLBACK_NAME,
  LETS_ENCRYPT,
  PROXY_ENV,
  PROXY_PATHS,
  PROXY_PORTS,
  proxyUnit,
} from "../../src/boot/proxy";
import { selfSignedCertificate } from "../certificates";
import { Caddy, freePort, get, Pebble, requireTools, served, waitFor } from "./acme";
import { execStart } from "./harness";

/**
 * The proxy's Caddyfile run by a real Caddy against a real ACME CA on loopback: Debian's caddy 2.6.2 and pebble 2.4.0
 * (older than the image's 2.11.4). What 2.6.2 rejects is left out of the text it runs, and is only read from Caddy's
 * source: the ACME `profile` (pebble 2.4 knows none either) and the global `fallback_sni` (Caddy >= 2.7).
 * Needs `npm run setup`.
 */

/** The `docker run` command line of a unit, joined back into one line. */

/** The Caddyfile minus the lines Debian's caddy 2.6.2 does not know (see above). */
const forCaddy26 = (text: string) => text.replace(/^\t+(profile \S+|fallback_sni \S+)\n/gm, "");

/** `caddy <command> --config <file>` with `env` as the only environment: exit code and output. */
function caddyCommand(command: "adapt" | "validate", text: string, env: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-caddy-"));
  try {
    fs.writeFileSync(path.join(dir, "Caddyfile"), text);
    // Files mode: the boot's certificate where the container has it, here in the scratch directory.
    selfSignedCertificate(path.join(dir, "tls"), "sso.example.com", "DNS:sso.example.com,IP:203.0.113.7");
    const result = spawnSync("caddy", [command, "--config", "Caddyfile", "--adapter", "caddyfile"], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, ...env },
    });
    if (result.error) throw new Error("caddy not found: run npm run setup (it installs Debian's caddy)");
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const IP_ENV = {
  [PROXY_ENV.address]: "203.0.113.7",
  [PROXY_ENV.adminCidrs]: "198.51.100.0/24 203.0.113.9",
  [PROXY_ENV.acmeEmail]: "",
};
const HOST_ENV = { ...IP_ENV, [PROXY_ENV.address]: "sso.example.com", [PROXY_ENV.acmeEmail]: "ops@example.com" };

type Issuers = { subjects?: string[]; issuers?: { module: string; email?: string; challenges?: object }[] }[];

describe("Caddyfile", () => {
  it("asks Let's Encrypt for a shortlived IP certificate, serves clients without SNI with it, and has no fallback", () => {
    const text = caddyfile({ addressKind: "ip", certificate: "acme" });
    expect(text).toContain(`\t\t\tdir ${LETS_ENCRYPT.production}\n\t\t\tprofile shortlived\n`);
    expect(text).toMatch(/^\tdefault_sni \{\$KEYCLOAK_PROXY_ADDRESS\}$/m);
    expect(text).not.toMatch(/fallback_sni|internal|invalid/);
  });

  it("asks for the CA's default profile for a hostname, with the fallback certificate for a reserved name only", () => {
    const text = caddyfile({ addressKind: "hostname", certificate: "acme" });
    expect(text).not.toMatch(/profile|default_sni/);
    expect(text).toMatch(/^\tfallback_sni keycloak-ec2\.invalid$/m);
    expect(text).toContain(`\nhttps://${FALLBACK_NAME} {\n\ttls internal\n`);
    // One issuer for the real address: no internal one to fall back to at renewal.
    expect(text.match(/issuer/g)).toHaveLength(1);
    expect(caddyfile({ addressKind: "hostname", certificate: "acme", fallbackSni: false })).not.toMatch(/invalid/);
  });

  it.each(["ip", "hostname"] as const)("serves the boot's files for %s, with no ACME at all", (addressKind) => {
    const text = caddyfile({ addressKind, certificate: "files" });
    expect(text).toMatch(/^\ttls \/etc\/caddy\/tls\/tls\.crt \/etc\/caddy\/tls\/tls\.key$/m);
    expect(text).toMatch(/^\tauto_https disable_certs$/m);
    expect(text).not.toMatch(/issuer|acme|profile|fallback_sni|email/);
  });

  it("names the ACME CA's storage directory as certmagic does (its issuer key, made storage-safe)", () => {
    expect(acmeIssuerKey(LETS_ENCRYPT.production)).toBe("acme-v02.api.letsencrypt.org-directory");
    expect(acmeIssuerKey(LETS_ENCRYPT.staging)).toBe("acme-staging-v02.api.letsencrypt.org-directory");
    expect(acmeIssuerKey("https://127.0.0.1:14000/dir")).toBe("127.0.0.1-14000-dir");
    expect(acmeIssuerKey("https://CA.Example:443/acme/v2/directory/?x=1")).toBe("ca.example-443-acme-v2-directory");
    expect(acmeIssuerKey("https://user@[2001:db8::1]:8443/a%20b+c")).toBe("2001-db8--1-8443-a_b_plus_c");
    expect(acmeIssuerKey("https://ca.example")).toBe("ca.example");
  });

  it("refuses options Caddy or Let's Encrypt would refuse, naming the option", () => {
    expect(() => caddyfile({ addressKind: "ip", certificate: "acme", acmeProfile: "" })).toThrow(
      /acmeProfile must be "shortlived"/,
    );
    expect(() => caddyfile({ addressKind: "ip", certificate: "acme", acmeProfile: "classic" })).toThrow(/acmeProfile/);
    expect(() => caddyfile({ addressKind: "hostname", certificate: "acme", acmeDirectory: "http://ca" })).toThrow(
      /acmeDirectory/,
    );
    expect(() => caddyfile({ addressKind: "hostname", certificate: "acme", renewInterval: "1 hour" })).toThrow(
      /renewInterval/,
    );
    expect(() => caddyfile({ addressKind: "hostname", certificate: "acme", httpsPort: 70000 })).toThrow(/httpsPort/);
    expect(() => caddyfile({ addressKind: "ip", certificate: "acme", fallbackSni: true })).toThrow(/fallbackSni/);
    expect(() => caddyfile({ addressKind: "hostname", certificate: "files", fallbackSni: true })).toThrow(
      /fallbackSni/,
    );
  });

  it.each([
    ["an IP address, acme", { addressKind: "ip", certificate: "acme" }, IP_ENV],
    ["a hostname, acme", { addressKind: "hostname", certificate: "acme" }, HOST_ENV],
    ["an IP address, files", { addressKind: "ip", certificate: "files" }, IP_ENV],
    ["a hostname, files", { addressKind: "hostname", certificate: "files" }, HOST_ENV],
  ] as const)(
    "is accepted by caddy adapt and validate for %s, formatted as caddy fmt would",
    (_, options: CaddyfileOptions, env) => {
      // GIVEN the Caddyfile (without what caddy 2.6 does not know) and the env file's values; the files where the
      // container has them
      const text = forCaddy26(caddyfile(options)).replaceAll("/etc/caddy/tls/tls.", "tls.");

      // WHEN Caddy adapts and validates it
      const adapted = caddyCommand("adapt", text, env);
      const validated = caddyCommand("validate", text, env);

      // THEN it is valid, without a warning (an unformatted Caddyfile gets one), and means what it should
      expect(validated.stdout).toBe("Valid configuration\n");
      expect(validated.code).toBe(0);
      expect(adapted.code).toBe(0);
      expect(adapted.stderr).toBe("");
      const config = JSON.parse(adapted.stdout);
      const address = env[PROXY_ENV.address];
      const policies: Issuers = config.apps.tls.automation?.policies ?? [];
      const issuersOf = (name: string) =>
        policies.find((p) => p.subjects?.includes(name))?.issuers?.map((issuer) => issuer.module);
      if (options.certificate === "acme") {
        // The address: the ACME CA alone; the fallback name (hostname): the internal CA alone.
        expect(issuersOf(address)).toEqual(["acme"]);
        expect(issuersOf(FALLBACK_NAME)).toEqual(options.addressKind === "hostname" ? ["internal"] : undefined);
        const acme = policies.find((p) => p.subjects?.includes(address))!.issuers![0];
        expect(acme.email).toBe(env[PROXY_ENV.acmeEmail] || undefined);
        // HTTP-01 only: port 443 may be closed to the CA's validators.
        expect(acme.challenges).toEqual({ "tls-alpn": { disabled: true } });
      } else {
        // No automation for the address, the files loaded, and the HTTP redirects kept.
        expect(issuersOf(address)).toBeUndefined();
        expect(config.apps.tls.certificates.load_files).toEqual([
          { certificate: "tls.crt", key: "tls.key", tags: [expect.any(String)] },
        ]);
        expect(config.apps.http.servers.srv0.automatic_https).toEqual({ disable_certificates: true });
      }
      expect(config.admin).toEqual({ disabled: true });
      // No HTTP/3 (UDP 443) on any server.
      const servers: { protocols?: string[] }[] = Object.values(config.apps.http.servers);
      expect(servers.map((server) => server.protocols)).toEqual(servers.map(() => ["h1", "h2"]));
      expect(config.apps.pki?.certificate_authorities?.local?.install_trust ?? false).toBe(false);
      // The placeholder of two CIDRs became two ranges.
      expect(adapted.stdout).toContain('{"not":[{"remote_ip":{"ranges":["198.51.100.0/24","203.0.113.9"]}}]}');
      const sni = config.apps.http.servers.srv0.tls_connection_policies ?? [];
      expect([...new Set(sni.map((p: { default_sni?: string }) => p.default_sni).filter(Boolean))]).toEqual(
        options.addressKind === "ip" ? [address] : [],
      );
    },
  );
});

describe("proxy systemd unit", () => {
  const unit = proxyUnit();

  it("runs the pinned Caddy image on the host's network, with the Caddyfile, the env file and the storage", () => {
    const run = execStart(unit);
    // The boot pulls the image: the unit never downloads.
    expect(run).toMatch(/^\/usr\/bin\/docker run --rm --pull=never --name caddy --network host /);
    expect(run).toContain(`--env-file ${PROXY_PATHS.envFile} `);
    expect(run).toContain(`--volume ${PROXY_PATHS.caddyfile}:/etc/caddy/Caddyfile:ro `);
    expect(run).toContain("--volume /srv/keycloak-ec2/caddy:/data ");
    expect(run).toContain("--volume /etc/keycloak-ec2/tls:/etc/caddy/tls:ro ");
    expect(PROXY_PORTS).toEqual({ https: 443, http: 80 });
    expect(run).toMatch(/ caddy:2\.11\.4 caddy run --config \/etc\/caddy\/Caddyfile --adapter caddyfile$/);
    expect(CADDY_IMAGE).toBe("caddy:2.11.4");
  });

  it("starts after Docker, restarts on failure and starts at boot", () => {
    expect(unit).toMatch(/^After=docker\.service network-online\.target$/m);
    expect(unit).toMatch(/^Requires=docker\.service$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it("passes systemd's own check", () => {
    // GIVEN the unit, with /bin/true for the docker binary this machine lacks and a stub docker.service
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-unit-"));
    try {
      fs.writeFileSync(path.join(dir, "docker.service"), "[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n");
      fs.writeFileSync(path.join(dir, "caddy.service"), unit.replace(/\/usr\/bin\/docker/g, "/bin/true"));
      // WHEN systemd-analyze verifies it THEN there is no warning at all
      const result = spawnSync("systemd-analyze", ["verify", path.join(dir, "caddy.service")], {
        encoding: "utf8",
        env: { PATH: process.env.PATH!, SYSTEMD_UNIT_PATH: `${dir}:` },
      });
      if (result.error) throw new Error("systemd-analyze not found: run npm run setup");
      expect(result.stderr + result.stdout).toBe("");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A stand-in for Keycloak's HTTP listener: answers with the path and headers it got, and remembers the paths. */
class FakeKeycloak {
  readonly paths: string[] = [];
  private readonly server = http.createServer((req, res) => {
    this.paths.push(req.url ?? "");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url, headers: req.headers }));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One scenario's CA, proxy and ports, all on loopback, all stopped by pid afterwards. */
class Scenario {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-proxy-"));
  pebble!: Pebble;
  caddy!: Caddy;
  httpPort = 0;
  httpsPort = 0;

  async init(): Promise<this> {
    this.httpPort = await freePort();
    this.httpsPort = await freePort();
    this.pebble = await Pebble.create(this.dir, this.httpPort);
    this.caddy = new Caddy(this.dir, this.pebble.apiCert);
    return this;
  }

  /**
   * The Caddyfile for this scenario as Caddy 2.6 runs it: pebble's directory, no profile (pebble 2.4 and caddy 2.6
   * know none), no fallback_sni, the boot's files in this scenario's directory.
   */
  caddyfile(options: Partial<CaddyfileOptions> & Pick<CaddyfileOptions, "addressKind">, upstream: string): string {
    const certificate = options.certificate ?? "acme";
    const text = caddyfile({
      certificate,
      ...(certificate === "acme" ? { acmeDirectory: this.pebble.directory, acmeProfile: "", fallbackSni: false } : {}),
      httpPort: this.httpPort,
      httpsPort: this.httpsPort,
      upstream,
      ...options,
    });
    return text.replaceAll("/etc/caddy/tls/", `${this.dir}/`);
  }

  async stop(): Promise<void> {
    await this.caddy?.stop();
    await this.pebble?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** GET over HTTPS to the scenario's proxy, verified against `ca`, from `localAddress`, with SNI `servername`. */
type HttpsGet = (p: string, localAddress?: string, headers?: Record<string, string>) => ReturnType<typeof get>;

/**
 * Keycloak's reverse-proxy path rules, over real TLS: the same whatever the certificate. `admin` is an address inside
 * the admin CIDRs (127.0.0.2); 127.0.0.1 is outside.
 */
function pathRules(context: () => { s: Scenario; https: HttpsGet; host: string }, keycloak: FakeKeycloak): void {
  it("proxies a realm endpoint to Keycloak with Host kept and X-Forwarded-* set by Caddy alone", async () => {
    const { s, https, host } = context();
    // A client's own X-Forwarded-* are dropped: Keycloak trusts them (--proxy-headers xforwarded).
    const spoofed = { "x-forwarded-for": "192.0.2.66", "x-forwarded-proto": "http", "x-forwarded-host": "evil.test" };
    const response = await https("/realms/app/.well-known/openid-configuration", undefined, spoofed);
    expect(response.status).toBe(200);
    const seen = JSON.parse(response.body);
    expect(seen.path).toBe("/realms/app/.well-known/openid-configuration");
    expect(seen.headers.host).toBe(`${host}:${s.httpsPort}`);
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-forwarded-host"]).toBe(`${host}:${s.httpsPort}`);
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    for (const p of ["/resources/abc/login/keycloak.v2/css/styles.css", "/.well-known/openid-configuration"])
      expect((await https(p)).status).toBe(200);
  });

  it("refuses /admin/ to an address outside the admin CIDRs, also through `..` and in capitals, and serves it inside them", async () => {
    const { https } = context();
    const before = keycloak.paths.length;
    expect((await https("/admin/master/console/")).status).toBe(403);
    expect((await https("/realms/../admin/master/console/")).status).toBe(403);
    expect((await https("/ADMIN/master/console/")).status).toBe(403);
    expect(keycloak.paths.length).toBe(before);

    const inside = await https("/admin/master/console/", "127.0.0.2");
    expect(inside.status).toBe(200);
    expect(JSON.parse(inside.body).headers["x-forwarded-for"]).toBe("127.0.0.2");
  });

  it("never lets an outsider reach Keycloak with an encoded / or \\ in the path, refuses them in public paths with 400, but not in the query", async () => {
    const { https } = context();
    const before = keycloak.paths.length;
    // Caddy matches the decoded, cleaned path but forwards the raw one, which Keycloak could route elsewhere: the
    // review's paths, and others that decode to a /realms/ or an /admin/ path.
    const encoded = [
      "/admin/realms/master/users/..%2F..%2F..%2F..%2F..%2Frealms%2Fx",
      "/admin/master/console/whoami;/..%2F..%2F..%2F..%2F..%2Frealms%2Fx",
      "/realms/app%2f..%2f..%2fadmin/x",
      "/realms/app%5C..%5C..%5Cadmin/x",
      "/realms/app%5c..%5c..%5cadmin/x",
      "/realms/app\\..\\admin/x",
    ];
    for (const p of encoded) expect([p, [400, 403].includes((await https(p)).status)]).toEqual([p, true]);
    expect(keycloak.paths.length).toBe(before);
    // A backslash is no separator to Caddy: the path stays public, and is refused to administrators too.
    for (const p of encoded.slice(3)) expect([p, (await https(p, "127.0.0.2")).status]).toEqual([p, 400]);
    expect(keycloak.paths.length).toBe(before);
    // Under /admin/, an administrator reaches what the admin console encodes (a role named with a /).
    const role = "/admin/realms/app/roles/team%2Fops";
    expect((await https(role)).status).toBe(403);
    const inside = await https(role, "127.0.0.2");
    expect(inside.status).toBe(200);
    expect(JSON.parse(inside.body).path).toBe(role);
    // Encoded slashes in the query (redirect_uri) are the normal case.
    const query = "/realms/app/protocol/openid-connect/auth?redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%5C";
    const login = await https(query);
    expect(login.status).toBe(200);
    expect(JSON.parse(login.body).path).toBe(query);
  });

  it("refuses the master realm outside the admin CIDRs, serves it inside them, and keeps other realms public", async () => {
    const { https } = context();
    const before = keycloak.paths.length;
    for (const p of [
      "/realms/master/protocol/openid-connect/token",
      "/realms/master/.well-known/openid-configuration",
      "/realms/master",
      "/realms/MASTER/account",
      "/realms/app/../master/protocol/openid-connect/auth",
    ])
      expect([p, (await https(p)).status]).toEqual([p, 403]);
    expect(keycloak.paths.length).toBe(before);

    const inside = await https("/realms/master/protocol/openid-connect/token", "127.0.0.2");
    expect(inside.status).toBe(200);
    for (const p of ["/realms/app/protocol/openid-connect/token", "/realms/masterclass/account"])
      expect([p, (await https(p)).status]).toEqual([p, 200]);
  });

  it("drops the forwarding headers a client sends that Caddy does not set itself", async () => {
    const { https } = context();
    const spoofed = {
      "x-forwarded-port": "8443",
      "x-forwarded-prefix": "/x",
      "x-forwarded-ssl": "off",
      "x-forwarded-server": "evil.test",
      forwarded: "for=192.0.2.66;proto=http;host=evil.test",
    };
    const seen = JSON.parse((await https("/realms/app/account", undefined, spoofed)).body);
    for (const name of Object.keys(spoofed)) expect([name, seen.headers[name]]).toEqual([name, undefined]);
  });

  it("advertises no HTTP/3, which the security group does not open (UDP 443)", async () => {
    const { https } = context();
    expect((await https("/realms/app/account")).headers["alt-svc"]).toBeUndefined();
  });

  it("serves neither health nor metrics nor any other path, and redirects / to the admin console", async () => {
    const { https } = context();
    const before = keycloak.paths.length;
    for (const p of ["/health/ready", "/health", "/metrics", "/js/keycloak.js", "/admin", "/robots.txt"])
      expect([p, (await https(p)).status]).toEqual([p, 404]);
    expect(keycloak.paths.length).toBe(before);
    const home = await https("/");
    expect([home.status, home.headers.location]).toEqual([302, "/admin/"]);
  });

  it("redirects plain HTTP to HTTPS", async () => {
    const { s, host } = context();
    const response = await get(`http://127.0.0.1:${s.httpPort}/realms/app/account`, { headers: { host } });
    expect([response.status, response.headers.location]).toEqual([308, `https://${host}/realms/app/account`]);
  });
}

const ADMIN_ENV = { [PROXY_ENV.adminCidrs]: "192.0.2.0/24 127.0.0.2/32", [PROXY_ENV.acmeEmail]: "" };

describe("Caddy with the generated Caddyfile, against pebble on loopback", () => {
  // Real processes on a loaded machine: generous limits; the tests that wait for Caddy's retry set their own.
  jest.setTimeout(30_000);
  const keycloak = new FakeKeycloak();
  let upstream: string;
  let scenario: Scenario | undefined;

  beforeAll(async () => {
    requireTools("caddy", "pebble", "pebble-challtestsrv", "openssl");
    upstream = await keycloak.start();
  });
  afterAll(() => keycloak.stop());
  afterEach(async () => {
    await scenario?.stop();
    scenario = undefined;
  });

  /** Waits until the certificate served verifies against pebble's root (for SNI `servername`, or none). */
  const acmeCertificate = async (s: Scenario, root: string, servername?: string, ms = 15_000) =>
    waitFor(
      "the ACME certificate",
      async () => {
        const cert = await served(s.httpsPort, root, servername);
        return cert.authorized ? cert : undefined;
      },
      ms,
      () => `${s.caddy.log}\n${s.pebble.log}`,
    );

  it("obtains a certificate for a hostname over HTTP-01 from the ACME CA, chaining to its root", async () => {
    // GIVEN pebble, whose DNS resolves every name to 127.0.0.1, and which validates HTTP-01 on Caddy's HTTP port only
    const s = (scenario = await new Scenario().init());
    await s.pebble.start();
    const root = await s.pebble.root();

    // WHEN Caddy starts for sso.example.test
    await s.caddy.start(
      s.caddyfile({ addressKind: "hostname" }, upstream),
      { [PROXY_ENV.address]: "sso.example.test", [PROXY_ENV.adminCidrs]: "", [PROXY_ENV.acmeEmail]: "ops@example.com" },
      s.httpsPort,
    );

    // THEN it serves, for that name, a certificate from pebble, validated over HTTP-01 on its HTTP port
    const cert = await acmeCertificate(s, root, "sso.example.test");
    expect(cert.subjectAltName).toBe("DNS:sso.example.test");
    expect(cert.issuer).toMatch(/^Pebble Intermediate CA/);
    expect(s.pebble.log).toContain(`Attempting to validate w/ HTTP: http://sso.example.test:${s.httpPort}/`);
    expect(s.caddy.log).not.toMatch(/"issuer":"local"|certificate obtained successfully.*internal/);
    // ...and stores it where the boot looks for it (ACME_ISSUER_KEY).
    const stored = `data/caddy/certificates/${acmeIssuerKey(s.pebble.directory)}/sso.example.test/sso.example.test.crt`;
    expect(fs.existsSync(path.join(s.dir, stored))).toBe(true);
  });

  describe("for the IP address, with an ACME certificate", () => {
    let s: Scenario;
    let root: string;
    const https: HttpsGet = (p, localAddress, headers) =>
      get(`https://127.0.0.1:${s.httpsPort}${p}`, { ca: root, localAddress, headers });

    beforeAll(async () => {
      // GIVEN Caddy for 127.0.0.1 with pebble, and 127.0.0.2 (not 127.0.0.1) among two admin CIDRs
      s = await new Scenario().init();
      await s.pebble.start();
      root = await s.pebble.root();
      await s.caddy.start(
        s.caddyfile({ addressKind: "ip" }, upstream),
        { [PROXY_ENV.address]: "127.0.0.1", ...ADMIN_ENV },
        s.httpsPort,
      );
      await acmeCertificate(s, root);
    }, 30_000);
    afterAll(() => s.stop());

    it("obtains an IP certificate (an `ip` identifier) over HTTP-01, served to clients that send no SNI", async () => {
      const cert = await acmeCertificate(s, root);
      expect(cert.subjectAltName).toBe("IP Address:127.0.0.1");
      expect(s.pebble.log).toMatch(/Identifier:acme\.Identifier\{Type:"ip", Value:"127\.0\.0\.1"\}/);
      expect(s.pebble.log).toContain(`Attempting to validate w/ HTTP: http://127.0.0.1:${s.httpPort}/`);
    });

    pathRules(() => ({ s, https, host: "127.0.0.1" }), keycloak);
  });

  describe.each([
    ["the IP address, to clients without SNI", "ip", "127.0.0.1", undefined],
    ["a hostname, to clients with SNI", "hostname", "sso.example.test", "sso.example.test"],
  ] as const)("with the boot's self-signed certificate, for %s", (_, addressKind, host, servername) => {
    let s: Scenario;
    let cert: string;
    const https: HttpsGet = (p, localAddress, headers) =>
      get(`https://127.0.0.1:${s.httpsPort}${p}`, {
        ca: cert,
        servername,
        localAddress,
        headers: { host: `${host}:${s.httpsPort}`, ...headers },
      });

    beforeAll(async () => {
      // GIVEN the boot's certificate (as setup_tls makes it: the address, the public DNS name and IP) and no CA at all
      s = await new Scenario().init();
      cert = selfSignedCertificate(
        path.join(s.dir, "tls"),
        host,
        addressKind === "ip" ? "IP:127.0.0.1,DNS:ec2-127-0-0-1.example.test" : `DNS:${host},IP:127.0.0.1`,
      ).cert;
      await s.caddy.start(
        s.caddyfile({ addressKind, certificate: "files" }, upstream),
        { [PROXY_ENV.address]: host, ...ADMIN_ENV },
        s.httpsPort,
      );
    }, 30_000);
    afterAll(() => s.stop());

    it("serves that certificate, and asks no CA for one", async () => {
      const seen = await served(s.httpsPort, cert, servername);
      expect(seen.authorized).toBe(true);
      expect(seen.issuer).toBe(host);
      expect(s.caddy.log).not.toMatch(/acme|obtain/i);
    });

    pathRules(() => ({ s, https, host }), keycloak);
  });

  it("refuses /admin/ to everyone when no admin CIDR is set", async () => {
    // GIVEN Caddy with an empty admin CIDR list (with the boot's certificate: no CA needed here)
    const s = (scenario = await new Scenario().init());
    const { cert } = selfSignedCertificate(path.join(s.dir, "tls"), "127.0.0.1", "IP:127.0.0.1");
    await s.caddy.start(
      s.caddyfile({ addressKind: "ip", certificate: "files" }, upstream),
      { [PROXY_ENV.address]: "127.0.0.1", [PROXY_ENV.adminCidrs]: "", [PROXY_ENV.acmeEmail]: "" },
      s.httpsPort,
    );

    // WHEN anyone asks for the admin console THEN Caddy refuses
    for (const localAddress of ["127.0.0.1", "127.0.0.2"])
      expect((await get(`https://127.0.0.1:${s.httpsPort}/admin/`, { ca: cert, localAddress })).status).toBe(403);
  });

  it("fails handshakes while the CA is unreachable at start, then serves the ACME certificate once it answers", async () => {
    // GIVEN Caddy started while the CA is down (Caddy 2.6 has no fallback_sni: no certificate at all meanwhile)
    const s = (scenario = await new Scenario().init());
    await s.caddy.start(
      s.caddyfile({ addressKind: "ip" }, upstream),
      { [PROXY_ENV.address]: "127.0.0.1", [PROXY_ENV.adminCidrs]: "", [PROXY_ENV.acmeEmail]: "" },
      s.httpsPort,
    );
    await waitFor(
      "a failed ACME attempt",
      async () => (/could not get certificate from issuer/.test(s.caddy.log) ? true : undefined),
      15_000,
      () => s.caddy.log,
    );
    await expect(served(s.httpsPort)).rejects.toThrow(/alert|disconnected|ECONNRESET/i);
    // ...and never one from Caddy's internal CA
    expect(fs.existsSync(path.join(s.dir, "data/caddy/certificates/local"))).toBe(false);

    // WHEN the CA comes up
    await s.pebble.start();
    const root = await s.pebble.root();

    // THEN Caddy's next attempt (certmagic retries after 1 minute, then backs off) gets the ACME certificate
    const cert = await acmeCertificate(s, root, undefined, 100_000);
    expect(cert.issuer).toMatch(/^Pebble Intermediate CA/);
  }, 150_000);

  it("renews the ACME certificate while the CA answers, and keeps serving it, never an internal one, once it does not", async () => {
    // GIVEN Caddy with ACME certificates valid for 8 s (renewed with a third of that left), checked every 500 ms
    const s = (scenario = await new Scenario().init());
    await s.pebble.start(8);
    const root = await s.pebble.root();
    await s.caddy.start(
      s.caddyfile({ addressKind: "ip", renewInterval: "500ms" }, upstream),
      { [PROXY_ENV.address]: "127.0.0.1", [PROXY_ENV.adminCidrs]: "", [PROXY_ENV.acmeEmail]: "" },
      s.httpsPort,
    );
    const first = await acmeCertificate(s, root);

    // WHEN the certificate is due for renewal while the CA answers THEN a new one is served
    const renewed = await waitFor(
      "the renewed certificate",
      async () => {
        const cert = await served(s.httpsPort, root);
        return cert.authorized && cert.serialNumber !== first.serialNumber ? cert : undefined;
      },
      20_000,
      () => s.caddy.log,
    );
    expect(renewed.issuer).toMatch(/^Pebble Intermediate CA/);

    // WHEN the CA goes down before the next renewal
    await s.pebble.stop();
    const failed = () => (s.caddy.log.match(/could not get certificate from issuer|will retry/g) ?? []).length;
    const attempts = failed();
    await waitFor(
      "a renewal that fails",
      async () => (failed() > attempts ? true : undefined),
      20_000,
      () => s.caddy.log,
    );

    // THEN Caddy still serves the last ACME certificate (expired soon, as it is an 8 s one), never an internal one
    const kept = await served(s.httpsPort, root);
    expect(kept.issuer).toMatch(/^Pebble Intermediate CA/);

    expect(s.caddy.log).not.toMatch(/"issuer":"local"/);
    expect(fs.existsSync(path.join(s.dir, "data/caddy/certificates/local"))).toBe(false);
  }, 90_000);
});
