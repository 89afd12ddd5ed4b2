import { selfSignedCertificate } from "../certificates";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { SLOW_TEST_MS } from "../cli/run";

/** How a fake Keycloak answers: `base` is its own base URL, as keycloak_url would be; `path` the request's. */
export type Handler = (base: string, response: http.ServerResponse, path: string) => void;

export const discovery =
  (issuer: unknown): Handler =>
  (_, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/protocol/openid-connect/auth` }));
  };
/** The discovery document of the realm asked for: Keycloak is up. */
export const ready: Handler = (base, response, path) =>
  discovery(`${base}/realms/${/^\/realms\/([^/]+)\//.exec(path)?.[1]}`)(base, response, path);
export const status =
  (code: number): Handler =>
  (_, response) => {
    response.writeHead(code, { "content-type": "text/plain" });
    response.end("not yet");
  };

/**
 * Real HTTPS servers on 127.0.0.1 with a self-signed certificate made by openssl, as the instance makes its own.
 * Call in a test file's top level: the certificate is made once (openssl, spawned: SLOW_TEST_MS), the servers are
 * closed after each test.
 */
export function useFakeKeycloak() {
  let dir = "";
  let tls: { key: string; cert: string };
  const servers: http.Server[] = [];
  const closeServers = () => Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-keycloak-"));
    tls = selfSignedCertificate(path.join(dir, "localhost"), "localhost", "IP:127.0.0.1,DNS:localhost");
  }, SLOW_TEST_MS);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(closeServers, SLOW_TEST_MS);

  return {
    /** An HTTPS server answering every request with `handler`; resolves to its base URL. */
    async serve(handler: Handler): Promise<string> {
      let base = "";
      const server = https.createServer(tls, (request, response) => handler(base, response, request.url ?? "/"));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return base;
    },
    /** Closes every server now (its port then refuses connections). */
    closeServers,
  };
}
