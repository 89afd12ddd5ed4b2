import * as http from "node:http";
import * as https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import type { TLSSocket } from "node:tls";
import { KeycloakEc2Config } from "../config/schema";
import { configProblem, problemLine, UserError } from "../errors";
import { bootFailure, BootStatusTarget, waitForBootStatus } from "./boot-status";

/**
 * Waiting until a freshly deployed Keycloak answers: Terraform is done minutes before the first boot has installed
 * packages, pulled the image and started Keycloak. Ready means the application realm's OpenID discovery document is
 * served with the expected issuer, i.e. Keycloak itself answers, not a port that merely accepts connections.
 */

/** What one request found: `state` is shown to the user ("connection refused", "HTTP 503", "ready", ...). */
export interface Probe {
  readonly ready: boolean;
  readonly state: string;
  /** The served certificate's issuer and end of validity, when the answer came over HTTPS. */
  readonly certificate?: string;
}

export const DEFAULT_WAIT_TIMEOUT_SECONDS = 600;
/** A cluster's change is done once the instance refresh has replaced every node, one after the other. */
export const CLUSTER_WAIT_TIMEOUT_SECONDS = 1800;
export const WAIT_TIMEOUT_ENV = "KEYCLOAK_EC2_WAIT_TIMEOUT";
/** A discovery document is a few KiB; anything much larger is not one. */
const MAX_BODY_CHARS = 1 << 20;

export const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, "");

/** The realm the wait asks: the application realm, public for everyone (the proxy keeps master for adminCidrs). */
export function discoveryUrl(keycloakUrl: string, realm: string): string {
  return `${withoutTrailingSlash(keycloakUrl)}/realms/${realm}/.well-known/openid-configuration`;
}

/**
 * Whether the instance serves the self-signed certificate made at boot (TLS mode `self-signed`, dev's default). Only
 * then is an unverifiable certificate accepted: an ACME or a supplied certificate is verified as any client would.
 */
export function usesSelfSignedCertificate(config: KeycloakEc2Config): boolean {
  return config.profile !== "article" && config.keycloak.tls.mode === "self-signed";
}

/** A certificate as a person checks it: who issued it and until when it is valid. */
export function describeCertificate(certificate: {
  readonly issuer?: { readonly O?: string; readonly CN?: string };
  readonly valid_to?: string;
}): string {
  const issuer = certificate.issuer ?? {};
  const name = [issuer.O, issuer.CN].filter((part) => part).join(" ");
  const end = certificate.valid_to ? new Date(certificate.valid_to) : undefined;
  const until =
    end && !Number.isNaN(end.getTime())
      ? end
          .toISOString()
          .replace(/:\d\d\.\d+Z$/, " UTC")
          .replace("T", " ")
      : "?";
  return `issued by ${name || "an unnamed issuer"}, valid until ${until}`;
}

/** Whether a complete answer is the discovery document of `realm` at `keycloakUrl`, and if not, why. */
export function judgeAnswer(
  status: number,
  contentType: string | undefined,
  body: string,
  keycloakUrl: string,
  realm: string,
): Probe {
  if (status !== 200) return { ready: false, state: `HTTP ${status}` };
  let issuer: unknown;
  try {
    issuer = (JSON.parse(body) as { issuer?: unknown } | null)?.issuer;
  } catch {
    return { ready: false, state: `not JSON (${contentType || "no content type"})` };
  }
  const expected = `${withoutTrailingSlash(keycloakUrl)}/realms/${realm}`;
  if (issuer === expected) return { ready: true, state: "ready" };
  if (typeof issuer === "string" && issuer.endsWith(`/realms/${realm}`)) {
    // Keycloak answers, but under another host name (its hostname setting): clients must use the issuer's.
    return { ready: true, state: `ready, but the issuer is ${issuer}, not ${expected}` };
  }
  return { ready: false, state: typeof issuer === "string" ? `unexpected issuer ${issuer}` : "JSON without an issuer" };
}

/** Names a failed request the way a person debugging a boot would. */
export function describeError(error: NodeJS.ErrnoException, timeoutMs: number): string {
  const code = error.code ?? "";
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ETIMEDOUT") return `no answer within ${Math.ceil(timeoutMs / 1000)} s`;
  if (code === "ECONNRESET") return "connection reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `DNS lookup failed (${code})`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "host unreachable";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/.test(code) || /ssl|tls/i.test(error.message))
    return `TLS error (${code || error.message})`;
  return `error (${code || error.message})`;
}

export interface ProbeOptions {
  /** The realm whose discovery document is asked for. */
  readonly realm: string;
  readonly acceptSelfSigned: boolean;
  readonly timeoutMs: number;
}

/** One GET of the discovery document, with its own time limit; never rejects. */
export function probe(keycloakUrl: string, { realm, acceptSelfSigned, timeoutMs }: ProbeOptions): Promise<Probe> {
  return new Promise((resolve) => {
    const target = new URL(discoveryUrl(keycloakUrl, realm));
    const client = target.protocol === "https:" ? https : http;
    const finish = (result: Probe) => {
      clearTimeout(timer);
      resolve(result);
    };
    const fail = (error: NodeJS.ErrnoException) => finish({ ready: false, state: describeError(error, timeoutMs) });
    // A fresh connection each time (no agent): a poll must see the server as it is now.
    const request = client.get(
      target,
      { agent: false, rejectUnauthorized: !acceptSelfSigned, headers: { accept: "application/json" } },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
          if (body.length > MAX_BODY_CHARS)
            request.destroy(Object.assign(new Error("answer larger than 1 MiB"), { code: "EFBIG" }));
        });
        response.on("error", fail);
        // Read now: the socket is gone once the answer has ended.
        const peer =
          "getPeerCertificate" in response.socket ? (response.socket as TLSSocket).getPeerCertificate() : undefined;
        const certificate = peer && Object.keys(peer).length > 0 ? describeCertificate(peer) : undefined;
        response.on("end", () =>
          finish({
            ...judgeAnswer(response.statusCode ?? 0, response.headers["content-type"], body, keycloakUrl, realm),
            ...(certificate ? { certificate } : {}),
          }),
        );
      },
    );
    const timer = setTimeout(
      () => request.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
      timeoutMs,
    );
    request.on("error", fail);
  });
}

export interface WaitOptions extends Omit<ProbeOptions, "timeoutMs"> {
  readonly keycloakUrl: string;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between requests. @default 5000 */
  readonly intervalMs?: number;
  /** Each request's own limit. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Called after each request. */
  readonly onProbe?: (elapsedMs: number, probe: Probe) => void;
}

export interface WaitResult {
  readonly ready: boolean;
  readonly elapsedMs: number;
  readonly last: Probe;
}

/**
 * A request's least time, even when less is left before the deadline: a last round cut shorter than a TLS handshake
 * would report its own cut-off ("no answer") in place of what the server says.
 */
const MIN_REQUEST_MS = 2000;

/**
 * Polls until ready or out of time. Bounded: rounds are `intervalMs` apart, none starts after the deadline, and each
 * request is limited to the time left (at least `MIN_REQUEST_MS`, so the wait overruns by at most that).
 */
export async function waitUntilReady(options: WaitOptions): Promise<WaitResult> {
  const {
    keycloakUrl,
    realm,
    acceptSelfSigned,
    timeoutMs,
    intervalMs = 5000,
    requestTimeoutMs = 10_000,
    onProbe,
  } = options;
  const start = Date.now();
  for (;;) {
    const remaining = timeoutMs - (Date.now() - start);
    const last = await probe(keycloakUrl, {
      realm,
      acceptSelfSigned,
      timeoutMs: Math.min(requestTimeoutMs, Math.max(MIN_REQUEST_MS, remaining)),
    });
    const elapsedMs = Date.now() - start;
    onProbe?.(elapsedMs, last);
    if (last.ready || elapsedMs + intervalMs >= timeoutMs) return { ready: last.ready, elapsedMs, last };
    await sleep(intervalMs);
  }
}

/**
 * Progress for a person: on a terminal (`terminalColumns` wide) one line rewritten in place, cut to fit since a
 * wrapped line cannot be rewritten; in a log one line per change of state, and one every `heartbeatMs`.
 */
export function progressPrinter(
  write: (text: string) => void,
  terminalColumns: number | undefined,
  keycloakUrl: string,
  heartbeatMs = 30_000,
) {
  let lastState: string | undefined;
  let lastPrintedMs = -Infinity;
  return {
    onProbe(elapsedMs: number, { state }: Probe): void {
      const line = `waiting for Keycloak at ${keycloakUrl}: ${Math.round(elapsedMs / 1000)} s, ${state}`;
      if (terminalColumns) write(`\r\x1b[2K${line.slice(0, terminalColumns - 1)}`);
      else if (state !== lastState || elapsedMs - lastPrintedMs >= heartbeatMs) {
        write(`${line}\n`);
        lastPrintedMs = elapsedMs;
      }
      lastState = state;
    },
    /** Ends the rewritten line. */
    end(): void {
      if (terminalColumns && lastState !== undefined) write("\n");
    },
  };
}

/**
 * The wait's limit: `--timeout SECONDS` (its text, or undefined when not given), else $KEYCLOAK_EC2_WAIT_TIMEOUT, else
 * 600 (1800 for a cluster). A whole number of seconds, at least 1.
 */
export function waitTimeoutSeconds(
  timeoutFlag: string | undefined,
  env: NodeJS.ProcessEnv,
  profile: KeycloakEc2Config["profile"],
): number {
  const text = timeoutFlag ?? env[WAIT_TIMEOUT_ENV];
  if (text === undefined || text === "")
    return profile === "cluster" ? CLUSTER_WAIT_TIMEOUT_SECONDS : DEFAULT_WAIT_TIMEOUT_SECONDS;
  if (/^\d+$/.test(text) && Number(text) >= 1) return Number(text);
  const problem = /^\d+$/.test(text)
    ? `"${text}" is no time to wait: give 1 second or more`
    : `"${text}" is not a whole number of seconds`;
  throw new UserError(
    timeoutFlag !== undefined
      ? problemLine("flag", "--timeout", problem, "write e.g. --timeout 900")
      : configProblem(WAIT_TIMEOUT_ENV, problem, `write e.g. ${WAIT_TIMEOUT_ENV}=900`),
  );
}

export interface WaitForKeycloakOptions {
  readonly timeoutSeconds: number;
  readonly write: (text: string) => void;
  /** The terminal's width, when writing to one. */
  readonly terminalColumns?: number;
  /** @default 5000 */
  readonly intervalMs?: number;
  /** Where the boot reports what it applied: once Keycloak answers, the wait goes on until the report names the
   * delivered bundle. @default - Keycloak answering is enough */
  readonly bootStatus?: BootStatusTarget;
}

/** Waits with progress; out of time, a UserError with exit code 1 (the deployment exists, it is just not up). */
export async function waitForKeycloak(
  config: KeycloakEc2Config,
  keycloakUrl: string,
  options: WaitForKeycloakOptions,
): Promise<void> {
  const progress = progressPrinter(options.write, options.terminalColumns, keycloakUrl);
  const result = await waitUntilReady({
    keycloakUrl,
    realm: config.profile === "article" ? "master" : config.keycloak.realm.name,
    acceptSelfSigned: usesSelfSignedCertificate(config),
    timeoutMs: options.timeoutSeconds * 1000,
    intervalMs: options.intervalMs,
    onProbe: progress.onProbe,
  });
  progress.end();
  if (!result.ready) {
    // A boot that failed says why in its report, which may be there although Keycloak never answered.
    const failure = options.bootStatus && (await bootFailure(options.bootStatus));
    if (failure) throw failure;
    throw new UserError(
      problemLine(
        "wait",
        keycloakUrl,
        `Keycloak is not ready within ${options.timeoutSeconds} s, last state: ${result.last.state}`,
        config.profile === "cluster"
          ? "a cluster's first nodes take several minutes, and the load balancer answers 503 until one is in service: run npm run wait -- --timeout 2400; if it stays so, the nodes' reports and logs are under status/nodes/ in the backup_bucket output's bucket"
          : `a first boot takes several minutes: run npm run wait -- --timeout 1200; if it stays so, read the boot's report (status/boot.json in the backup_bucket output's bucket) or journalctl -u keycloak -u caddy on the instance over Session Manager${
              config.profile !== "article" && config.keycloak.tls.mode === "acme" && /TLS error/.test(result.last.state)
                ? "; a TLS error with the acme mode means the CA has not issued the certificate yet (journalctl -u caddy says why)"
                : ""
            }`,
      ),
      1,
    );
  }
  if (result.last.certificate) options.write(`certificate: ${result.last.certificate}\n`);
  if (options.bootStatus) {
    await waitForBootStatus(options.bootStatus, {
      timeoutMs: Math.max(1, options.timeoutSeconds * 1000 - result.elapsedMs),
      write: options.write,
      intervalMs: options.intervalMs,
    });
  }
}
