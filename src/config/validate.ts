import { ARTICLE_AMI, ARTICLE_AMI_REGION } from "../aws/article-ami";
import { isSmallInstanceType } from "../aws/instance-types";
import { WORLD_CIDRS } from "../aws/cidr";
import { compareVersions } from "../text/version";
import { DEFAULT_KEYCLOAK_VERSION, DEFAULT_NAMES, MIN_CLUSTER_KEYCLOAK_VERSION } from "../defaults";
import { UserError } from "../errors";
import { checkKeys, describe, isJsonObject, Problems, ReadContext, readTable } from "./field";
import { CLUSTER_FIELDS } from "./cluster-fields";
import { COMMON_FIELDS, SERVER_FIELDS } from "./fields";
import { ClusterConfig, KeycloakEc2Config, Profile, ServerConfig } from "./schema";

/** A value given outside the file (a flag or an environment variable), named as the user gave it. */
export interface Override {
  readonly value: string;
  /** How to name it in an error: `--profile`, `KEYCLOAK_EC2_PROFILE`. */
  readonly origin: string;
}

export interface Overrides {
  readonly profile?: Override;
  readonly region?: Override;
}

export interface ValidatedConfig {
  readonly config: KeycloakEc2Config;
  /** Allowed but worth saying, one line each (`config warning: <field>: ...`). */
  readonly warnings: readonly string[];
}

/** Who may connect: somebody, in every profile that runs Keycloak. */
function checkReachable(httpsCidrs: readonly string[], problems: Problems): void {
  if (httpsCidrs.length === 0)
    problems.add(
      "httpsCidrs",
      "is empty: nobody could reach Keycloak",
      'list who may connect, e.g. ["0.0.0.0/0", "::/0"]',
    );
}

/** Rules across fields of a deployment that runs Keycloak. */
function checkServer(config: ServerConfig, problems: Problems): void {
  if (isSmallInstanceType(config.instanceType)) {
    problems.warn(
      "instanceType",
      `${config.instanceType} has less than 2 GiB of memory: Keycloak then leans on the 2 GiB swap file added on such types; expect slow starts (t3.small is the default)`,
    );
  }
  checkReachable(config.httpsCidrs, problems);
  if (config.vpcId !== undefined && config.subnetId === undefined)
    problems.add(
      "vpcId",
      "is given without subnetId: a VPC alone does not say where to launch the instance",
      `add "subnetId", a public subnet of ${config.vpcId}: aws ec2 describe-subnets --filters Name=vpc-id,Values=${config.vpcId}`,
    );
  if (config.availabilityZone !== undefined && config.subnetId !== undefined)
    problems.add(
      "availabilityZone",
      "is given with subnetId: the subnet decides the zone",
      "remove availabilityZone, or subnetId and let the default VPC's subnet of that zone be used",
    );
  if (config.availabilityZone !== undefined && !config.availabilityZone.startsWith(config.region))
    problems.add(
      "availabilityZone",
      `"${config.availabilityZone}" is not a zone of region ${config.region}`,
      `write a zone of ${config.region}, e.g. "${config.region}a"`,
    );
  if (config.followLatestAmi)
    problems.warn(
      "followLatestAmi",
      "replaces the instance on the first apply after AWS publishes a new Amazon Linux 2023 AMI: the data volume keeps every realm and user, and Keycloak is down for the few minutes the new instance takes to boot",
    );
  checkPublicAccess(config, problems);
  if (config.sshCidrs.length > 0 && config.keyName === undefined) {
    problems.warn(
      "sshCidrs",
      "opens port 22 but keyName is not set: nobody can log in over SSH (use Session Manager or set keyName)",
    );
  }
}

/** dnsZone needs the hostname, in the zone (a zone given by id is checked at plan time). */
function checkZoneHoldsHostname(zone: string, hostname: string | undefined, problems: Problems): void {
  if (hostname === undefined)
    problems.add(
      "dnsZone",
      "is given without keycloak.hostname: there is no name to put in the zone",
      'set keycloak.hostname to a name in the zone, e.g. "sso.example.com"',
    );
  else if (!zone.startsWith("Z") && hostname !== zone && !hostname.endsWith(`.${zone}`))
    problems.add(
      "dnsZone",
      `"${zone}" does not hold keycloak.hostname "${hostname}"`,
      `give the zone that holds ${hostname}, or a hostname that ends in .${zone}`,
    );
}

/** Production and the cluster warn when the whole internet may reach the admin paths. */
function checkAdminCidrs(adminCidrs: readonly string[] | undefined, httpsCidrs: readonly string[], problems: Problems) {
  if ((adminCidrs ?? httpsCidrs).some((cidr) => WORLD_CIDRS.includes(cidr)))
    problems.warn(
      "adminCidrs",
      `${adminCidrs === undefined ? "is not set, so it follows httpsCidrs, which lets" : "lets"} the whole internet reach the admin console and the admin REST API (/admin/): list your operators' networks, e.g. ["203.0.113.0/24"], or [] for nobody`,
    );
}

/** The address, its certificate and who may administer: rules across hostname, dnsZone, elasticIp and the CIDRs. */
function checkPublicAccess(config: ServerConfig, problems: Problems): void {
  const { hostname, tls } = config.keycloak;
  if (config.dnsZone !== undefined) {
    checkZoneHoldsHostname(config.dnsZone, hostname, problems);
    if (!config.elasticIp)
      problems.add(
        "dnsZone",
        "needs elasticIp: the record would point at an address that changes at every stop and start",
        "set elasticIp to true, or remove dnsZone",
      );
  }
  if (tls.mode === "acme" && hostname === undefined && !config.elasticIp)
    problems.warn(
      "elasticIp",
      "is false, so the certificate is for an address that changes at every stop and start: each new one needs a new certificate, and clients must follow the address (keep the Elastic IP, or set keycloak.hostname)",
    );
  if (tls.mode === "supplied" && hostname === undefined)
    problems.warn(
      "keycloak.tlsCertificate",
      "is served for the Elastic IP, as keycloak.hostname is not set: clients verify it only if it names that address (set keycloak.hostname to the certificate's name)",
    );
  if (config.profile === "production") checkAdminCidrs(config.adminCidrs, config.httpsCidrs, problems);
}

/** An override of the profile that keeps the file's name: both profiles would share one state and SSM path. */
function checkProfileOverride(
  file: Record<string, unknown>,
  overrides: Overrides,
  profile: Profile,
  problems: Problems,
) {
  const override = overrides.profile;
  const fileProfile = file.profile ?? "production";
  if (!override || file.name === undefined || fileProfile === profile) return;
  problems.warn(
    override.origin,
    `"${profile}" replaces the file's profile ${describe(fileProfile)} but keeps its name ${describe(file.name)}: the same state file and SSM path, so this run plans over that deployment (give this profile a config file with a name of its own)`,
  );
}

/** The dev and production fields the cluster reads too; the others it has no use for. */
const { elasticIp, followLatestAmi, dataVolumeSize, availabilityZone, subnetId, ...SHARED_FIELDS } = SERVER_FIELDS;
const SINGLE_INSTANCE_ONLY = Object.keys(SERVER_FIELDS).filter((key) => !(key in SHARED_FIELDS));

/** A cluster config: the fields it shares with dev and production, and its own, checked together. */
function readCluster(
  file: Record<string, unknown>,
  common: Omit<ClusterConfig, "profile" | keyof typeof SERVER_FIELDS | keyof typeof CLUSTER_FIELDS>,
  context: ReadContext,
): ClusterConfig {
  const { problems } = context;
  for (const key of SINGLE_INSTANCE_ONLY.filter((k) => file[k] !== undefined))
    problems.warn(key, "the cluster profile ignores it: its instances come and go in an Auto Scaling group");
  for (const key of ["keyName", "securityGroupName", "instanceName"].filter((k) => file[k] !== undefined))
    problems.warn(key, "the cluster profile ignores it: its resources are named after name, and its nodes take no SSH");
  const own = readTable({ ...SHARED_FIELDS, ...CLUSTER_FIELDS }, file, "", context);
  // Required by the cluster: checkCluster says so when they are missing.
  const config = {
    profile: "cluster" as const,
    ...common,
    ...own,
    dnsZone: own.dnsZone ?? "",
    keycloak: { ...own.keycloak, hostname: own.keycloak.hostname ?? "" },
  };
  checkCluster(config, file, problems);
  return config;
}

/** Rules across the cluster's fields. */
function checkCluster(config: ClusterConfig, file: Record<string, unknown>, problems: Problems): void {
  checkReachable(config.httpsCidrs, problems);
  const { hostname } = config.keycloak;
  if (hostname === "")
    problems.add(
      "keycloak.hostname",
      "is required by the cluster profile: the load balancer's certificate (from ACM) is for a name",
      'set it to a name in dnsZone, e.g. "sso.example.com"',
    );
  if (config.dnsZone === "")
    problems.add(
      "dnsZone",
      "is required by the cluster profile: ACM validates the certificate, and the stack makes the name, in that zone",
      'give the Route 53 public hosted zone that holds keycloak.hostname, e.g. "example.com"',
    );
  else if (hostname !== "") checkZoneHoldsHostname(config.dnsZone, hostname, problems);
  const keycloakRaw = isJsonObject(file.keycloak) ? file.keycloak : {};
  for (const key of ["tls", "tlsCertificate"] as const)
    if (keycloakRaw[key] !== undefined)
      problems.add(
        `keycloak.${key}`,
        "does not apply to the cluster profile: the load balancer serves a certificate from ACM for keycloak.hostname",
        `remove keycloak.${key}`,
      );
  if (compareVersions(config.keycloak.version, MIN_CLUSTER_KEYCLOAK_VERSION) < 0)
    problems.add(
      "keycloak.version",
      `"${config.keycloak.version}" is older than ${MIN_CLUSTER_KEYCLOAK_VERSION}: a cluster needs jdbc-ping discovery (26.1; a VPC carries no multicast) and rolling updates across patch releases (26.6), as its nodes are replaced one by one`,
      `use ${MIN_CLUSTER_KEYCLOAK_VERSION} or later, e.g. "${DEFAULT_KEYCLOAK_VERSION}"`,
    );
  // The name prefixes the Auto Scaling group's IAM names (3 characters at least) and the RDS identifier (no "--").
  if (config.name.length < 3 || config.name.includes("--"))
    problems.add(
      "name",
      `"${config.name}" is too short or holds "--", which the cluster's IAM names and RDS identifier refuse`,
      'use 3 or more characters without "--", e.g. "sso-cluster"',
    );
  const { minSize, desiredCapacity, maxSize } = config.cluster;
  if (!(minSize <= desiredCapacity && desiredCapacity <= maxSize))
    problems.add(
      "cluster",
      `minSize ${minSize}, desiredCapacity ${desiredCapacity} and maxSize ${maxSize} are out of order`,
      "keep minSize <= desiredCapacity <= maxSize",
    );
  // Counted as written: an unreadable list reads as [] and is reported already.
  const subnetsGiven = Array.isArray(file.subnetIds) ? file.subnetIds.length : undefined;
  if (subnetsGiven !== undefined && subnetsGiven < 2)
    problems.add(
      "subnetIds",
      `has ${subnetsGiven} subnet${subnetsGiven === 1 ? "" : "s"}: a load balancer and a Multi-AZ database need two availability zones`,
      "list subnets in at least two zones of one VPC",
    );
  if (config.vpcId !== undefined && config.subnetIds === undefined)
    problems.add("vpcId", "is given without subnetIds: a VPC does not say which subnets to use", "add subnetIds");
  if (config.backupRetentionDays < 7)
    problems.add(
      "backupRetentionDays",
      `is ${config.backupRetentionDays}: the cluster keeps its database's automated backups at least 7 days`,
      "write 7 to 35, the days RDS keeps automated backups",
    );
  else if (config.backupRetentionDays > 35)
    problems.add(
      "backupRetentionDays",
      `is ${config.backupRetentionDays}: RDS keeps automated backups at most 35 days`,
      "write 35 or less",
    );
  const accessLogsRaw = isJsonObject(file.accessLogs) ? file.accessLogs : {};
  if (!config.accessLogs.enabled && accessLogsRaw.retainDays !== undefined)
    problems.warn(
      "accessLogs.retainDays",
      "is read only with accessLogs.enabled true: no access logs are written (set accessLogs.enabled to true, or remove it)",
    );
  if (config.sshCidrs.length > 0)
    problems.add(
      "sshCidrs",
      "does not apply to the cluster profile: its instances take no SSH (they come and go)",
      "remove sshCidrs and use Session Manager (aws ssm start-session)",
    );
  if (
    config.database.engine === "aurora-postgresql" &&
    isJsonObject(file.database) &&
    file.database.allocatedStorage !== undefined
  )
    problems.warn("database.allocatedStorage", "is ignored by Aurora, which grows its storage itself");
  checkAdminCidrs(config.adminCidrs, config.httpsCidrs, problems);
}

/**
 * Checks a parsed config file (or `{}` when there is none) with its overrides, and fills in the profile's defaults.
 * Throws one UserError listing every problem. `source` names the file in a problem with the file as a whole (the
 * path as the user gave it).
 */
export function validateConfig(raw: unknown, overrides: Overrides = {}, source = "config"): ValidatedConfig {
  const problems = new Problems();
  const file = isJsonObject(raw)
    ? raw
    : (problems.add(
        source,
        `the config must be a JSON object, got ${describe(raw)}`,
        'write { "profile": "production", ... }',
      ),
      {});
  checkKeys(
    file,
    "",
    [...Object.keys(COMMON_FIELDS), ...Object.keys(SERVER_FIELDS), ...Object.keys(CLUSTER_FIELDS)],
    problems,
  );

  // The profile comes first, then the name: the defaults and rules of the other fields depend on them.
  const profile = COMMON_FIELDS.profile.read(
    overrides.profile?.value ?? file.profile,
    overrides.profile?.origin ?? "profile",
    {
      problems,
      profile: "production",
      name: DEFAULT_NAMES.production,
    },
  );
  const name = COMMON_FIELDS.name.read(file.name, "name", { problems, profile, name: DEFAULT_NAMES[profile] });
  const context: ReadContext = { problems, profile, name };
  checkProfileOverride(file, overrides, profile, problems);
  const regionOrigin = overrides.region?.origin ?? "region";
  const common = {
    name,
    region: COMMON_FIELDS.region.read(overrides.region?.value ?? file.region, regionOrigin, context),
    instanceType: COMMON_FIELDS.instanceType.read(file.instanceType, "instanceType", context),
    keyName: COMMON_FIELDS.keyName.read(file.keyName, "keyName", context),
    sshCidrs: COMMON_FIELDS.sshCidrs.read(file.sshCidrs, "sshCidrs", context),
    httpsCidrs: COMMON_FIELDS.httpsCidrs.read(file.httpsCidrs, "httpsCidrs", context),
    securityGroupName: COMMON_FIELDS.securityGroupName.read(file.securityGroupName, "securityGroupName", context),
    instanceName: COMMON_FIELDS.instanceName.read(file.instanceName, "instanceName", context),
    tags: COMMON_FIELDS.tags.read(file.tags, "tags", context),
    backend: COMMON_FIELDS.backend.read(file.backend, "backend", context),
  };

  let config: KeycloakEc2Config;
  if (profile === "article") {
    if (common.region !== ARTICLE_AMI_REGION)
      problems.warn(
        regionOrigin,
        `the article profile launches the guide's AMI ${ARTICLE_AMI}, which exists in ${ARTICLE_AMI_REGION} only: in ${common.region} the apply fails with InvalidAMIID.NotFound (use ${ARTICLE_AMI_REGION}, or the dev or production profile, which find their AMI in any region)`,
      );
    for (const key of [...Object.keys(SERVER_FIELDS), ...Object.keys(CLUSTER_FIELDS)].filter(
      (k) => file[k] !== undefined,
    )) {
      problems.warn(
        key,
        "the article profile ignores it: it reproduces the guide's Terraform, which does not run Keycloak (use profile production, dev or cluster)",
      );
    }
    config = { profile, ...common };
  } else if (profile === "cluster") {
    config = readCluster(file, common, context);
  } else {
    const server: ServerConfig = { profile, ...common, ...readTable(SERVER_FIELDS, file, "", context) };
    for (const key of Object.keys(CLUSTER_FIELDS).filter((k) => file[k] !== undefined))
      problems.warn(
        key,
        `the ${profile} profile ignores it: only the cluster profile reads it (remove it, or use profile cluster)`,
      );
    checkServer(server, problems);
    config = server;
  }
  if (problems.lines.length) throw new UserError(problems.lines);
  return { config, warnings: problems.warnings };
}
