import { realmRepresentation } from "../../src/boot/realm";
import { serverConfig } from "../server-config";

describe("realm as code", () => {
  const realm = realmRepresentation(
    serverConfig({
      keycloak: {
        realm: {
          name: "acme",
          spa: { redirectUris: ["https://app.example.com/*"], webOrigins: ["https://app.example.com"] },
        },
      },
    }).keycloak.realm,
  );
  const client = (id: string) => realm.clients!.find((c) => c.clientId === id)!;

  it("requires TLS for all but private addresses and refuses self-registration", () => {
    expect(realm).toMatchObject({
      realm: "acme",
      enabled: true,
      sslRequired: "external",
      registrationAllowed: false,
      bruteForceProtected: true,
    });
  });

  it("has exactly the three clients of the OAuth guidance", () => {
    expect(realm.clients!.map((c) => c.clientId)).toEqual(["spa", "bff", "service"]);
  });

  it("turns the Implicit and Resource Owner Password grants off on every client", () => {
    for (const c of realm.clients!)
      expect(c).toMatchObject({ implicitFlowEnabled: false, directAccessGrantsEnabled: false });
  });

  it("makes the SPA a public client with Authorization Code and PKCE S256, and its configured URIs", () => {
    expect(client("spa")).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      serviceAccountsEnabled: false,
      redirectUris: ["https://app.example.com/*"],
      webOrigins: ["https://app.example.com"],
      attributes: expect.objectContaining({ "pkce.code.challenge.method": "S256" }),
    });
    expect(client("spa").secret).toBeUndefined();
  });

  it("makes the BFF confidential, its secret an environment placeholder", () => {
    expect(client("bff")).toMatchObject({
      publicClient: false,
      standardFlowEnabled: true,
      serviceAccountsEnabled: false,
      secret: "${BFF_CLIENT_SECRET}",
    });
    expect(client("bff").attributes).toMatchObject({ "pkce.code.challenge.method": "S256" });
  });

  it("gives the service client Client Credentials only", () => {
    expect(client("service")).toMatchObject({
      publicClient: false,
      standardFlowEnabled: false,
      serviceAccountsEnabled: true,
      secret: "${SERVICE_CLIENT_SECRET}",
      redirectUris: [],
    });
  });

  it("declares the service client's service-account user, as kc.sh export does (Keycloak 26 import crash)", () => {
    expect(realm.users).toEqual([
      {
        username: "service-account-service",
        enabled: true,
        serviceAccountClientId: "service",
        realmRoles: ["default-roles-acme"],
      },
    ]);
  });

  it("names the service-account user after a configured client id, and the default role after the realm in lower case", () => {
    const custom = realmRepresentation({ name: "Acme_Prod", service: { clientId: "billing-api" } });
    expect(custom.users).toEqual([
      {
        username: "service-account-billing-api",
        enabled: true,
        serviceAccountClientId: "billing-api",
        realmRoles: ["default-roles-acme_prod"],
      },
    ]);
  });

  it("leaves out a client that is not configured, and without a service client declares no user", () => {
    const spaOnly = realmRepresentation({
      name: "acme",
      spa: { clientId: "spa", redirectUris: ["https://app.example.com/*"], webOrigins: ["+"] },
    });
    expect(spaOnly.clients!.map((c) => c.clientId)).toEqual(["spa"]);
    expect(spaOnly.users).toBeUndefined();
  });

  it("gives a service account to the service client only", () => {
    const withServiceAccount = realm.clients!.filter((c) => c.serviceAccountsEnabled).map((c) => c.clientId);
    expect(withServiceAccount).toEqual(["service"]);
    expect(realm.users!.map((u) => u.serviceAccountClientId)).toEqual(withServiceAccount);
  });

  it("holds no secret literal: every secret is a placeholder", () => {
    const secrets = realm.clients!.flatMap((c) => (c.secret ? [c.secret] : []));
    expect(secrets).toEqual(["${BFF_CLIENT_SECRET}", "${SERVICE_CLIENT_SECRET}"]);
  });
});
