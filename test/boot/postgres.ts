import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Debian's PostgreSQL server programs (initdb, pg_ctl), newest version installed; empty when none is. */
export const PG_BIN = fs.existsSync("/usr/lib/postgresql")
  ? path.join("/usr/lib/postgresql", fs.readdirSync("/usr/lib/postgresql").sort().pop()!, "bin")
  : "";

/** Runs a command as the postgres user (from /, which postgres may read), as the instance's peer rule expects. */
export function asPostgres(command: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8", input, cwd: "/" });
}

/**
 * A scratch PostgreSQL cluster in `dir` (which the postgres user must be able to traverse), run as postgres on
 * `port` with its socket in `dir/socket`: the superuser postgres by peer, no TCP client allowed until the caller
 * writes its own pg_hba.conf. Needs Debian's postgresql package and root, to act as postgres.
 */
export class ScratchCluster {
  readonly data: string;
  readonly socket: string;

  constructor(
    dir: string,
    readonly port: string,
  ) {
    this.data = path.join(dir, "pgdata");
    this.socket = path.join(dir, "socket");
  }

  /** initdb, as postgres. */
  init(): void {
    if (!PG_BIN || process.getuid?.() !== 0)
      throw new Error("needs Debian's postgresql package and root (apt-get install postgresql; run as CI does)");
    fs.mkdirSync(this.data, { recursive: true });
    fs.mkdirSync(this.socket, { recursive: true });
    execFileSync("chown", ["postgres:postgres", this.data, this.socket]);
    const init = asPostgres(path.join(PG_BIN, "initdb"), [
      "-D",
      this.data,
      "-U",
      "postgres",
      "--auth-local=peer",
      "--auth-host=reject",
    ]);
    if (init.status !== 0) throw new Error(init.stderr);
  }

  /** pg_ctl start, waiting until it accepts connections; `options` are the server's extra command-line options. */
  start(options = ""): void {
    execFileSync("chown", ["-R", "postgres:postgres", this.data]);
    const log = path.join(this.data, "log");
    const start = asPostgres(path.join(PG_BIN, "pg_ctl"), [
      "-D",
      this.data,
      "-w",
      "-l",
      log,
      "-o",
      `-p ${this.port} -k ${this.socket} ${options}`,
      "start",
    ]);
    if (start.status !== 0) throw new Error(`${start.stderr}\n${fs.readFileSync(log, "utf8")}`);
  }

  stop(): void {
    asPostgres(path.join(PG_BIN, "pg_ctl"), ["-D", this.data, "-m", "immediate", "stop"]);
  }

  /** psql as postgres over the socket, stopping at the first error; throws with psql's message if it fails. */
  psql(args: string[], input?: string): string {
    const result = asPostgres(
      "psql",
      ["-X", "-h", this.socket, "-p", this.port, "-v", "ON_ERROR_STOP=1", ...args],
      input,
    );
    if (result.status !== 0) throw new Error(`psql ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  }

  /** libpq's environment for the boot's scripts, which connect as postgres to this cluster's socket. */
  get env(): Record<string, string> {
    return { PGHOST: this.socket, PGPORT: this.port };
  }
}
