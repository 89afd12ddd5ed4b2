import { validateConfig } from "../../src/config/validate";
import { ServerConfig } from "../../src/config/schema";
import { LETS_ENCRYPT } from "../../src/defaults";
import { problemsOf } from "../problems";

// The public address's configuration: how the certificate is obtained (keycloak.tls), who may administer
// (adminCidrs), and the hostname's record (dnsZone).

const server = (raw: Record<string, unknown>) => validateConfig(raw).config as ServerConfig;
const warningsOf = (raw: Record<string, unknown>) => validateConfig(raw).warnings;
const CERTIFICATE = { certificateParameter: "/sso/tls/cert", privateKeyParameter: "/sso/tls/key" };

describe("keycloak.tls", () => {
  it("is a certificate from Let's Encrypt in production, self-signed in dev, yours when you give one", () => {
    expect(server({}).keycloak.tls).toEqual({ mode: "acme", acmeDirectory: LETS_ENCRYPT.production });
    expect(server({ profile: "dev" }).keycloak.tls.mode).toBe("self-signed");
    expect(server({ keycloak: { tlsCertificate: CERTIFICATE } }).keycloak.tls.mode).toBe("supplied");
    expect(server({ profile: "dev", keycloak: { tls: { mode: "acme" } } }).keycloak.tls.mode).toBe("acme");
  });

  it("takes the ACME settings: contact, directory (e.g. staging) and profile", () => {
    const tls = server({
      keycloak: {
        hostname: "sso.example.com",
        tls: { acmeEmail: "ops@example.com", acmeDirectory: LETS_ENCRYPT.staging, acmeProfile: "tlsserver" },
      },
    }).keycloak.tls;
    expect(tls).toEqual({
      mode: "acme",
      acmeEmail: "ops@example.com",
      acmeDirectory: LETS_ENCRYPT.staging,
      acmeProfile: "tlsserver",
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "supplied without a certificate",
      { keycloak: { tls: { mode: "supplied" } } },
      'config error: keycloak.tls.mode: is "supplied" but keycloak.tlsCertificate is not set (give keycloak.tlsCertificate\'s two SSM parameters, or choose acme or self-signed)',
    ],
    [
      "a certificate with another mode",
      { keycloak: { tls: { mode: "acme" }, tlsCertificate: CERTIFICATE } },
      'config error: keycloak.tlsCertificate: is given but keycloak.tls.mode is "acme" (set keycloak.tls.mode to "supplied" to serve your certificate, or remove keycloak.tlsCertificate)',
    ],
    [
      "an unknown mode",
      { keycloak: { tls: { mode: "letsencrypt" } } },
      'config error: keycloak.tls.mode: "letsencrypt" is not one of acme, self-signed, supplied (use one of acme, self-signed, supplied)',
    ],
    [
      "an IP address certificate from Let's Encrypt under another profile",
      { keycloak: { tls: { acmeProfile: "classic" } } },
      'config error: keycloak.tls.acmeProfile: is "classic", but without keycloak.hostname the certificate is for the Elastic IP, which Let\'s Encrypt issues only under "shortlived" (remove acmeProfile, or set keycloak.hostname)',
    ],
    [
      "an email that is not one",
      { keycloak: { tls: { acmeEmail: "ops at example.com" } } },
      'config error: keycloak.tls.acmeEmail: "ops at example.com" is not an email address (write e.g. "ops@example.com")',
    ],
    [
      "a directory over plain HTTP",
      { keycloak: { tls: { acmeDirectory: "http://ca.example/directory" } } },
      `config error: keycloak.tls.acmeDirectory: "http://ca.example/directory" is not an https:// URL (write a directory URL such as "${LETS_ENCRYPT.staging}")`,
    ],
  ])("refuses %s, naming the field and the fix", (_, raw, line) => {
    expect(problemsOf(() => validateConfig(raw))).toEqual([line]);
  });

  it("accepts another profile for an IP address at a CA other than Let's Encrypt", () => {
    expect(
      server({ keycloak: { tls: { acmeDirectory: "https://ca.internal/acme/directory", acmeProfile: "classic" } } })
        .keycloak.tls.acmeProfile,
    ).toBe("classic");
  });

  it("warns that ACME settings do nothing outside the acme mode", () => {
    expect(warningsOf({ profile: "dev", keycloak: { tls: { acmeEmail: "ops@example.com" } } })).toEqual([
      "config warning: keycloak.tls.acmeEmail: is ignored in the self-signed mode: only the acme mode asks a CA for a certificate",
    ]);
  });

  it("warns that a certificate of your own is served for the Elastic IP when no hostname is set", () => {
    expect(warningsOf({ profile: "dev", keycloak: { tlsCertificate: CERTIFICATE } })).toEqual([
      expect.stringMatching(
        /^config warning: keycloak.tlsCertificate: is served for the Elastic IP, as keycloak.hostname is not set/,
      ),
    ]);
    expect(
      warningsOf({ profile: "dev", keycloak: { hostname: "sso.example.com", tlsCertificate: CERTIFICATE } }),
    ).toEqual([]);
  });

  it("warns that without an Elastic IP the certificate follows an address that changes", () => {
    expect(warningsOf({ profile: "dev", elasticIp: false, keycloak: { tls: { mode: "acme" } } })).toEqual([
      expect.stringMatching(/^config warning: elasticIp: is false, so the certificate is for an address that changes/),
    ]);
    expect(
      warningsOf({
        profile: "dev",
        elasticIp: false,
        keycloak: { hostname: "sso.example.com", tls: { mode: "acme" } },
      }),
    ).toEqual([]);
  });
});

describe("adminCidrs", () => {
  it("is left to the stack when absent (it follows httpsCidrs there), kept as given otherwise, [] included", () => {
    expect(server({}).adminCidrs).toBeUndefined();
    expect(server({ adminCidrs: ["198.51.100.0/24"] }).adminCidrs).toEqual(["198.51.100.0/24"]);
    expect(server({ adminCidrs: [] }).adminCidrs).toEqual([]);
  });

  it("refuses what is not a network CIDR, with the network to write", () => {
    expect(problemsOf(() => validateConfig({ adminCidrs: ["198.51.100.7/24"] }))).toEqual([
      'config error: adminCidrs[0]: "198.51.100.7/24" has host bits set (write the network address "198.51.100.0/24")',
    ]);
  });

  it("warns in production when the whole internet may administer, whether set so or following httpsCidrs", () => {
    const open =
      /^config warning: adminCidrs: (is not set, so it follows httpsCidrs, which lets|lets) the whole internet reach the admin console/;
    expect(warningsOf({ keycloak: { realm: { spa: false, bff: false } } })).toEqual([expect.stringMatching(open)]);
    expect(warningsOf({ adminCidrs: ["::/0"], keycloak: { realm: { spa: false, bff: false } } })).toEqual([
      expect.stringMatching(/^config warning: adminCidrs: lets the whole internet/),
    ]);
    expect(warningsOf({ adminCidrs: [], keycloak: { realm: { spa: false, bff: false } } })).toEqual([]);
    expect(warningsOf({ httpsCidrs: ["203.0.113.0/24"], keycloak: { realm: { spa: false, bff: false } } })).toEqual([]);
    expect(warningsOf({ profile: "dev" }).filter((w) => w.includes("adminCidrs"))).toEqual([]);
  });
});

describe("dnsZone", () => {
  it("takes a zone name (normalized) or a zone id", () => {
    const hostname = { keycloak: { hostname: "sso.example.com" } };
    expect(server({ ...hostname, dnsZone: "Example.COM." }).dnsZone).toBe("example.com");
    expect(server({ ...hostname, dnsZone: "Z0123456789ABCDEFGHIJ" }).dnsZone).toBe("Z0123456789ABCDEFGHIJ");
    expect(server({ keycloak: { hostname: "example.com" }, dnsZone: "example.com" }).dnsZone).toBe("example.com");
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "without a hostname",
      { dnsZone: "example.com" },
      'config error: dnsZone: is given without keycloak.hostname: there is no name to put in the zone (set keycloak.hostname to a name in the zone, e.g. "sso.example.com")',
    ],
    [
      "a zone that does not hold the hostname",
      { dnsZone: "example.org", keycloak: { hostname: "sso.example.com" } },
      'config error: dnsZone: "example.org" does not hold keycloak.hostname "sso.example.com" (give the zone that holds sso.example.com, or a hostname that ends in .example.org)',
    ],
    [
      "a zone that merely ends like the hostname",
      { dnsZone: "ample.com", keycloak: { hostname: "sso.example.com" } },
      'config error: dnsZone: "ample.com" does not hold keycloak.hostname "sso.example.com" (give the zone that holds sso.example.com, or a hostname that ends in .ample.com)',
    ],
    [
      "without the Elastic IP",
      { dnsZone: "example.com", elasticIp: false, keycloak: { hostname: "sso.example.com" } },
      "config error: dnsZone: needs elasticIp: the record would point at an address that changes at every stop and start (set elasticIp to true, or remove dnsZone)",
    ],
    [
      "neither a name nor an id",
      { dnsZone: "example com", keycloak: { hostname: "sso.example.com" } },
      'config error: dnsZone: "example com" is neither a hosted zone name nor a hosted zone id (write the zone\'s name, e.g. "example.com", or its id, e.g. "Z0123456789ABCDEFGHIJ")',
    ],
  ])("refuses %s", (_, raw, line) => {
    expect(problemsOf(() => validateConfig({ profile: "dev", ...raw }))).toEqual([line]);
  });
});
