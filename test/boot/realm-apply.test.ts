import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { realmRepresentation, RealmSettings } from "../../src/boot/realm";
import { SLOW_TEST_MS } from "../cli/run";
import { BootHarness, REALM_SCRIPT, SECRETS } from "./harness";

const MARKER = "keycloak-ec2.managed";

type Json = Record<string, unknown>;
interface Client extends Json {
  id: string;
  clientId: string;
}
interface Recorded {
  method: string;
  path: string;
  body: string;
}

/**
 * Keycloak's admin REST API as far as keycloak-realm.sh uses it, on a real HTTP server on loopback (Keycloak's own
 * listener behind the proxy): the admin login, a realm's
 * lookup, creation, settings, partial import (clients and users overwritten by clientId/username, with new ids, as
 * ClientsPartialImport does) and its clients. Records every request that reached it.
 */
class FakeKeycloakAdmin {
  readonly requests: Recorded[] = [];
  readonly realms = new Map<string, { settings: Json; clients: Client[]; users: Json[] }>();
  readonly token = `eyToken${crypto.randomBytes(16).toString("hex")}`;
  /** The next requests that answer 503, as Keycloak does while it starts. */
  unavailable = 0;

  handle(method: string, url: string, body: string, authorization?: string): [number, unknown] {
    if (this.unavailable > 0) {
      this.unavailable--;
      return [503, { error: "unknown_error" }];
    }
    if (method === "POST" && url === "/realms/master/protocol/openid-connect/token") {
      const form = new URLSearchParams(body);
      const valid =
        form.get("grant_type") === "password" &&
        form.get("client_id") === "admin-cli" &&
        form.get("username") === "admin" &&
        form.get("password") === SECRETS["admin-password"];
      return valid
        ? [200, { access_token: this.token, expires_in: 60, token_type: "Bearer" }]
        : [401, { error: "invalid_grant", error_description: "Invalid user credentials" }];
    }
    if (authorization !== `Bearer ${this.token}`) return [401, { error: "HTTP 401 Unauthorized" }];
    const [, name, rest] = /^\/admin\/realms(?:\/([^/]+))?(\/.*)?$/.exec(url) ?? [];
    const realm = name === undefined ? undefined : this.realms.get(decodeURIComponent(name));
    if (method === "POST" && name === undefined) {
      const rep = JSON.parse(body) as Json;
      if (this.realms.has(rep.realm as string))
        return [409, { errorMessage: "Conflict detected. See logs for details" }];
      this.store(rep);
      return [201, ""];
    }
    if (!realm) return [404, { error: "Realm not found." }];
    if (method === "GET" && rest === undefined) return [200, realm.settings];
    if (method === "PUT" && rest === undefined) {
      Object.assign(realm.settings, JSON.parse(body));
      return [204, ""];
    }
    if (method === "POST" && rest === "/partialImport") {
      const rep = JSON.parse(body) as { ifResourceExists?: string; clients?: Client[]; users?: Json[] };
      if (rep.ifResourceExists !== "OVERWRITE") return [409, { errorMessage: "Client id 'x' already exists" }];
      let added = 0;
      let overwritten = 0;
      // Overwritten by name, with a new id; added otherwise.
      const apply = <T extends Json>(present: T[], incoming: T[], same: (a: T, b: T) => boolean, make: (t: T) => T) => {
        for (const item of incoming) {
          const index = present.findIndex((p) => same(p, item));
          if (index >= 0) {
            present[index] = make(item);
            overwritten++;
          } else {
            present.push(make(item));
            added++;
          }
        }
      };
      apply(
        realm.clients,
        rep.clients ?? [],
        (a, b) => a.clientId === b.clientId,
        (c) => ({ ...c, id: crypto.randomUUID() }),
      );
      apply(
        realm.users,
        rep.users ?? [],
        (a, b) => a.username === b.username,
        (u) => u,
      );
      return [200, { added, overwritten, skipped: 0, results: [] }];
    }
    if (method === "GET" && rest === "/clients") return [200, realm.clients];
    const client = /^\/clients\/([^/]+)$/.exec(rest ?? "");
    if (method === "PUT" && client) {
      const index = realm.clients.findIndex((c) => c.id === client[1]);
      if (index < 0) return [404, { error: "Could not find client" }];
      realm.clients[index] = JSON.parse(body) as Client;
      return [204, ""];
    }
    return [400, { error: "unexpected request" }];
  }

  /** A realm as Keycloak holds it, with its own built-in clients (which carry no marker). */
  store(rep: Json): void {
    const { clients = [], users = [], ...settings } = rep as { clients?: Json[]; users?: Json[] };
    this.realms.set(rep.realm as string, {
      settings,
      clients: [{ clientId: "account" }, ...clients].map((c) => ({ ...c, id: crypto.randomUUID() }) as Client),
      users,
    });
  }

  clients(realm: string): Client[] {
    return this.realms.get(realm)?.clients ?? [];
  }

  /** Listens on 127.0.0.1 (any port); resolves to the port. */
  async listen(servers: http.Server[]): Promise<number> {
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        this.requests.push({ method: request.method ?? "", path: request.url ?? "", body });
        const [status, answer] = this.handle(
          request.method ?? "",
          request.url ?? "",
          body,
          request.headers.authorization,
        );
        response.writeHead(status, { "content-type": "application/json" });
        response.end(typeof answer === "string" ? answer : JSON.stringify(answer));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }
}

const SETTINGS: RealmSettings = {
  name: "app",
  spa: { clientId: "web", redirectUris: ["https://app.example.com/*"], webOrigins: ["https://app.example.com"] },
  bff: { clientId: "bff", redirectUris: ["https://app.example.com/callback"] },
  service: { clientId: "worker" },
};

describe("realm reconciliation (keycloak-realm.sh) against a fake Keycloak admin API over real HTTP", () => {
  const servers: http.Server[] = [];
  let boot: BootHarness;
  let keycloak: FakeKeycloakAdmin;

  beforeEach(() => {
    boot = new BootHarness({}, { realCommands: ["curl"] });
    boot.putSecrets();
    keycloak = new FakeKeycloakAdmin();
  });
  afterEach(async () => {
    boot.remove();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  let url: string;
  /** Keycloak's listener up, where the boot calls it (KEYCLOAK_EC2_HTTP_URL stands in for http://127.0.0.1:8080). */
  async function start(): Promise<void> {
    url = `http://127.0.0.1:${await keycloak.listen(servers)}`;
  }

  function writeRealm(settings: RealmSettings = SETTINGS): void {
    fs.mkdirSync(`${boot.root}/opt/keycloak-ec2/import`, { recursive: true });
    fs.writeFileSync(
      `${boot.root}/opt/keycloak-ec2/import/${settings.name}-realm.json`,
      JSON.stringify(realmRepresentation(settings), null, 2),
    );
  }

  const applyRealm = (args = "") => boot.runAsync(`apply_realm ${args}`, { KEYCLOAK_EC2_HTTP_URL: url }, REALM_SCRIPT);

  /** Neither the output nor any command line (what `ps` shows) holds a secret or the admin's token. */
  function expectNoSecretShown(output: string): void {
    const shown = [output, ...boot.calls()].join("\n");
    for (const secret of [...Object.values(SECRETS), keycloak.token]) expect(shown).not.toContain(secret);
  }

  const sent = () => keycloak.requests.map((r) => `${r.method} ${r.path}`);
  const body = (method: string, url: string) =>
    JSON.parse(keycloak.requests.find((r) => r.method === method && r.path === url)?.body ?? "null") as Json;

  it(
    "creates a missing realm from the file, with the client secrets filled in, and shows no secret",
    async () => {
      await start();
      writeRealm();
      const { code, output } = await applyRealm();
      expect(output).toContain("realm app: missing, creating it");
      expect(code).toBe(0);
      expect(sent()).toEqual([
        "POST /realms/master/protocol/openid-connect/token",
        "GET /admin/realms/app",
        "POST /admin/realms",
      ]);
      const created = body("POST", "/admin/realms") as { realm: string; clients: Client[] };
      expect(created.realm).toBe("app");
      const secrets = Object.fromEntries(created.clients.map((c) => [c.clientId, c.secret]));
      expect(secrets).toEqual({
        web: undefined,
        bff: SECRETS["bff-client-secret"],
        worker: SECRETS["service-client-secret"],
      });
      for (const client of created.clients) expect(client.attributes).toMatchObject({ [MARKER]: "true" });
      expectNoSecretShown(output);
      // The curl calls went to Keycloak's own listener directly, not through the proxy (which refuses /admin/).
      const curls = boot.calls().filter((c) => c.startsWith("curl "));
      expect(curls).toHaveLength(3);
      for (const call of curls) expect(call).toMatch(new RegExp(`${url}/(realms|admin)/\\S+$`));
    },
    SLOW_TEST_MS,
  );

  it(
    "applies a changed file to an existing realm by a partial import that overwrites, and nothing when unchanged",
    async () => {
      await start();
      keycloak.store(realmRepresentation(SETTINGS) as Json);
      writeRealm();
      const first = await applyRealm();
      expect(first.code).toBe(0);
      expect(sent()).toEqual([
        "POST /realms/master/protocol/openid-connect/token",
        "GET /admin/realms/app",
        "PUT /admin/realms/app",
        "POST /admin/realms/app/partialImport",
        "GET /admin/realms/app/clients",
      ]);
      // The realm's own settings, without what the partial import carries.
      const settings = body("PUT", "/admin/realms/app");
      expect(settings).toMatchObject({ realm: "app", sslRequired: "external", bruteForceProtected: true });
      expect(settings).not.toHaveProperty("clients");
      expect(settings).not.toHaveProperty("users");
      const partial = body("POST", "/admin/realms/app/partialImport") as {
        ifResourceExists: string;
        clients: Client[];
      };
      expect(partial.ifResourceExists).toBe("OVERWRITE");
      expect(partial.clients.find((c) => c.clientId === "bff")?.secret).toBe(SECRETS["bff-client-secret"]);
      expect(partial).toHaveProperty("users.0.serviceAccountClientId", "worker");
      expect(first.output).toContain("realm app: 0 added, 4 overwritten");
      expectNoSecretShown(first.output);

      keycloak.requests.length = 0;
      const again = await applyRealm();
      expect(again.code).toBe(0);
      expect(again.output).toContain("realm app: as configured already");
      expect(sent()).toEqual([]);

      writeRealm({ ...SETTINGS, bff: { clientId: "bff", redirectUris: ["https://app.example.com/new-callback"] } });
      const changed = await applyRealm();
      expect(changed.code).toBe(0);
      expect(sent()).toContain("POST /admin/realms/app/partialImport");
      expect(keycloak.clients("app").find((c) => c.clientId === "bff")?.redirectUris).toEqual([
        "https://app.example.com/new-callback",
      ]);

      // --force applies an unchanged file again (after a restore, or to undo changes made in the console).
      keycloak.requests.length = 0;
      expect((await applyRealm("--force")).code).toBe(0);
      expect(sent()).toContain("POST /admin/realms/app/partialImport");
    },
    SLOW_TEST_MS,
  );

  it(
    "disables a managed client removed from the config, and leaves Keycloak's and the console's clients alone",
    async () => {
      await start();
      keycloak.store({
        ...(realmRepresentation(SETTINGS) as Json),
        clients: [
          ...realmRepresentation(SETTINGS).clients!.map((c) => ({
            ...c,
            attributes: { ...c.attributes, [MARKER]: "true" },
          })),
          { clientId: "made-in-console", enabled: true },
        ],
      });
      writeRealm({ name: "app", spa: SETTINGS.spa, bff: SETTINGS.bff });
      const { code, output } = await applyRealm();
      expect(code).toBe(0);
      expect(output).toContain(
        "client worker of realm app is no longer in the configuration: disabled it (delete it in the admin console to remove it)",
      );
      const state = Object.fromEntries(keycloak.clients("app").map((c) => [c.clientId, c.enabled]));
      expect(state).toEqual({ account: undefined, "made-in-console": true, web: true, bff: true, worker: false });
      expect(sent().filter((r) => r.startsWith("PUT /admin/realms/app/clients/"))).toHaveLength(1);
    },
    SLOW_TEST_MS,
  );

  it(
    "fails with Keycloak's reason on one line when the admin login is refused, and applies nothing",
    async () => {
      await start();
      writeRealm();
      boot.putParameter("/kc/keycloak/admin-password", "ChangedInTheConsole0123456789abc");
      const { code, output } = await applyRealm();
      expect(code).not.toBe(0);
      expect(output).toContain(
        "FAILED: Keycloak refused the login of its admin admin (HTTP 401: Invalid user credentials): the realm was not applied",
      );
      expect(sent()).toEqual(["POST /realms/master/protocol/openid-connect/token"]);
      expect(fs.existsSync(`${boot.root}/var/lib/keycloak-ec2/realm-applied`)).toBe(false);
      expect(output).not.toContain("ChangedInTheConsole0123456789abc");
    },
    SLOW_TEST_MS,
  );

  it(
    "retries while Keycloak answers 503",
    async () => {
      await start();
      writeRealm();
      keycloak.unavailable = 2;
      const { code, output } = await applyRealm();
      expect(output).toContain("Keycloak answered 503 to POST /realms/master/protocol/openid-connect/token");
      expect(code).toBe(0);
      expect(keycloak.realms.has("app")).toBe(true);
    },
    SLOW_TEST_MS,
  );

  it("refuses a realm file with a placeholder it cannot fill, and a directory without exactly one file", () => {
    fs.mkdirSync(`${boot.root}/opt/keycloak-ec2/import`, { recursive: true });
    const none = boot.run("apply_realm", {}, REALM_SCRIPT);
    expect(none.code).not.toBe(0);
    expect(none.output).toContain("FAILED: expected one realm file in");

    fs.writeFileSync(
      `${boot.root}/opt/keycloak-ec2/import/app-realm.json`,
      '{"realm": "app", "smtpServer": {"password": "${SMTP_PASSWORD}"}}',
    );
    const unknown = boot.run("apply_realm", {}, REALM_SCRIPT);
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(
      /FAILED: \S+app-realm\.json has a placeholder the boot cannot fill: \$\{SMTP_PASSWORD\}/,
    );
    expect(boot.calls().filter((c) => c.startsWith("curl "))).toEqual([]);
  });
});
