import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import { selfSignedCertificate } from "../certificates";

/**
 * A real ACME flow on loopback (shared/reference/acme-local.md): Debian's pebble as the CA, pebble-challtestsrv as its
 * DNS (every name resolves to 127.0.0.1), and Debian's caddy as the client and proxy. Every process is started by
 * this file and stopped by its pid; every port is a free one picked at run time.
 */

/** Fails with the fix when a Debian tool the tests run for real is missing. */
export function requireTools(...names: string[]): void {
  for (const name of names)
    if (spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0)
      throw new Error(`${name} not found: run npm run setup (it installs Debian's caddy and pebble)`);
}

/** The first port of the kernel's ephemeral range: the local ports of outgoing connections and of listen(0). */
function ephemeralStart(): number {
  try {
    return Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A TCP port nothing listens on right now, released at once for a process started later (pebble, caddy). Picked below
 * the ephemeral range: a port the OS hands out may be taken meanwhile by any connection another test opens (pebble
 * then fails with "address already in use").
 */
export async function freePort(): Promise<number> {
  const high = ephemeralStart() - 1;
  const low = Math.max(1024, high - 20000);
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low));
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
}

/** Polls `probe` until it returns a value (not undefined), or fails after `ms` with `what` and `log()`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms: number,
  log: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (${last})\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A process started by a test, with its output kept for failure messages. */
class Proc {
  output = "";
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.on("exit", () => resolve()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM by pid, SIGKILL if it is still there after 2 s. */
  async stop(): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    process.kill(this.child.pid, "SIGTERM");
    const timer = setTimeout(() => this.running && process.kill(this.child.pid!, "SIGKILL"), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Proc {
  return new Proc(spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] }));
}

/**
 * Pebble (with its mock DNS) in `dir`. Ports are picked at construction so that a client can be configured before the
 * CA runs; `httpPort` is where pebble connects for HTTP-01, and the TLS-ALPN-01 port is a closed one, so that only
 * HTTP-01 can succeed.
 */
export class Pebble {
  readonly apiCert: string;
  private procs: Proc[] = [];

  private constructor(
    readonly dir: string,
    readonly httpPort: number,
    private readonly ports: { api: number; management: number; dns: number; dnsManagement: number; tls: number },
  ) {
    this.apiCert = path.join(dir, "pebble-api.crt");
  }

  static async create(dir: string, httpPort: number): Promise<Pebble> {
    const ports = {
      api: await freePort(),
      management: await freePort(),
      dns: await freePort(),
      dnsManagement: await freePort(),
      tls: await freePort(),
    };
    const pebble = new Pebble(dir, httpPort, ports);
    // Pebble's own API certificate, for localhost and 127.0.0.1: clients trust it through SSL_CERT_FILE / `ca`.
    selfSignedCertificate(path.join(dir, "pebble-api"), "localhost", "DNS:localhost,IP:127.0.0.1");
    return pebble;
  }

  /** The ACME directory URL: valid before start(), so that a client may be started while the CA is down. */
  get directory(): string {
    return `https://127.0.0.1:${this.ports.api}/dir`;
  }

  /**
   * Starts the mock DNS and pebble, and waits for the directory. `validitySeconds` sets the certificates' lifetime
   * (pebble's default is 5 years).
   */
  async start(validitySeconds?: number): Promise<void> {
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${this.ports.api}`,
        managementListenAddress: `127.0.0.1:${this.ports.management}`,
        certificate: this.apiCert,
        privateKey: path.join(this.dir, "pebble-api.key"),
        httpPort: this.httpPort,
        tlsPort: this.ports.tls,
        ...(validitySeconds !== undefined ? { certificateValidityPeriod: validitySeconds } : {}),
      },
    };
    fs.writeFileSync(path.join(this.dir, "pebble.json"), JSON.stringify(config));
    const env = { PATH: process.env.PATH, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" };
    // The mock DNS answers every A query with 127.0.0.1 (challtestsrv's default) and no AAAA.
    // prettier-ignore
    this.procs.push(start("pebble-challtestsrv", [
      "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", `127.0.0.1:${this.ports.dns}`, "-http01", "",
      "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${this.ports.dnsManagement}`,
    ], { cwd: this.dir, env }));
    const pebble = start("pebble", ["-config", "pebble.json", "-dnsserver", `127.0.0.1:${this.ports.dns}`], {
      cwd: this.dir,
      env,
    });
    this.procs.push(pebble);
    await waitFor(
      "pebble's directory",
      async () => ((await this.get(this.directory)).includes("newOrder") ? true : undefined),
      5000,
      () => pebble.output,
    );
  }

  /** Pebble's root, which every certificate it issues chains to (a new one at every start). */
  async root(): Promise<string> {
    return this.get(`https://127.0.0.1:${this.ports.management}/roots/0`);
  }

  /** Pebble's log so far. */
  get log(): string {
    return this.procs.map((proc) => proc.output).join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((proc) => proc.stop()));
    this.procs = [];
  }

  private get(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
      https
        .get(url, { ca: fs.readFileSync(this.apiCert) }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve(body));
        })
        .on("error", reject);
    });
  }
}

/** Debian's caddy running a Caddyfile in `dir`, with its storage there, trusting `caCert` for the ACME API. */
export class Caddy {
  private proc?: Proc;

  constructor(
    readonly dir: string,
    private readonly caCert: string,
  ) {}

  /** Starts `caddy run` with `env` (the values docker's --env-file would pass) and waits until HTTPS `port` answers. */
  async start(caddyfile: string, env: Record<string, string>, port: number): Promise<void> {
    fs.writeFileSync(path.join(this.dir, "Caddyfile"), caddyfile);
    this.proc = start("caddy", ["run", "--config", "Caddyfile", "--adapter", "caddyfile"], {
      cwd: this.dir,
      env: {
        PATH: process.env.PATH,
        HOME: this.dir,
        XDG_DATA_HOME: path.join(this.dir, "data"),
        XDG_CONFIG_HOME: path.join(this.dir, "config"),
        // Go's crypto/x509 reads its roots from here: the ACME API's certificate is the only one trusted.
        SSL_CERT_FILE: this.caCert,
        ...env,
      },
    });
    await waitFor(
      "caddy to listen",
      () =>
        new Promise<boolean>((resolve, reject) => {
          const socket = net.connect(port, "127.0.0.1", () => {
            socket.destroy();
            resolve(true);
          });
          socket.on("error", reject);
        }),
      5000,
      () => this.log,
    );
  }

  get log(): string {
    return this.proc?.output ?? "";
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }
}

/** What a TLS client sees: the leaf's names and issuer, and whether the chain verifies against `ca`. */
export interface Served {
  readonly authorized: boolean;
  readonly issuer: string;
  readonly subjectAltName: string;
  readonly serialNumber: string;
}

/** Connects over TLS (with SNI `servername`, or none) and reports the certificate served, verified against `ca`. */
export function served(port: number, ca?: string, servername?: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      // An empty servername sends no SNI, as clients do when they connect to an IP address.
      { host: "127.0.0.1", port, ca, servername: servername ?? "", rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerCertificate();
        resolve({
          authorized: socket.authorized,
          issuer: cert.issuer?.CN ?? "",
          subjectAltName: cert.subjectaltname ?? "",
          serialNumber: cert.serialNumber ?? "",
        });
        socket.destroy();
      },
    );
    socket.on("error", reject);
  });
}

/** One HTTP(S) response: status, headers and body. */
export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * A GET to 127.0.0.1 that verifies the server against `ca` (when https), from `localAddress`, with the path sent as
 * written (no `..` folding, as an attacker would send it).
 */
export function get(
  url: string,
  options: {
    ca?: string;
    servername?: string;
    localAddress?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const pathname = url.slice(url.indexOf("/", target.protocol.length + 2));
  return new Promise((resolve, reject) => {
    const requestOptions: https.RequestOptions = {
      host: "127.0.0.1",
      port: target.port,
      path: pathname,
      localAddress: options.localAddress,
      headers: options.headers ?? {},
      agent: false,
      ...(secure ? { ca: options.ca, servername: options.servername ?? "" } : {}),
    };
    const onResponse = (res: http.IncomingMessage) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const request = secure ? https.request(requestOptions, onResponse) : http.request(requestOptions, onResponse);
    request.on("error", reject);
    request.end();
  });
}
