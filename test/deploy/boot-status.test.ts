import { bootStatusTarget, BootStatusTarget, waitForBootStatus } from "../../src/deploy/boot-status";
import { useFakeAws } from "./fake-aws";

// The check that a deploy reached the instance, against a local fake S3 (the SDK pointed at it).
const fake = useFakeAws();

const TARGET: BootStatusTarget = {
  region: "eu-west-3",
  bucket: "kc-bucket",
  key: "status/boot.json",
  bundleSha256: "a".repeat(64),
};

const report = (fields: Record<string, string>) =>
  fake().objects.set("kc-bucket/status/boot.json", {
    body: Buffer.from(
      JSON.stringify({
        state: "applied",
        keycloakVersion: "26.7.4",
        realm: "app",
        bundleSha256: TARGET.bundleSha256,
        message: "",
        at: "2026-11-23T10:00:00Z",
        ...fields,
      }),
    ),
    lastModified: new Date(),
  });

async function waitFor(timeoutMs = 1000) {
  const lines: string[] = [];
  try {
    await waitForBootStatus(TARGET, { timeoutMs, intervalMs: 50, write: (text) => lines.push(text) });
    return { lines, error: undefined };
  } catch (error) {
    return { lines, error: error as Error & { exitCode?: number } };
  }
}

describe("waiting for the instance to apply the delivered configuration", () => {
  it("finds the target in the outputs, and none in those of a deployment made before the report", () => {
    const outputs = {
      region: "eu-west-3",
      backup_bucket: "kc-bucket",
      boot_status_key: "status/boot.json",
      boot_bundle_sha256: "a".repeat(64),
    };
    expect(bootStatusTarget(outputs)).toEqual(TARGET);
    expect(bootStatusTarget({ ...outputs, boot_bundle_sha256: undefined })).toBeUndefined();
  });

  it("says what runs once the report names the delivered bundle", async () => {
    // GIVEN
    report({});
    // WHEN
    const { lines, error } = await waitFor();
    // THEN
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "the instance applied this configuration at 2026-11-23T10:00:00Z: Keycloak 26.7.4, realm app\n",
    ]);
  });

  it("says where the ACME certificate stands, when the boot found one or is still waiting for it", async () => {
    report({ certificate: "pending: acme: error: 429 rateLimited" });
    const { lines, error } = await waitFor();
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "the instance applied this configuration at 2026-11-23T10:00:00Z: Keycloak 26.7.4, realm app\n",
      "its certificate from the ACME CA: pending: acme: error: 429 rateLimited\n",
    ]);
  });

  it("waits while the report names an earlier bundle, until it names this one", async () => {
    // GIVEN the report of the previous apply
    report({ bundleSha256: "b".repeat(64), at: "2026-11-22T09:00:00Z" });
    setTimeout(() => report({ keycloakVersion: "26.7.5" }), 200);
    // WHEN
    const { lines, error } = await waitFor(3000);
    // THEN
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the instance to apply this configuration (it last applied another one, at 2026-11-22T09:00:00Z)\n",
      "the instance applied this configuration at 2026-11-23T10:00:00Z: Keycloak 26.7.5, realm app\n",
    ]);
    expect(fake().calls("GetObject").length).toBeGreaterThan(1);
  });

  it("fails with the boot's reason, exit code 1, when the instance failed to apply it", async () => {
    report({ state: "failed", message: "Keycloak was not ready after 600 s" });
    const { error } = await waitFor();
    expect(error?.message).toMatch(
      /^wait error: boot: the instance failed to apply this configuration at 2026-11-23T10:00:00Z: Keycloak was not ready after 600 s \(/,
    );
    expect(error?.exitCode).toBe(1);
  });

  it("gives up after the timeout, exit code 1, when no report comes", async () => {
    const { lines, error } = await waitFor(300);
    expect(lines).toEqual(["waiting for the instance's first report\n"]);
    expect(error?.message).toMatch(
      /^wait error: boot: no report of this configuration at s3:\/\/kc-bucket\/status\/boot.json after 0 s/,
    );
    expect(error?.exitCode).toBe(1);
  });

  it("says it cannot check, and does not fail the wait, when S3 refuses to read the report", async () => {
    fake().s3Error = { status: 403, code: "AccessDenied", message: "Access Denied" };
    const { lines, error } = await waitFor();
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "cannot read the boot's report at s3://kc-bucket/status/boot.json (Access Denied): not checking what the instance applied\n",
    ]);
  });
});
