import * as fs from "node:fs";
import * as path from "node:path";
import { bootSettings, settingsFile, staticBootFiles } from "../../src/boot/boot-files";
import { parameterPrefix } from "../../src/boot/secrets";
import { DEFAULT_REALM } from "../../src/defaults";
import { selfSignedCertificate } from "../certificates";
import { bootInputOf, serverConfig } from "../server-config";
import { CLUSTER_INPUT } from "./cluster-input";
import { BootHarness, SECRETS } from "./harness";

const ELASTIC_IP = "203.0.113.7";
const PUBLIC_DNS = "ec2-203-0-113-7.eu-west-3.compute.amazonaws.com";
const DATA_VOLUME_ID = "vol-0123456789abcdef0";
/** Where certmagic keeps Let's Encrypt's certificates (its storage key for the production directory). */
const ACME_ISSUER_DIR = "acme-v02.api.letsencrypt.org-directory";

/**
 * A first boot as the instance lives it: cloud-init writes the generated files (settings, scripts, unit, realm) into
 * a scratch root, then runs the boot script whole, against recording stubs of dnf, systemctl, docker, aws, curl,
 * postgresql-setup and sudo (./stubs/stub.sh; openssl is the real one). The systemctl stub starts keycloak.service as
 * systemd would: its EnvironmentFile= lines, its ExecStartPre= commands (the real memory script), then ExecStart;
 * starting caddy.service puts a certificate (made by the real openssl) in Caddy's storage, as Caddy would once the CA
 * has issued it.
 */
function firstBoot(raw: Record<string, unknown>, memoryKib: number) {
  const config = serverConfig({ region: "eu-west-3", ...raw });
  const boot = new BootHarness();
  const input = {
    ...bootInputOf(config, { publicDns: PUBLIC_DNS, publicIp: ELASTIC_IP }),
    adminCidrs: "198.51.100.0/24",
    dataVolume: { volumeId: DATA_VOLUME_ID, deviceName: "/dev/sdf" },
    backups: config.profile === "production" ? { bucket: "kc-backups", prefix: "backups/postgresql" } : undefined,
    status: { bucket: "kc-backups", key: "status/boot.json" },
  };
  boot.writeSettingsFile(settingsFile(bootSettings(input)));
  // The data volume, blank as a new EBS volume: the boot finds it by its id and formats it (stubbed mkfs and mount).
  boot.attachDataVolume(DATA_VOLUME_ID);
  boot.writeBootFiles(staticBootFiles(input, config.keycloak.realm));
  // What the CA will issue once Caddy asks (the stub's caddy.service), and what Caddy logged meanwhile.
  fs.mkdirSync(path.join(boot.root, "stub-state/acme"), { recursive: true });
  selfSignedCertificate(path.join(boot.root, "stub-state/acme", ACME_ISSUER_DIR), "E7", `IP:${ELASTIC_IP}`);
  fs.writeFileSync(path.join(boot.root, "stub-state/caddy-log"), '{"level":"info","msg":"certificate obtained"}\n');
  boot.putSecrets(parameterPrefix(config.name));
  boot.setMemory(memoryKib);
  // The instance starts on a temporary public address; Terraform associates the Elastic IP a moment later, and the
  // switch resets the first package download.
  boot.setImds("public-ipv4", "198.51.100.77", "198.51.100.77", ELASTIC_IP);
  boot.setImds("public-hostname", PUBLIC_DNS);
  boot.failNext("dnf", 1);
  return boot;
}

/** Each pattern matches a call after the call the previous pattern matched, or the test fails listing the calls. */
function expectInOrder(calls: readonly string[], patterns: readonly RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const at = calls.findIndex((call, i) => i >= from && pattern.test(call));
    if (at < 0) throw new Error(`no ${pattern} after call ${from} in:\n${calls.map((c, i) => `${i} ${c}`).join("\n")}`);
    from = at + 1;
  }
}

describe("boot rehearsal: production on a 2 GiB instance", () => {
  let boot: BootHarness;
  let first: { code: number | null; output: string };
  let calls: string[];
  let files: Record<string, string>;
  let root: string;
  beforeAll(() => {
    boot = firstBoot({}, 1_950_000);
    first = boot.runScript();
    calls = boot.calls();
    files = boot.snapshot();
    root = boot.root;
  }, 30_000);
  afterAll(() => boot.remove());
  const read = (file: string) => fs.readFileSync(`${root}/${file}`, "utf8");

  it("succeeds, saying where Keycloak answers: the Elastic IP, on the standard port", () => {
    expect(first.output).not.toContain("FAILED");
    expect(first.code).toBe(0);
    expect(first.output).toContain(`Keycloak is ready at https://${ELASTIC_IP} `);
  });

  it("awaits Caddy's ACME certificate and reports its issuer and expiry", () => {
    expect(first.output).toMatch(
      new RegExp(`certificate for ${ELASTIC_IP.replace(/\./g, "\\.")}: issued by CN ?= ?E7, expires `),
    );
    const status = JSON.parse(boot.stubState("s3/kc-backups/status/boot.json"));
    expect(status).toMatchObject({
      state: "applied",
      certificate: expect.stringMatching(/^issued by CN ?= ?E7, expires /),
    });
  });

  it("runs the steps in order: swap, the Elastic IP, packages, PostgreSQL, TLS, image, environment, proxy, start, wait", () => {
    expectInOrder(calls, [
      /^dd if=\/dev\/zero of=\$ROOT\/swapfile bs=1M count=2048/,
      /^swapon \$ROOT\/swapfile$/,
      /^curl .*meta-data\/public-ipv4$/,
      /^curl .*meta-data\/public-ipv4$/,
      /^curl .*meta-data\/public-ipv4$/,
      /^dnf install -y -q docker openssl postgresql16 postgresql16-server$/,
      /^dnf install -y -q docker openssl postgresql16 postgresql16-server$/,
      /^systemctl enable --now docker$/,
      /^postgresql-setup --initdb$/,
      /^systemctl enable --now postgresql$/,
      /^aws ssm get-parameter .*--name \/keycloak-ec2\/keycloak\/db-password /,
      /^sudo -u postgres psql -q -v ON_ERROR_STOP=1$/,
      // The images before the environment that names them: a failed build leaves the running version alone.
      /^docker pull --quiet quay\.io\/keycloak\/keycloak:26\.\d+\.\d+$/,
      /^docker build --tag localhost\/keycloak-ec2\/keycloak:26\.\d+\.\d+-[0-9a-f]{12} /,
      /^docker image inspect caddy:2\.11\.4$/,
      /^docker pull --quiet caddy:2\.11\.4$/,
      /^aws ssm get-parameter .*--name \/keycloak-ec2\/keycloak\/admin-password /,
      // The proxy before Keycloak (it answers 502 meanwhile, and gets its certificate in parallel): its Caddyfile
      // checked by Caddy offline, then the unit restarted and seen to stay up.
      /^systemctl enable caddy\.service$/,
      /^docker run --rm --network none .* caddy:2\.11\.4 caddy validate --config \/etc\/caddy\/Caddyfile --adapter caddyfile$/,
      /^systemctl restart caddy\.service$/,
      /^systemctl is-active --quiet caddy\.service$/,
      /^systemctl enable keycloak\.service$/,
      /^systemctl restart keycloak\.service$/,
      /^docker rm --force keycloak$/,
      /^docker run --rm --pull=never --name keycloak /,
      // Keycloak's readiness, then the certificate: the configured CA's, unexpired.
      /^curl .*http:\/\/127\.0\.0\.1:9000\/health\/ready$/,
      /^openssl x509 -in \$ROOT\/srv\/keycloak-ec2\/caddy\/caddy\/certificates\/acme-v02\.api\.letsencrypt\.org-directory\/203\.0\.113\.7\/203\.0\.113\.7\.crt -noout -checkend 0$/,
      /^openssl x509 -in \$ROOT\/srv\/keycloak-ec2\/caddy\/caddy\/certificates\/acme-v02\.api\.letsencrypt\.org-directory\/203\.0\.113\.7\/203\.0\.113\.7\.crt -noout -issuer$/,
      /^curl .*http:\/\/127\.0\.0\.1:8080\/realms\/master\/protocol\/openid-connect\/token$/,
      /^systemctl enable --now keycloak-backup\.timer$/,
    ]);
    // acme: the boot makes no certificate of its own.
    expect(calls.filter((c) => c.startsWith("openssl req"))).toEqual([]);
    // The data volume before anything stateful; the realm created once Keycloak is ready.
    expectInOrder(calls, [
      /^systemctl enable --now docker$/,
      /^mkfs\.xfs -q -L keycloak-ec2 \$ROOT\/data-volume\.img$/,
      /^mount .*\$ROOT\/srv\/keycloak-ec2$/,
      /^postgresql-setup --initdb$/,
    ]);
    expect(boot.stubState("keycloak-api").split("\n")).toEqual([
      "POST /realms/master/protocol/openid-connect/token",
      "GET /admin/realms/app",
      "POST /admin/realms",
      "",
    ]);
    // No download before the Elastic IP, and the address reset on the first one was retried.
    const firstDownload = calls.findIndex((c) => c.startsWith("dnf "));
    const lastWait = calls.map((c) => c.includes("public-ipv4")).lastIndexOf(true);
    expect(lastWait).toBeLessThan(firstDownload);
    expect(first.output).toContain("waiting for the Elastic IP 203.0.113.7");
    expect(first.output).toContain("dnf failed (attempt 1 of 5)");
  });

  it("starts the built image optimized, with the sizes the memory script computed for 2 GiB and its swap", () => {
    const image = /^KEYCLOAK_IMAGE=(.*)$/m.exec(read("etc/keycloak-ec2/runtime.env"))![1];
    const run = calls.find((c) => c.startsWith("docker run --rm --pull=never --name keycloak "))!;
    expect(run).toContain(" --memory 948m --memory-swap 2996m --env JAVA_OPTS_KC_HEAP ");
    expect(run).toContain(
      ` ${image} start --optimized --cache=local --hostname=https://${ELASTIC_IP} --http-enabled=true --http-host=127.0.0.1 `,
    );
    expect(run).toMatch(/ --import-realm$/);
    expect(boot.stubState("container-env")).toBe("JAVA_OPTS_KC_HEAP=-Xms314m -Xmx628m\n");
    expect(read("var/lib/keycloak-ec2/image/Dockerfile")).toContain(
      "ENV KC_DB=postgres KC_HEALTH_ENABLED=true KC_METRICS_ENABLED=true\nRUN /opt/keycloak/bin/kc.sh build\n",
    );
  });

  it("makes the swap file once: keycloak.service's start finds it active, and sizes with it", () => {
    expectInOrder(calls, [
      /^swapon \$ROOT\/swapfile$/,
      /^systemctl restart keycloak\.service$/,
      // The memory script (ExecStartPre) looks for the swap file before it sizes.
      /^swapon --show=NAME --noheadings$/,
      /^docker run .* --memory 948m --memory-swap 2996m /,
    ]);
    expect(calls.filter((c) => /^(dd|mkswap|swapon \$ROOT)/.test(c))).toHaveLength(3);
  });

  it("writes the settings, environment, unit, memory and TLS files with their modes and owners", () => {
    expect(files).toMatchObject({
      "etc/keycloak-ec2/boot.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/keycloak.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/runtime.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/caddy.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/Caddyfile": expect.stringMatching(/^644 /),
      "etc/systemd/system/keycloak.service": expect.stringMatching(/^644 0:0 /),
      "etc/systemd/system/caddy.service": expect.stringMatching(/^644 /),
      "etc/systemd/system/caddy.service.d/keycloak-ec2-data.conf": expect.stringMatching(/^644 /),
      "opt/keycloak-ec2/keycloak-boot.sh": expect.stringMatching(/^700 /),
      "opt/keycloak-ec2/keycloak-memory.sh": expect.stringMatching(/^700 /),
      "opt/keycloak-ec2/import/app-realm.json": expect.stringMatching(/^644 /),
      "run/keycloak-ec2/memory.env": expect.stringMatching(/^644 0:0 /),
      "var/lib/pgsql/data/pg_hba.conf": expect.stringMatching(/^600 /),
      "var/lib/pgsql/data/keycloak-ec2.conf": expect.stringMatching(/^600 /),
    });
    expect(read("etc/keycloak-ec2/keycloak.env")).toContain(`KC_DB_PASSWORD=${SECRETS["db-password"]}\n`);
    expect(read("etc/keycloak-ec2/runtime.env")).toContain(`\nKEYCLOAK_URL=https://${ELASTIC_IP}\n`);
    expect(read("etc/keycloak-ec2/caddy.env")).toBe(
      `KEYCLOAK_PROXY_ADDRESS=${ELASTIC_IP}\nKEYCLOAK_ADMIN_CIDRS=198.51.100.0/24\nKEYCLOAK_ACME_EMAIL=\n`,
    );
    // acme: Caddy gets its certificate; the boot writes none.
    expect(Object.keys(files).filter((f) => f.startsWith("etc/keycloak-ec2/tls/"))).toEqual([]);
    expect(read("run/keycloak-ec2/memory.env")).toBe(
      'KEYCLOAK_MEMORY=948m\nKEYCLOAK_MEMORY_SWAP=2996m\nJAVA_OPTS_KC_HEAP="-Xms314m -Xmx628m"\n',
    );
    expect(read("etc/fstab")).toContain(`${root}/swapfile none swap defaults 0 0\n`);
    expect(read("var/lib/pgsql/data/postgresql.conf")).toContain("include_if_exists = 'keycloak-ec2.conf'\n");
    expect(boot.stubState("psql-input")).toContain("CREATE DATABASE keycloak OWNER keycloak");
  });

  it("prints no secret", () => {
    for (const secret of Object.values(SECRETS)) expect(first.output).not.toContain(secret);
  });

  it("changes nothing when run again: no download, no build, no restart, the same files", () => {
    // GIVEN the first boot done
    boot.clearCalls();
    // WHEN the boot runs again (by hand: sudo /opt/keycloak-ec2/keycloak-boot.sh)
    const again = boot.runScript();
    // THEN
    expect(again.code).toBe(0);
    expect(again.output).toContain("Keycloak is running with these settings already");
    // Only what is safe to repeat: checks, enables, the database role's password (a rotated secret), the health.
    const ssm = (name: string) =>
      `aws ssm get-parameter --region eu-west-3 --name /keycloak-ec2/keycloak/${name} --with-decryption --query Parameter.Value --output text`;
    const image = /^KEYCLOAK_IMAGE=(.*)$/m.exec(read("etc/keycloak-ec2/runtime.env"))![1];
    expect(boot.calls()).toEqual([
      "swapon --show=NAME --noheadings",
      "curl -fsS -X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 60 http://169.254.169.254/latest/api/token",
      "curl -fsS -H X-aws-ec2-metadata-token: token http://169.254.169.254/latest/meta-data/public-ipv4",
      "rpm -q --quiet docker openssl postgresql16 postgresql16-server",
      "systemctl enable --now docker",
      // The data volume: found formatted and mounted, so only checked (never formatted again).
      "blkid -p -o export $ROOT/data-volume.img",
      ...["-q srv/keycloak-ec2", "-d srv/keycloak-ec2", "-x data-volume.img", "-q srv/keycloak-ec2"]
        .map((check) => check.replace(" ", " $ROOT/"))
        .map((check) => `mountpoint ${check}`),
      // A no-op unless the volume was grown.
      "xfs_growfs -d $ROOT/srv/keycloak-ec2",
      ...[
        "-q var/lib/pgsql",
        "-q var/lib/pgsql",
        "-q var/lib/keycloak-ec2",
        "-q var/lib/keycloak-ec2",
        "-q etc/keycloak-ec2/tls",
        "-q etc/keycloak-ec2/tls",
        "-q srv/keycloak-ec2",
        "-d srv/keycloak-ec2",
        "-d var/lib/pgsql",
        "-d var/lib/keycloak-ec2",
        "-d etc/keycloak-ec2/tls",
      ]
        .map((check) => check.replace(" ", " $ROOT/"))
        .map((check) => `mountpoint ${check}`),
      "systemctl enable --now postgresql",
      "systemctl reload postgresql",
      ssm("db-password"),
      "sudo -u postgres psql -q -v ON_ERROR_STOP=1",
      `docker image inspect ${image}`,
      "docker image inspect caddy:2.11.4",
      ssm("admin-password"),
      ssm("db-password"),
      ssm("bff-client-secret"),
      ssm("service-client-secret"),
      // The proxy: running with the same Caddyfile, env file and unit, so neither checked nor restarted.
      "systemctl daemon-reload",
      "systemctl enable caddy.service",
      "systemctl is-active --quiet caddy.service",
      "systemctl daemon-reload",
      "systemctl enable keycloak.service",
      "systemctl is-active --quiet keycloak.service",
      "curl -fs --max-time 5 http://127.0.0.1:9000/health/ready",
      // The certificate Caddy keeps on the data volume, found at once.
      ...["checkend 0", "issuer", "enddate"].map(
        (field) =>
          `openssl x509 -in $ROOT/srv/keycloak-ec2/caddy/caddy/certificates/${ACME_ISSUER_DIR}/${ELASTIC_IP}/${ELASTIC_IP}.crt -noout -${field}`,
      ),
      // The realm: the request is rebuilt with the secrets and found applied already, so nothing is sent.
      ssm("admin-password"),
      ssm("bff-client-secret"),
      ssm("service-client-secret"),
      "systemctl daemon-reload",
      "systemctl enable --now keycloak-backup.timer",
      "aws s3 cp --only-show-errors --region eu-west-3 --content-type application/json - s3://kc-backups/status/boot.json",
    ]);
    expect(again.output).toContain("the proxy (Caddy) is running with these settings already");
    expect(again.output).toContain("as configured already");
    expect(boot.snapshot()).toEqual(files);
  });
});

describe("boot rehearsal: dev on a 4 GiB instance", () => {
  let boot: BootHarness;
  let first: { code: number | null; output: string };
  let calls: string[];
  beforeAll(() => {
    boot = firstBoot({ profile: "dev" }, 3_900_000);
    first = boot.runScript();
    calls = boot.calls();
  }, 30_000);
  afterAll(() => boot.remove());

  it("runs start-dev on Keycloak's own image, without swap, PostgreSQL or an image build", () => {
    expect(first.output).not.toContain("FAILED");
    expect(first.code).toBe(0);
    expect(calls.filter((c) => /^(dd|mkswap|swapon \$ROOT|postgresql-setup|sudo|docker build)/.test(c))).toEqual([]);
    expectInOrder(calls, [
      /^dnf install -y -q docker openssl$/,
      /^docker pull --quiet quay\.io\/keycloak\/keycloak:26\.\d+\.\d+$/,
      // dev: the boot's self-signed certificate, served by the proxy (started first); no ACME certificate awaited.
      /^systemctl restart caddy\.service$/,
      /^systemctl restart keycloak\.service$/,
      /^docker run .* --memory 2568m --memory-swap 2568m .* quay\.io\/keycloak\/keycloak:26\.\d+\.\d+ start-dev --cache=local /,
    ]);
    expect(calls.filter((c) => c.startsWith("openssl req -x509 "))).toHaveLength(1);
    expect(first.output).not.toContain("ACME certificate");
    expect(boot.stubState("container-env")).toBe("JAVA_OPTS_KC_HEAP=-Xms898m -Xmx1797m\n");
  });

  it("after a change of type down to 1 GiB, makes the swap file at Keycloak's next start, with no boot, and sizes with it", () => {
    // GIVEN the instance stopped and started as a 1 GiB type: Terraform's instance_type is not in the bundle, so no
    // boot runs
    boot.setMemory(950_000);
    boot.clearCalls();
    // WHEN systemd starts keycloak.service
    const { code, output } = boot.run("systemctl restart keycloak.service", {}, "/dev/null");
    // THEN the memory script (ExecStartPre) makes the swap file, then sizes the container with it
    expect(code).toBe(0);
    expect(output).toContain("adding a 2 GiB swap file");
    expect(boot.calls()).toEqual([
      "systemctl restart keycloak.service",
      "swapon --show=NAME --noheadings",
      "dd if=/dev/zero of=$ROOT/swapfile bs=1M count=2048 status=none",
      "mkswap $ROOT/swapfile",
      "swapon $ROOT/swapfile",
      "docker rm --force keycloak",
      expect.stringMatching(/^docker run .* --memory 768m --memory-swap 2816m .* start-dev /),
    ]);
    expect(fs.readFileSync(`${boot.root}/etc/fstab`, "utf8")).toContain(
      `${boot.root}/swapfile none swap defaults 0 0\n`,
    );
    expect(boot.stubState("container-env")).toBe("JAVA_OPTS_KC_HEAP=-Xms224m -Xmx448m\n");
  });
});

describe("boot rehearsal: a cluster node on a 4 GiB instance", () => {
  const CA_URL = "https://truststore.pki.rds.amazonaws.com/eu-west-3/eu-west-3-bundle.pem";
  let boot: BootHarness;
  let first: { code: number | null; output: string };
  let calls: string[];
  let files: Record<string, string>;
  const read = (file: string) => fs.readFileSync(`${boot.root}/${file}`, "utf8");
  beforeAll(() => {
    // GIVEN what cloud-init finds on a new node: the bundle's settings and files, the secrets (the database's too),
    // the instance metadata and AWS's CA bundle for the region
    boot = new BootHarness();
    boot.writeSettingsFile(settingsFile(bootSettings(CLUSTER_INPUT)));
    boot.writeBootFiles(staticBootFiles(CLUSTER_INPUT, DEFAULT_REALM));
    boot.putSecrets();
    boot.setImds("local-ipv4", "172.31.5.17");
    boot.setImds("instance-id", "i-0aaaaaaaaaaaaaaa1");
    const ca = selfSignedCertificate(path.join(boot.root, "rds-ca"), "Amazon RDS eu-west-3 Root CA RSA2048 G1");
    boot.serveHttps(CA_URL, ca.cert);
    boot.setMemory(3_900_000);
    // WHEN
    first = boot.runScript();
    calls = boot.calls();
    files = boot.snapshot();
  }, 30_000);
  afterAll(() => boot.remove());

  it("succeeds, saying where Keycloak answers: the hostname, through the load balancer", () => {
    expect(first.output).not.toContain("FAILED");
    expect(first.code).toBe(0);
    expect(first.output).toContain("Keycloak is ready at https://sso.example.com ");
    // Under its own name: another node's report cannot overwrite this one's.
    expect(JSON.parse(boot.stubState("s3/kc-bucket/status/nodes/i-0aaaaaaaaaaaaaaa1.json"))).toMatchObject({
      state: "applied",
      keycloakVersion: "26.7.4",
      realm: "app",
      certificate: "",
    });
    expect(() => boot.stubState("s3/kc-bucket/status/boot.json")).toThrow(/ENOENT/);
  });

  it("runs the steps in order: packages, node address, CA bundle, image, secrets, start, wait, realm, report", () => {
    expectInOrder(calls, [
      /^rpm -q --quiet docker openssl$/,
      /^dnf install -y -q docker openssl$/,
      /^systemctl enable --now docker$/,
      /^curl .*meta-data\/local-ipv4$/,
      /^curl .*meta-data\/instance-id$/,
      new RegExp(
        `^curl -fsS --proto =https --max-time 60 --output \\$ROOT/etc/keycloak-ec2/rds-ca-bundle\\.pem\\.new ${CA_URL}$`,
      ),
      /^openssl storeutl -noout -certs \$ROOT\/etc\/keycloak-ec2\/rds-ca-bundle\.pem\.new$/,
      /^docker pull --quiet quay\.io\/keycloak\/keycloak:26\.7\.4$/,
      /^docker build --tag localhost\/keycloak-ec2\/keycloak:26\.7\.4-[0-9a-f]{12} /,
      /^aws ssm get-parameter .*--name \/kc\/keycloak\/admin-password /,
      /^aws ssm get-parameter .*--name \/kc\/keycloak\/db-password /,
      /^systemctl enable keycloak\.service$/,
      /^systemctl restart keycloak\.service$/,
      /^docker run --rm --pull=never --name keycloak /,
      /^curl .*http:\/\/127\.0\.0\.1:9000\/health\/ready$/,
      // The realm: the bucket's record, this node's claim, the apply, the record.
      /^aws s3 cp --only-show-errors --region eu-west-3 s3:\/\/kc-bucket\/status\/realm\.sha256 -$/,
      /^aws s3 cp --only-show-errors --region eu-west-3 - s3:\/\/kc-bucket\/status\/realm\.claim$/,
      /^curl .*http:\/\/127\.0\.0\.1:8080\/realms\/master\/protocol\/openid-connect\/token$/,
      /^aws s3 cp --only-show-errors --region eu-west-3 - s3:\/\/kc-bucket\/status\/realm\.sha256$/,
      /^aws s3 cp .* - s3:\/\/kc-bucket\/status\/nodes\/i-0aaaaaaaaaaaaaaa1\.json$/,
      // Then, and only then, the group may put the node in service.
      /^aws autoscaling complete-lifecycle-action .*--instance-id i-0aaaaaaaaaaaaaaa1 --lifecycle-action-result CONTINUE$/,
    ]);
    // No data volume, PostgreSQL, proxy, Elastic IP, backups or swap (4 GiB).
    expect(
      calls.filter((c) =>
        /^(blkid|mkfs|mount|postgresql-setup|sudo|dd|mkswap|swapon \$ROOT)|caddy|postgresql16|postgresql\.service|public-ipv4|keycloak-backup/.test(
          c,
        ),
      ),
    ).toEqual([]);
    expect(boot.stubState("keycloak-api").split("\n")).toEqual([
      "POST /realms/master/protocol/openid-connect/token",
      "GET /admin/realms/app",
      "POST /admin/realms",
      "",
    ]);
  });

  it("starts the node with the cluster's options, the database, the trusted proxies and its own address filled in", () => {
    const image = /^KEYCLOAK_IMAGE=(.*)$/m.exec(read("etc/keycloak-ec2/runtime.env"))![1];
    const run = calls.find((c) => c.startsWith("docker run --rm --pull=never --name keycloak "))!;
    expect(run).toBe(
      [
        "docker run --rm --pull=never --name keycloak --network host --user 1000:0",
        "--memory 2568m --memory-swap 2568m --env JAVA_OPTS_KC_HEAP",
        "--env-file /etc/keycloak-ec2/keycloak.env",
        "--volume /etc/keycloak-ec2/rds-ca-bundle.pem:/opt/keycloak/conf/rds-ca-bundle.pem:ro",
        "--volume /opt/keycloak-ec2/import:/opt/keycloak/data/import:ro",
        `${image} start --optimized --cache=ispn --cache-stack=jdbc-ping --cache-embedded-network-bind-address=172.31.5.17`,
        "--hostname=https://sso.example.com",
        "--http-enabled=true --http-host=0.0.0.0 --http-port=8080",
        "--proxy-headers=xforwarded --proxy-trusted-addresses=172.31.0.0/16,10.1.0.0/24",
        "--db-url=jdbc:postgresql://kc.abcdefghij.eu-west-3.rds.amazonaws.com:5432/keycloak?sslmode=verify-full&sslrootcert=/opt/keycloak/conf/rds-ca-bundle.pem",
        "--db-username=keycloak --db-pool-max-size=30 --http-management-host=0.0.0.0 --import-realm",
      ].join(" "),
    );
    expect(read("var/lib/keycloak-ec2/image/Dockerfile")).toContain(
      "ENV KC_DB=postgres KC_HEALTH_ENABLED=true KC_METRICS_ENABLED=true\nRUN /opt/keycloak/bin/kc.sh build\n",
    );
  });

  it("writes the environment, the unit and the CA bundle with their modes; the password only in keycloak.env", () => {
    expect(files).toMatchObject({
      "etc/keycloak-ec2/boot.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/keycloak.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/runtime.env": expect.stringMatching(/^600 0:0 /),
      "etc/keycloak-ec2/rds-ca-bundle.pem": expect.stringMatching(/^644 0:0 /),
      "etc/systemd/system/keycloak.service": expect.stringMatching(/^644 /),
      "opt/keycloak-ec2/keycloak-cluster.sh": expect.stringMatching(/^700 /),
      "opt/keycloak-ec2/import/app-realm.json": expect.stringMatching(/^644 /),
      "run/keycloak-ec2/memory.env": expect.stringMatching(/^644 0:0 /),
    });
    expect(Object.keys(files).filter((f) => /caddy|Caddyfile|pgsql|srv\/|tls\/|realm-applied/.test(f))).toEqual([]);
    expect(read("etc/keycloak-ec2/keycloak.env")).toContain(`\nKC_DB_PASSWORD=${SECRETS["db-password"]}\n`);
    expect(boot.stubState("s3/kc-bucket/status/realm.sha256")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("prints no secret, and puts none on a command line", () => {
    for (const secret of Object.values(SECRETS)) {
      expect(first.output).not.toContain(secret);
      for (const call of calls) expect(call).not.toContain(secret);
    }
  });

  it("changes nothing when run again: no download, no build, no restart, no realm apply, the same files", () => {
    // GIVEN the first boot done
    boot.clearCalls();
    // WHEN the boot runs again (by hand)
    const again = boot.runScript();
    // THEN
    expect(again.code).toBe(0);
    const image = /^KEYCLOAK_IMAGE=(.*)$/m.exec(read("etc/keycloak-ec2/runtime.env"))![1];
    const ssm = (name: string) =>
      `aws ssm get-parameter --region eu-west-3 --name /kc/keycloak/${name} --with-decryption --query Parameter.Value --output text`;
    expect(boot.calls()).toEqual([
      "rpm -q --quiet docker openssl",
      "systemctl enable --now docker",
      "curl -fsS -X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 60 http://169.254.169.254/latest/api/token",
      "curl -fsS -H X-aws-ec2-metadata-token: token http://169.254.169.254/latest/meta-data/local-ipv4",
      "curl -fsS -X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 60 http://169.254.169.254/latest/api/token",
      "curl -fsS -H X-aws-ec2-metadata-token: token http://169.254.169.254/latest/meta-data/instance-id",
      "openssl storeutl -noout -certs $ROOT/etc/keycloak-ec2/rds-ca-bundle.pem",
      `docker image inspect ${image}`,
      ssm("admin-password"),
      ssm("db-password"),
      ssm("bff-client-secret"),
      ssm("service-client-secret"),
      "systemctl daemon-reload",
      "systemctl enable keycloak.service",
      "systemctl is-active --quiet keycloak.service",
      "curl -fs --max-time 5 http://127.0.0.1:9000/health/ready",
      // The realm: rebuilt with the secrets, found in the bucket's record, so nothing is sent.
      ssm("admin-password"),
      ssm("bff-client-secret"),
      ssm("service-client-secret"),
      "aws s3 cp --only-show-errors --region eu-west-3 s3://kc-bucket/status/realm.sha256 -",
      "aws s3 cp --only-show-errors --region eu-west-3 --content-type application/json - s3://kc-bucket/status/nodes/i-0aaaaaaaaaaaaaaa1.json",
      // No launch is pending any more: AWS says so, once.
      "aws autoscaling complete-lifecycle-action --region eu-west-3 --auto-scaling-group-name kc-hosts --lifecycle-hook-name keycloak-boot --instance-id i-0aaaaaaaaaaaaaaa1 --lifecycle-action-result CONTINUE",
    ]);
    expect(again.output).toContain("Keycloak is running with these settings already");
    expect(again.output).toContain("realm app: as configured already");
    expect(boot.snapshot()).toEqual(files);
  });
});
