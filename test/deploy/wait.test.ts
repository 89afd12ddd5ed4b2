import { validateConfig } from "../../src/config/validate";
import {
  describeCertificate,
  discoveryUrl,
  judgeAnswer,
  probe,
  progressPrinter,
  usesSelfSignedCertificate,
  waitForKeycloak,
  waitTimeoutSeconds,
  waitUntilReady,
} from "../../src/deploy/wait";
import { UserError } from "../../src/errors";
import { SLOW_TEST_MS } from "../cli/run";
import { discovery, Handler, ready, status, useFakeKeycloak } from "./fake-keycloak";

// The tests that wait on fake Keycloak servers have SLOW_TEST_MS each.
const { serve, closeServers } = useFakeKeycloak();

const dev = validateConfig({ profile: "dev" }).config;
const ownCertificate = validateConfig({
  keycloak: { tlsCertificate: { certificateParameter: "/sso/tls/cert", privateKeyParameter: "/sso/tls/key" } },
}).config;

/** Runs the wait as deploy and `npm run wait` do, collecting what a log would show. */
async function waitAndLog(
  config: typeof dev,
  url: string,
  timeoutSeconds: number,
): Promise<{ lines: string[]; error?: UserError }> {
  let text = "";
  try {
    await waitForKeycloak(config, url, { timeoutSeconds, intervalMs: 150, write: (t) => (text += t) });
    return { lines: text.trimEnd().split("\n") };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { lines: text.trimEnd().split("\n"), error };
  }
}

describe("waiting for Keycloak", () => {
  it(
    "(a) waits through HTTP 503 until the discovery document is served, one log line per state",
    async () => {
      let readyAt = 0;
      const url = await serve((base, response, path) => {
        readyAt ||= Date.now() + 1500;
        (Date.now() < readyAt ? status(503) : ready)(base, response, path);
      });
      const { lines, error } = await waitAndLog(dev, url, 10);
      expect(error).toBeUndefined();
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^waiting for Keycloak at ${url}: \\d+ s, HTTP 503$`)),
        expect.stringMatching(new RegExp(`^waiting for Keycloak at ${url}: \\d+ s, ready$`)),
        // What a person checks of the certificate: the fake's self-signed one names itself as issuer.
        expect.stringMatching(/^certificate: issued by localhost, valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/),
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    "(b) gives up after the timeout with a clear message and exit code 1",
    async () => {
      const url = await serve(status(503));
      const { lines, error } = await waitAndLog(dev, url, 3);
      expect(lines).toEqual([expect.stringMatching(/: \d+ s, HTTP 503$/)]);
      expect(error?.exitCode).toBe(1);
      expect(error?.problems).toEqual([
        `wait error: ${url}: Keycloak is not ready within 3 s, last state: HTTP 503 (a first boot takes several minutes: run npm run wait -- --timeout 1200; ` +
          "if it stays so, read the boot's report (status/boot.json in the backup_bucket output's bucket) or journalctl -u keycloak -u caddy on the instance over Session Manager)",
      ]);
    },
    SLOW_TEST_MS,
  );

  it.each<[string, Handler, string]>([
    ["a server error", status(500), "HTTP 500"],
    [
      "HTML instead of JSON",
      (_, r) => {
        r.writeHead(200, { "content-type": "text/html" });
        r.end("<html>Welcome to nginx</html>");
      },
      "not JSON (text/html)",
    ],
    [
      "the wrong realm's issuer",
      (base, r) => discovery(`${base}/realms/master`)(base, r, "/"),
      "unexpected issuer https://127.0.0.1:PORT/realms/master",
    ],
    ["JSON without an issuer", discovery(undefined), "JSON without an issuer"],
  ])(
    "(c) reports %s as such, not ready",
    async (_, handler, state) => {
      const url = await serve(handler);
      expect(await probe(url, { realm: "app", acceptSelfSigned: true, timeoutMs: 2000 })).toEqual({
        ready: false,
        state: state.replace("PORT", new URL(url).port),
        certificate: expect.stringMatching(/^issued by localhost, valid until /),
      });
    },
    SLOW_TEST_MS,
  );

  it(
    "(d) refuses the self-signed certificate when the profile brings its own, and never becomes ready",
    async () => {
      const url = await serve(ready);
      expect(usesSelfSignedCertificate(ownCertificate)).toBe(false);
      expect(await probe(url, { realm: "app", acceptSelfSigned: true, timeoutMs: 2000 })).toEqual({
        ready: true,
        state: "ready",
        certificate: expect.stringMatching(/^issued by localhost, valid until /),
      });
      expect(await probe(url, { realm: "app", acceptSelfSigned: false, timeoutMs: 2000 })).toEqual({
        ready: false,
        state: "TLS error (DEPTH_ZERO_SELF_SIGNED_CERT)",
      });
      // 3 s, not 1: on a loaded machine a 1 s budget can end inside the TLS handshake ("no answer within 1 s").
      const { error } = await waitAndLog(ownCertificate, url, 3);
      expect(error?.problems[0]).toMatch(/not ready within 3 s, last state: TLS error \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      expect(error?.problems[0]).not.toMatch(/the CA has not issued/);
      // The acme mode names the likely cause: the CA has not issued yet, and the proxy serves its fallback.
      const acme = await waitAndLog(validateConfig({}).config, url, 3);
      expect(acme.error?.problems[0]).toMatch(
        /TLS error .*the CA has not issued the certificate yet \(journalctl -u caddy says why\)\)$/,
      );
    },
    SLOW_TEST_MS,
  );

  it(
    "(e) reports a closed port as connection refused",
    async () => {
      const url = await serve(ready);
      await closeServers();
      expect(await probe(url, { realm: "app", acceptSelfSigned: true, timeoutMs: 2000 })).toEqual({
        ready: false,
        state: "connection refused",
      });
    },
    SLOW_TEST_MS,
  );

  it(
    "limits each request's time: a server that never answers",
    async () => {
      const url = await serve(() => undefined);
      expect(await probe(url, { realm: "app", acceptSelfSigned: true, timeoutMs: 300 })).toEqual({
        ready: false,
        state: "no answer within 1 s",
      });
    },
    SLOW_TEST_MS,
  );

  it(
    "gives a round near the deadline at least 2 s for the server's answer, not the few ms left",
    async () => {
      // A server that never answers shows each request's own limit: with 1 s left, the request still gets 2 s.
      const url = await serve(() => undefined);
      const result = await waitUntilReady({
        keycloakUrl: url,
        realm: "app",
        acceptSelfSigned: true,
        timeoutMs: 1000,
        intervalMs: 100,
      });
      expect(result.last.state).toBe("no answer within 2 s");
      expect(result.ready).toBe(false);
    },
    SLOW_TEST_MS,
  );

  it(
    "gives up early rather than sleep past the deadline",
    async () => {
      const url = await serve(status(503));
      const probes: string[] = [];
      const result = await waitUntilReady({
        keycloakUrl: url,
        realm: "app",
        acceptSelfSigned: true,
        timeoutMs: 1000,
        intervalMs: 5000,
        onProbe: (_, p) => probes.push(p.state),
      });
      expect(result).toEqual({
        ready: false,
        elapsedMs: expect.any(Number),
        last: { ready: false, state: "HTTP 503", certificate: expect.any(String) },
      });
      expect(probes).toEqual(["HTTP 503"]);
    },
    SLOW_TEST_MS,
  );
});

describe("the answer and the certificate", () => {
  it("accepts an issuer under another host name, saying so", () => {
    expect(
      judgeAnswer(
        200,
        "application/json",
        '{ "issuer": "https://sso.example.com/realms/app" }',
        "https://203.0.113.7/",
        "app",
      ),
    ).toEqual({
      ready: true,
      state: "ready, but the issuer is https://sso.example.com/realms/app, not https://203.0.113.7/realms/app",
    });
    // The application realm: the proxy answers the master realm to adminCidrs only.
    expect(discoveryUrl("https://h/", "app")).toBe("https://h/realms/app/.well-known/openid-configuration");
  });

  it("describes a certificate by its issuer and end of validity", () => {
    expect(
      describeCertificate({ issuer: { O: "Let's Encrypt", CN: "E7" }, valid_to: "Nov 29 12:00:00 2026 GMT" }),
    ).toBe("issued by Let's Encrypt E7, valid until 2026-11-29 12:00 UTC");
    expect(describeCertificate({})).toBe("issued by an unnamed issuer, valid until ?");
  });

  it("accepts the self-signed certificate only where the instance makes one", () => {
    expect(usesSelfSignedCertificate(dev)).toBe(true);
    // Production's default is a certificate from Let's Encrypt, verified as any client would.
    expect(usesSelfSignedCertificate(validateConfig({}).config)).toBe(false);
    expect(usesSelfSignedCertificate(validateConfig({ keycloak: { tls: { mode: "self-signed" } } }).config)).toBe(true);
    expect(usesSelfSignedCertificate(ownCertificate)).toBe(false);
    expect(
      usesSelfSignedCertificate(
        validateConfig({
          profile: "dev",
          keycloak: { tlsCertificate: { certificateParameter: "/c", privateKeyParameter: "/k" } },
        }).config,
      ),
    ).toBe(false);
    expect(usesSelfSignedCertificate(validateConfig({ profile: "article" }).config)).toBe(false);
  });
});

describe("progress", () => {
  const done = { ready: true, state: "ready" };
  const refused = { ready: false, state: "connection refused" };

  it("rewrites one line on a terminal, cut to its width", () => {
    let text = "";
    const progress = progressPrinter((t) => (text += t), 52, "https://h:8443");
    progress.onProbe(1000, refused);
    progress.onProbe(6000, done);
    progress.end();
    expect(text).toBe(
      "\r\x1b[2Kwaiting for Keycloak at https://h:8443: 1 s, connec\r\x1b[2Kwaiting for Keycloak at https://h:8443: 6 s, ready\n",
    );
  });

  it("in a log, prints a line per change of state and one every 30 s", () => {
    const lines: string[] = [];
    const progress = progressPrinter((t) => lines.push(t), undefined, "https://h:8443");
    for (const seconds of [0, 5, 10, 29, 31, 35, 60, 61]) progress.onProbe(seconds * 1000, refused);
    progress.onProbe(65_000, done);
    progress.end();
    expect(lines.map((l) => l.replace(/^waiting for Keycloak at https:\/\/h:8443: /, ""))).toEqual([
      "0 s, connection refused\n",
      "31 s, connection refused\n",
      "61 s, connection refused\n",
      "65 s, ready\n",
    ]);
  });
});

describe("the timeout", () => {
  it("comes from --timeout, else KEYCLOAK_EC2_WAIT_TIMEOUT, else 600 s (a cluster's refresh: 1800 s)", () => {
    expect(waitTimeoutSeconds(undefined, {}, "production")).toBe(600);
    expect(waitTimeoutSeconds(undefined, {}, "cluster")).toBe(1800);
    expect(waitTimeoutSeconds(undefined, { KEYCLOAK_EC2_WAIT_TIMEOUT: "900" }, "cluster")).toBe(900);
    expect(waitTimeoutSeconds("30", { KEYCLOAK_EC2_WAIT_TIMEOUT: "900" }, "production")).toBe(30);
    expect(() => waitTimeoutSeconds("0", {}, "production")).toThrow(
      'flag error: --timeout: "0" is no time to wait: give 1 second or more (write e.g. --timeout 900)',
    );
    expect(() => waitTimeoutSeconds(undefined, { KEYCLOAK_EC2_WAIT_TIMEOUT: "10m" }, "production")).toThrow(
      'config error: KEYCLOAK_EC2_WAIT_TIMEOUT: "10m" is not a whole number of seconds',
    );
  });
});
