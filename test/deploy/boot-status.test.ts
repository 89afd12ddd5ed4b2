import {
  bootFailure,
  bootStatusTarget,
  BootStatusTarget,
  ClusterStatusTarget,
  waitForBootStatus,
} from "../../src/deploy/boot-status";
import { validateConfig } from "../../src/config/validate";
import { waitForKeycloak } from "../../src/deploy/wait";
import { SLOW_TEST_MS } from "../cli/run";
import { useFakeAws } from "./fake-aws";
import { status, useFakeKeycloak } from "./fake-keycloak";

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
    report({ state: "failed", message: "Keycloak was not ready within 600 s" });
    const { error } = await waitFor();
    expect(error?.message).toMatch(
      /^wait error: boot: the instance failed to apply this configuration at 2026-11-23T10:00:00Z: Keycloak was not ready within 600 s \(/,
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

/** Node `id`'s report, as report_status writes it (at `lastModified`, by default now). */
const nodeReport = (id: string, fields: Record<string, string> = {}, lastModified = new Date()) =>
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
    lastModified,
  });

const OLD = { bundleSha256: "b".repeat(64), at: "2026-11-22T09:00:00Z" };

/** The group launching launch template version `version`, with these instances (each on `version` unless told). */
const group = (version: string, ...instances: [id: string, state: string, version?: string][]) =>
  fake().groups.set("kc-hosts", { version, instances: instances.map(([id, state, v]) => ({ id, state, version: v })) });
const A1 = "i-0aaaaaaaaaaaaaaa1";
const A2 = "i-0aaaaaaaaaaaaaaa2";
const B1 = "i-0bbbbbbbbbbbbbbb1";
const B2 = "i-0bbbbbbbbbbbbbbb2";

describe("waiting for every node of a cluster to apply the delivered configuration", () => {
  it("waits through an instance refresh until every node in service reports this bundle", async () => {
    // GIVEN two old nodes, a refresh starting a new one, and the old ones leaving once it is in service
    group("8", [A1, "InService", "7"], [A2, "InService", "7"], [B1, "Pending"]);
    fake().refreshes.set("kc-hosts", [{ status: "InProgress", percentage: 0 }, { status: "Successful" }]);
    nodeReport(A1, OLD);
    nodeReport(A2, { ...OLD, state: "failed" });
    const newNodeInService = () => {
      nodeReport(B1, { at: "2026-11-23T10:05:00Z" });
      group("8", [A1, "InService", "7"], [A2, "InService", "7"], [B1, "InService"]);
      fake().refreshes.set("kc-hosts", [{ status: "InProgress", percentage: 50 }]);
    };
    const oldNodesGone = () => {
      nodeReport(B2, { at: "2026-11-23T10:09:00Z" });
      group("8", [A1, "Terminating", "7"], [A2, "Terminating", "7"], [B1, "InService"], [B2, "InService"]);
      fake().refreshes.set("kc-hosts", [{ status: "Successful", percentage: 100 }]);
    };
    // WHEN
    const { lines, error } = await waitFor(5000, CLUSTER, [newNodeInService, oldNodesGone]);
    // THEN
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 0 of 2 in service did, 2 on an older configuration, 1 launching, instance refresh InProgress 0 %\n",
      "waiting for the nodes to apply this configuration: 1 of 3 in service did, 2 on an older configuration, instance refresh InProgress 50 %\n",
      "the 2 node(s) in service applied this configuration (the last at 2026-11-23T10:09:00Z): Keycloak 26.7.4, realm app\n",
    ]);
    // Only the nodes in service are read, each under its own name.
    const keys = fake()
      .calls("GetObject")
      .map((r) => r.url.replace(/\?.*/, ""));
    expect(keys).toContain(`/kc-bucket/status/nodes/${A1}.json`);
    expect(keys.filter((k) => !/^\/kc-bucket\/status\/nodes\/i-0[0-9a-f]{16}\.json$/.test(k))).toEqual([]);
    expect(fake().calls("DescribeAutoScalingGroups")[0].body).toMatchObject({
      "AutoScalingGroupNames.member.1": "kc-hosts",
    });
  });

  it("waits while a refresh replaces nodes that already report this bundle (a new AMI or instance type)", async () => {
    // GIVEN old nodes on template version 4 that applied this bundle, and a refresh to version 5
    group("5", [A1, "InService", "4"], [A2, "InService", "4"]);
    fake().refreshes.set("kc-hosts", [{ status: "InProgress", percentage: 0 }]);
    nodeReport(A1);
    nodeReport(A2);
    const replaced = () => {
      group("5", [B1, "InService"], [B2, "InService"]);
      nodeReport(B1);
      nodeReport(B2);
    };
    const refreshDone = () => fake().refreshes.set("kc-hosts", [{ status: "Successful", percentage: 100 }]);
    // WHEN
    const { lines, error } = await waitFor(5000, CLUSTER, [replaced, refreshDone]);
    // THEN not done before the new nodes, nor before the refresh ends
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 0 of 2 in service did, 2 on an older configuration, instance refresh InProgress 0 %\n",
      "waiting for the nodes to apply this configuration: 2 of 2 in service did, instance refresh InProgress 0 %\n",
      expect.stringMatching(/^the 2 node\(s\) in service applied this configuration/),
    ]);
  });

  it("fails naming the node whose boot failed to apply this configuration, still under its launch hook", async () => {
    group("3", [A1, "InService"], [A2, "Pending:Wait"]);
    nodeReport(A1);
    nodeReport(A2, { state: "failed", message: "the realm's apply was refused: HTTP 400" });
    const { error } = await waitFor(1000, CLUSTER);
    expect(error?.message).toMatch(
      /^wait error: boot: node i-0aaaaaaaaaaaaaaa2 failed to apply this configuration at 2026-11-23T10:00:00Z: the realm's apply was refused: HTTP 400 \(the group terminates it without putting it in service \(its launch is abandoned\), the nodes in service serve on, .*the end of its boot's log is in s3:\/\/kc-bucket\/status\/nodes\/i-0aaaaaaaaaaaaaaa2\.log; /,
    );
    expect(error?.exitCode).toBe(1);
  });

  it("names a node whose launch was abandoned, gone from the group seconds after its report", async () => {
    // GIVEN a refresh's new node that failed and was terminated between two rounds, and an older failure of this
    // bundle, from before the wait
    group("3", [A1, "InService", "2"], [B1, "Pending:Wait"]);
    fake().refreshes.set("kc-hosts", [{ status: "InProgress", percentage: 0 }]);
    nodeReport(A1, OLD);
    nodeReport(B2, { state: "failed", message: "long ago" }, new Date(Date.now() - 3_600_000));
    const abandoned = () => {
      nodeReport(B1, { state: "failed", message: "realm: HTTP 400 from PUT /admin/realms/app" });
      group("3", [A1, "InService", "2"]);
    };
    // WHEN
    const { lines, error } = await waitFor(3000, CLUSTER, [abandoned]);
    // THEN the recent failure is named, not the old one
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 0 of 1 in service did, 1 on an older configuration, 1 launching, instance refresh InProgress 0 %\n",
    ]);
    expect(error?.message).toMatch(
      /^wait error: boot: node i-0bbbbbbbbbbbbbbb1 failed to apply this configuration at .*: realm: HTTP 400 from PUT \/admin\/realms\/app /,
    );
  });

  it("names a node being terminated after its failure, and is not done with fewer nodes than the group wants", async () => {
    // GIVEN a first deploy of two nodes: one in service and done, the other abandoned, still listed as Terminating
    fake().groups.set("kc-hosts", {
      version: "1",
      desired: 2,
      instances: [
        { id: A1, state: "InService" },
        { id: A2, state: "Terminating" },
      ],
    });
    nodeReport(A1);
    nodeReport(A2, { state: "failed", message: "realm: claimed by another node" });
    // WHEN / THEN
    const { error } = await waitFor(1000, CLUSTER);
    expect(error?.message).toMatch(/^wait error: boot: node i-0aaaaaaaaaaaaaaa2 failed to apply this configuration/);
    // And with the failed node gone unseen: one node in service is not enough for a group of two
    fake().objects.delete(`kc-bucket/status/nodes/${A2}.json`);
    fake().groups.set("kc-hosts", { version: "1", desired: 2, instances: [{ id: A1, state: "InService" }] });
    const { lines, error: timedOut } = await waitFor(300, CLUSTER);
    expect(lines).toEqual(["waiting for the nodes to apply this configuration: 1 of 1 in service did\n"]);
    expect(timedOut?.exitCode).toBe(1);
  });

  it("is not done while a node is still launching, even with every node in service done", async () => {
    group("3", [A1, "InService"], [B1, "Pending:Wait"]);
    nodeReport(A1);
    const inService = () => {
      nodeReport(B1);
      group("3", [A1, "InService"], [B1, "InService"]);
    };
    const { lines, error } = await waitFor(3000, CLUSTER, [inService]);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 1 of 1 in service did, 1 launching\n",
      expect.stringMatching(/^the 2 node\(s\) in service applied this configuration/),
    ]);
  });

  it("fails when a refresh was cancelled with every node on the older version, though each reports this bundle", async () => {
    group("5", [A1, "InService", "4"], [A2, "InService", "4"]);
    fake().refreshes.set("kc-hosts", [{ status: "Cancelled" }]);
    nodeReport(A1);
    nodeReport(A2);
    const { error } = await waitFor(1000, CLUSTER);
    expect(error?.message).toMatch(
      /^wait error: boot: the last instance refresh of kc-hosts ended Cancelled, leaving i-0aaaaaaaaaaaaaaa1, i-0aaaaaaaaaaaaaaa2 on an older configuration/,
    );
  });

  it("fails when the last instance refresh ended with nodes left on an older launch template version", async () => {
    group("3", [A1, "InService", "2"]);
    fake().refreshes.set("kc-hosts", [{ status: "Cancelled", reason: "cancelled by a user" }]);
    nodeReport(A1, OLD);
    const { error } = await waitFor(1000, CLUSTER);
    expect(error?.message).toBe(
      "wait error: boot: the last instance refresh of kc-hosts ended Cancelled (cancelled by a user), leaving i-0aaaaaaaaaaaaaaa1 on an older configuration " +
        "(fix the cause and deploy again, or start one: aws autoscaling start-instance-refresh --auto-scaling-group-name kc-hosts)",
    );
  });

  it("waits for a node that is only booting, whatever an old refresh ended as", async () => {
    // GIVEN a scale-out: a new node on the current version without a report yet, and a refresh cancelled weeks ago
    group("3", [A1, "InService"], [B1, "InService"]);
    fake().refreshes.set("kc-hosts", [{ status: "Cancelled" }]);
    nodeReport(A1);
    // WHEN it reports after the first round
    const { lines, error } = await waitFor(3000, CLUSTER, [() => nodeReport(B1)]);
    // THEN
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 1 of 2 in service did, 1 booting\n",
      expect.stringMatching(/^the 2 node\(s\) in service applied this configuration/),
    ]);
  });

  it("gives up after the timeout, saying where the nodes stand, exit code 1", async () => {
    group("3", [A1, "InService"], [A2, "InService"]);
    nodeReport(A1);
    const { lines, error } = await waitFor(300, CLUSTER);
    expect(lines).toEqual(["waiting for the nodes to apply this configuration: 1 of 2 in service did, 1 booting\n"]);
    expect(error?.message).toMatch(
      /^wait error: boot: the nodes of kc-hosts did not all apply this configuration within 0 s \(last: 1 of 2 in service did, 1 booting\) \(a refresh replaces one node at a time/,
    );
    expect(error?.exitCode).toBe(1);
  });

  it("says it cannot check, and does not fail the wait, when the group cannot be read at first", async () => {
    const { lines, error } = await waitFor(1000, CLUSTER);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "cannot read the Auto Scaling group kc-hosts and its nodes' reports in s3://kc-bucket/status/nodes/ (no Auto Scaling group kc-hosts): not checking what the nodes applied\n",
    ]);
  });

  it("names the permissions the check needs when S3 refuses a report (a missing one, without s3:ListBucket)", async () => {
    group("3", [A1, "InService"]);
    fake().s3Error = { status: 403, code: "AccessDenied", message: "Access Denied" };
    const { lines, error } = await waitFor(1000, CLUSTER);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      expect.stringMatching(
        /^cannot read .* \(Access Denied; the check needs s3:GetObject on status\/nodes\/\* and s3:ListBucket on the bucket .*\): not checking what the nodes applied\n$/,
      ),
    ]);
  });

  it("retries an error after the first round, until the nodes report", async () => {
    group("3", [A1, "InService"]);
    const s3Fails = () =>
      (fake().s3Error = { status: 503, code: "SlowDown", message: "Please reduce your request rate." });
    const s3Heals = () => {
      fake().s3Error = undefined;
      nodeReport(A1);
    };
    const { lines, error } = await waitFor(20_000, CLUSTER, [s3Fails, s3Heals]);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "waiting for the nodes to apply this configuration: 0 of 1 in service did, 1 booting\n",
      expect.stringMatching(/^cannot read the Auto Scaling group kc-hosts .*, retrying\n$/),
      expect.stringMatching(/^the 1 node\(s\) in service applied this configuration/),
    ]);
  });
});

describe("a boot's failure while Keycloak never answers", () => {
  const { serve } = useFakeKeycloak();

  it("is found in the reports: the instance's, or a node's", async () => {
    report({ state: "failed", message: "realm: HTTP 400" });
    expect((await bootFailure(TARGET))?.message).toMatch(
      /the instance failed to apply this configuration .*: realm: HTTP 400/,
    );
    group("3", [A1, "Pending:Wait"]);
    nodeReport(A1, { state: "failed", message: "Keycloak was not ready within 600 s" });
    expect((await bootFailure(CLUSTER))?.message).toMatch(
      /node i-0aaaaaaaaaaaaaaa1 failed .*: Keycloak was not ready within 600 s/,
    );
  });

  it("is none while the reports say nothing of this bundle, or cannot be read", async () => {
    report({ bundleSha256: "b".repeat(64), state: "failed" });
    expect(await bootFailure(TARGET)).toBeUndefined();
    fake().s3Error = { status: 403, code: "AccessDenied", message: "Access Denied" };
    expect(await bootFailure(TARGET)).toBeUndefined();
  });

  it(
    "is what the wait reports when Keycloak does not answer within the timeout",
    async () => {
      const url = await serve(status(503));
      report({ state: "failed", message: "realm: HTTP 400 from PUT /admin/realms/app" });
      const dev = validateConfig({ profile: "dev" }).config;
      const failed = await waitForKeycloak(dev, url, {
        timeoutSeconds: 1,
        intervalMs: 100,
        write: () => undefined,
        bootStatus: TARGET,
      }).catch((error: Error) => error);
      expect((failed as Error).message).toMatch(
        /^wait error: boot: the instance failed to apply this configuration .*: realm: HTTP 400 from PUT \/admin\/realms\/app /,
      );
    },
    SLOW_TEST_MS,
  );
});
