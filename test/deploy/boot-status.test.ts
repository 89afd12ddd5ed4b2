import {
  bootStatusTarget,
  BootStatusTarget,
  ClusterStatusTarget,
  waitForBootStatus,
} from "../../src/deploy/boot-status";
import { useFakeAws } from "./fake-aws";

// The check that a deploy reached the instance, against a local fake S3 (the SDK pointed at it).
const fake = useFakeAws();

const TARGET: BootStatusTarget = {
  kind: "instance",
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

/** Waits as deploy does, collecting the lines; `afterLine[i]`, when given, runs once line i is written (the world
 * changing between two rounds, whatever the machine's speed). */
async function waitFor(timeoutMs = 1000, target: BootStatusTarget = TARGET, afterLine: (() => void)[] = []) {
  const lines: string[] = [];
  const write = (text: string) => afterLine[lines.push(text) - 1]?.();
  try {
    await waitForBootStatus(target, { timeoutMs, intervalMs: 50, write });
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
    // A cluster's: its group and the prefix of its nodes' reports.
    const { boot_status_key: _, ...shared } = outputs;
    expect(bootStatusTarget({ ...shared, autoscaling_group: "kc-hosts", node_status_prefix: "status/nodes/" })).toEqual(
      CLUSTER,
    );
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
    // WHEN the instance reports this apply after the first round
    const { lines, error } = await waitFor(3000, TARGET, [() => report({ keycloakVersion: "26.7.5" })]);
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

const CLUSTER: ClusterStatusTarget = {
  kind: "cluster",
  region: "eu-west-3",
  bucket: "kc-bucket",
  bundleSha256: "a".repeat(64),
  group: "kc-hosts",
  prefix: "status/nodes/",
};

/** Node `id`'s report, as report_status writes it. */
const nodeReport = (id: string, fields: Record<string, string> = {}) =>
  fake().objects.set(`kc-bucket/status/nodes/${id}.json`, {
    body: Buffer.from(
      JSON.stringify({
        state: "applied",
        keycloakVersion: "26.7.4",
        realm: "app",
        bundleSha256: CLUSTER.bundleSha256,
        certificate: "",
        message: "",
        at: "2026-11-23T10:00:00Z",
        ...fields,
      }),
    ),
    lastModified: new Date(),
  });

const OLD = { bundleSha256: "b".repeat(64), at: "2026-11-22T09:00:00Z" };

describe("waiting for every node of a cluster to apply the delivered configuration", () => {
  it("waits through an instance refresh until every node in service reports this bundle", async () => {
    // GIVEN two old nodes, a refresh starting a new one, and the old ones leaving once it is in service
    fake().groups.set("kc-hosts", [
      { id: "i-0aaaaaaaaaaaaaaa1", state: "InService" },
      { id: "i-0aaaaaaaaaaaaaaa2", state: "InService" },
      { id: "i-0bbbbbbbbbbbbbbb1", state: "Pending" },
    ]);
    fake().refreshes.set("kc-hosts", [{ status: "InProgress", percentage: 0 }, { status: "Successful" }]);
    nodeReport("i-0aaaaaaaaaaaaaaa1", OLD);
    nodeReport("i-0aaaaaaaaaaaaaaa2", { ...OLD, state: "failed" });
    const newNodeInService = () => {
      nodeReport("i-0bbbbbbbbbbbbbbb1", { at: "2026-11-23T10:05:00Z" });
      fake().groups.set("kc-hosts", [
        { id: "i-0aaaaaaaaaaaaaaa1", state: "InService" },
        { id: "i-0aaaaaaaaaaaaaaa2", state: "InService" },
        { id: "i-0bbbbbbbbbbbbbbb1", state: "InService" },
      ]);
      fake().refreshes.set("kc-hosts", [{ status: "InProgress", percentage: 50 }]);
    };
    const oldNodesGone = () => {
      nodeReport("i-0bbbbbbbbbbbbbbb2", { at: "2026-11-23T10:09:00Z" });
      fake().groups.set("kc-hosts", [
        { id: "i-0aaaaaaaaaaaaaaa1", state: "Terminating" },
        { id: "i-0aaaaaaaaaaaaaaa2", state: "Terminating" },
        { id: "i-0bbbbbbbbbbbbbbb1", state: "InService" },
        { id: "i-0bbbbbbbbbbbbbbb2", state: "InService" },
      ]);
    };
    // WHEN
    const { lines, error } = await waitFor(5000, CLUSTER, [newNodeInService, oldNodesGone]);
    // THEN
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 0 of 2 in service did; instance refresh 0 % done\n",
      "waiting for the nodes to apply this configuration: 1 of 3 in service did; instance refresh 50 % done\n",
      "the 2 node(s) in service applied this configuration (the last at 2026-11-23T10:09:00Z): Keycloak 26.7.4, realm app\n",
    ]);
    // Only the nodes in service are read, each under its own name.
    const keys = fake()
      .calls("GetObject")
      .map((r) => r.url.replace(/\?.*/, ""));
    expect(keys).toContain("/kc-bucket/status/nodes/i-0aaaaaaaaaaaaaaa1.json");
    expect(keys.filter((k) => !/^\/kc-bucket\/status\/nodes\/i-0[0-9a-f]{16}\.json$/.test(k))).toEqual([]);
    expect(fake().calls("DescribeAutoScalingGroups")[0].body).toMatchObject({
      "AutoScalingGroupNames.member.1": "kc-hosts",
    });
  });

  it("fails naming the node whose boot failed to apply this configuration, though another applied it", async () => {
    fake().groups.set("kc-hosts", [
      { id: "i-0aaaaaaaaaaaaaaa1", state: "InService" },
      { id: "i-0aaaaaaaaaaaaaaa2", state: "InService" },
    ]);
    nodeReport("i-0aaaaaaaaaaaaaaa1");
    nodeReport("i-0aaaaaaaaaaaaaaa2", { state: "failed", message: "the realm's apply was refused: HTTP 400" });
    const { error } = await waitFor(1000, CLUSTER);
    expect(error?.message).toMatch(
      /^wait error: boot: node i-0aaaaaaaaaaaaaaa2 failed to apply this configuration at 2026-11-23T10:00:00Z: the realm's apply was refused: HTTP 400 \(its log: aws ssm start-session --target i-0aaaaaaaaaaaaaaa2, /,
    );
    expect(error?.exitCode).toBe(1);
  });

  it("fails when the instance refresh ended with nodes left on another configuration", async () => {
    fake().groups.set("kc-hosts", [{ id: "i-0aaaaaaaaaaaaaaa1", state: "InService" }]);
    fake().refreshes.set("kc-hosts", [{ status: "Cancelled", reason: "cancelled by a user" }]);
    nodeReport("i-0aaaaaaaaaaaaaaa1", OLD);
    const { error } = await waitFor(1000, CLUSTER);
    expect(error?.message).toBe(
      "wait error: boot: the instance refresh of kc-hosts ended Cancelled (cancelled by a user), with 1 of 1 node(s) in service on another configuration " +
        "(fix the cause and deploy again, or start one: aws autoscaling start-instance-refresh --auto-scaling-group-name kc-hosts)",
    );
  });

  it("gives up after the timeout naming the nodes behind, exit code 1", async () => {
    fake().groups.set("kc-hosts", [
      { id: "i-0aaaaaaaaaaaaaaa1", state: "InService" },
      { id: "i-0aaaaaaaaaaaaaaa2", state: "InService" },
    ]);
    nodeReport("i-0aaaaaaaaaaaaaaa1");
    const { lines, error } = await waitFor(300, CLUSTER);
    expect(lines).toEqual(["waiting for the nodes to apply this configuration: 1 of 2 in service did\n"]);
    expect(error?.message).toMatch(
      /^wait error: boot: node\(s\) i-0aaaaaaaaaaaaaaa2 did not report this configuration after 0 s \(an instance refresh replaces/,
    );
    expect(error?.exitCode).toBe(1);
  });

  it("says it cannot check, and does not fail the wait, when the group cannot be read", async () => {
    const { lines, error } = await waitFor(1000, CLUSTER);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "cannot read the Auto Scaling group kc-hosts and its nodes' reports in s3://kc-bucket/status/nodes/ (no Auto Scaling group kc-hosts): not checking what the nodes applied\n",
    ]);
  });
});
