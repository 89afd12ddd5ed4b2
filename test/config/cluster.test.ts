import { ClusterConfig } from "../../src/config/schema";
import { validateConfig } from "../../src/config/validate";
import { problemsOf } from "../problems";

// The cluster profile's config: what it requires, its own fields and their rules, and what it refuses of the
// single-instance profiles.

const BASE = { profile: "cluster", keycloak: { hostname: "sso.example.com" }, dnsZone: "example.com" };
const cluster = (raw: Record<string, unknown> = {}) => validateConfig({ ...BASE, ...raw }).config as ClusterConfig;

describe("the cluster profile", () => {
  it("takes two to four t3.medium nodes, RDS for PostgreSQL Multi-AZ, protected data and a name of its own", () => {
    const config = cluster();
    expect(config).toMatchObject({
      profile: "cluster",
      name: "keycloak-ec2-cluster",
      instanceType: "t3.medium",
      cluster: { minSize: 2, desiredCapacity: 2, maxSize: 4, cpuTarget: 60 },
      database: { engine: "postgres", instanceClass: "db.t4g.medium", multiAz: true, allocatedStorage: 20 },
      dataProtection: true,
      backupRetentionDays: 14,
      dnsZone: "example.com",
      keycloak: { hostname: "sso.example.com" },
      accessLogs: { enabled: false, retainDays: 90 },
    });
    expect(config.subnetIds).toBeUndefined();
  });

  it("takes its own sizes, database and subnets", () => {
    const config = cluster({
      cluster: { minSize: 3, desiredCapacity: 3, maxSize: 6, cpuTarget: 50 },
      database: { engine: "aurora-postgresql", instanceClass: "db.r7g.large", multiAz: false },
      subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
      vpcId: "vpc-0123456789abcdef0",
      adminCidrs: ["203.0.113.0/24"],
    });
    expect(config.cluster).toEqual({ minSize: 3, desiredCapacity: 3, maxSize: 6, cpuTarget: 50 });
    expect(config.database).toMatchObject({
      engine: "aurora-postgresql",
      instanceClass: "db.r7g.large",
      multiAz: false,
    });
    expect(config.subnetIds).toHaveLength(2);
  });

  it("takes the load balancer's access logs, and refuses a retention outside 1 to 3650 days", () => {
    expect(cluster({ accessLogs: { enabled: true } }).accessLogs).toEqual({ enabled: true, retainDays: 90 });
    expect(cluster({ accessLogs: { enabled: true, retainDays: 400 } }).accessLogs.retainDays).toBe(400);
    expect(problemsOf(() => validateConfig({ ...BASE, accessLogs: { enabled: true, retainDays: 0 } }))).toEqual([
      expect.stringMatching(/^config error: accessLogs\.retainDays: .*0/),
    ]);
    expect(validateConfig({ profile: "production", accessLogs: { enabled: true } }).warnings).toContain(
      "config warning: accessLogs: the production profile ignores it: only the cluster profile reads it (remove it, or use profile cluster)",
    );
    expect(validateConfig({ profile: "article", accessLogs: { retainDays: 30 } }).warnings).toEqual([
      expect.stringMatching(/^config warning: accessLogs: the article profile ignores it/),
    ]);
    expect(validateConfig({ ...BASE, adminCidrs: [], accessLogs: { retainDays: 30 } }).warnings).toContain(
      "config warning: accessLogs.retainDays: is read only with accessLogs.enabled true: no access logs are written (set accessLogs.enabled to true, or remove it)",
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "without a hostname",
      { keycloak: {} },
      'config error: keycloak.hostname: is required by the cluster profile: the load balancer\'s certificate (from ACM) is for a name (set it to a name in dnsZone, e.g. "sso.example.com")',
    ],
    [
      "without a zone",
      { dnsZone: undefined },
      'config error: dnsZone: is required by the cluster profile: ACM validates the certificate, and the stack makes the name, in that zone (give the Route 53 public hosted zone that holds keycloak.hostname, e.g. "example.com")',
    ],
    [
      "nobody allowed to connect",
      { httpsCidrs: [] },
      'config error: httpsCidrs: is empty: nobody could reach Keycloak (list who may connect, e.g. ["0.0.0.0/0", "::/0"])',
    ],
    [
      "a subnet id that is not one, once (not also as a list too short)",
      { subnetIds: ["subnet-0123456789abcdef0", "subnet-x"] },
      'config error: subnetIds[1]: "subnet-x" is not a subnet id (write "subnet-" and 8 or 17 lower-case hexadecimal digits, e.g. "subnet-0123456789abcdef0")',
    ],
    [
      "a zone that does not hold the hostname",
      { dnsZone: "example.org" },
      'config error: dnsZone: "example.org" does not hold keycloak.hostname "sso.example.com" (give the zone that holds sso.example.com, or a hostname that ends in .example.org)',
    ],
    [
      "a name the cluster's IAM names and RDS identifier refuse",
      { name: "a--b" },
      'config error: name: "a--b" is too short or holds "--", which the cluster\'s IAM names and RDS identifier refuse (use 3 or more characters without "--", e.g. "sso-cluster")',
    ],
    [
      "min over max",
      { cluster: { minSize: 5, maxSize: 4, desiredCapacity: 4 } },
      "config error: cluster: minSize 5, desiredCapacity 4 and maxSize 4 are out of order (keep minSize <= desiredCapacity <= maxSize)",
    ],
    [
      "one subnet (one zone)",
      { subnetIds: ["subnet-0123456789abcdef0"] },
      "config error: subnetIds: has 1 subnet: a load balancer and a Multi-AZ database need two availability zones (list subnets in at least two zones of one VPC)",
    ],
    [
      "a Keycloak that cannot roll its nodes one by one",
      { keycloak: { hostname: "sso.example.com", version: "26.5.3" } },
      'config error: keycloak.version: "26.5.3" is older than 26.6.0: a cluster needs jdbc-ping discovery (26.1; a VPC carries no multicast) and rolling updates across patch releases (26.6), as its nodes are replaced one by one (use 26.6.0 or later, e.g. "26.7.4")',
    ],
    [
      "a TLS mode (the load balancer's certificate is ACM's)",
      { keycloak: { hostname: "sso.example.com", tls: { mode: "self-signed" } } },
      "config error: keycloak.tls: does not apply to the cluster profile: the load balancer serves a certificate from ACM for keycloak.hostname (remove keycloak.tls)",
    ],
    [
      "backups kept less than a week",
      { backupRetentionDays: 3 },
      "config error: backupRetentionDays: is 3: the cluster keeps its database's automated backups at least 7 days (write 7 to 35, the days RDS keeps automated backups)",
    ],
    [
      "SSH",
      { sshCidrs: ["203.0.113.0/24"] },
      "config error: sshCidrs: does not apply to the cluster profile: its instances take no SSH (they come and go) (remove sshCidrs and use Session Manager (aws ssm start-session))",
    ],
    [
      "a database class that is not one",
      { database: { instanceClass: "t4g.medium" } },
      'config error: database.instanceClass: "t4g.medium" is not a DB instance class (write e.g. "db.t4g.medium" or "db.r7g.large")',
    ],
  ])("refuses %s, naming the field and the fix", (_, raw, line) => {
    expect(problemsOf(() => validateConfig({ ...BASE, ...raw }))).toEqual([line]);
  });

  it("warns about the single-instance fields it ignores, and the others warn about its own", () => {
    const { warnings } = validateConfig({
      ...BASE,
      elasticIp: false,
      dataVolumeSize: 20,
      adminCidrs: [],
      keyName: "ops",
    });
    expect(warnings.filter((w) => !w.includes("keycloak.realm"))).toEqual([
      "config warning: elasticIp: the cluster profile ignores it: its instances come and go in an Auto Scaling group",
      "config warning: dataVolumeSize: the cluster profile ignores it: its instances come and go in an Auto Scaling group",
      "config warning: keyName: the cluster profile ignores it: its resources are named after name, and its nodes take no SSH",
    ]);
    expect(validateConfig({ profile: "dev", cluster: { maxSize: 3 } }).warnings).toEqual([
      "config warning: cluster: the dev profile ignores it: only the cluster profile reads it (remove it, or use profile cluster)",
    ]);
  });

  it("warns of the demo realm's localhost URIs, as production does", () => {
    expect(validateConfig({ ...BASE, adminCidrs: [] }).warnings).toEqual([
      expect.stringMatching(
        /^config warning: keycloak\.realm\.spa\.redirectUris\[0\]: "http:\/\/localhost:5173\/\*" \(the default\) points at localhost/,
      ),
      expect.stringMatching(/^config warning: keycloak\.realm\.bff\.redirectUris\[0\]: /),
    ]);
  });

  it("warns when the whole internet may administer, as production does", () => {
    expect(validateConfig(BASE).warnings.filter((w) => !w.includes("keycloak.realm"))).toEqual([
      expect.stringMatching(
        /^config warning: adminCidrs: is not set, so it follows httpsCidrs, which lets the whole internet/,
      ),
    ]);
  });
});
