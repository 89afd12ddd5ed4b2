import { isEc2Id } from "../aws/ids";
import { DEFAULT_ACCESS_LOG_DAYS, DEFAULT_CLUSTER_DATABASE, DEFAULT_CLUSTER_SIZE } from "../defaults";
import {
  booleanField,
  describe,
  Field,
  integerField,
  objectField,
  oneOfField,
  stringField,
  stringListField,
} from "./field";
import { EC2_ID_FIX } from "./fields";

/**
 * The fields of the cluster profile that no other profile has: where its subnets are, the Auto Scaling group's
 * sizes and the database. The fields it shares with dev and production (the
 * keycloak object, adminCidrs, dnsZone, volumes, backups) are declared in ./fields.ts.
 */

const sizeField = (doc: string, value: number, min: number, max: number) =>
  integerField({
    type: "integer",
    doc,
    defaultText: `\`${value}\``,
    default: () => value,
    min,
    max,
    unit: "instances",
    example: value,
  });

export const CLUSTER_SIZE_FIELDS = {
  minSize: sizeField("Fewest instances the Auto Scaling group keeps.", DEFAULT_CLUSTER_SIZE.minSize, 1, 100),
  desiredCapacity: sizeField(
    "Instances at first (the scaling policy moves it between minSize and maxSize).",
    DEFAULT_CLUSTER_SIZE.desiredCapacity,
    1,
    100,
  ),
  maxSize: sizeField("Most instances the Auto Scaling group may run.", DEFAULT_CLUSTER_SIZE.maxSize, 1, 100),
  cpuTarget: integerField({
    type: "integer (percent)",
    doc: "Average CPU utilisation the group's target-tracking policy keeps, adding or removing instances.",
    defaultText: `\`${DEFAULT_CLUSTER_SIZE.cpuTarget}\``,
    default: () => DEFAULT_CLUSTER_SIZE.cpuTarget,
    min: 10,
    max: 90,
    unit: "percent",
    example: 60,
  }),
};

export const DATABASE_FIELDS = {
  engine: oneOfField(["postgres", "aurora-postgresql"] as const, {
    doc: "Amazon RDS for PostgreSQL, or Aurora PostgreSQL (a writer, and a reader in another zone when multiAz).",
    defaultText: `\`"${DEFAULT_CLUSTER_DATABASE.engine}"\``,
    default: () => DEFAULT_CLUSTER_DATABASE.engine,
  }),
  instanceClass: stringField({
    type: "DB instance class",
    doc: "The database's instance class.",
    defaultText: `\`"${DEFAULT_CLUSTER_DATABASE.instanceClass}"\``,
    default: () => DEFAULT_CLUSTER_DATABASE.instanceClass,
    check: (value) => (/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(value) ? undefined : `"${value}" is not a DB instance class`),
    fix: 'write e.g. "db.t4g.medium" or "db.r7g.large"',
  }),
  multiAz: booleanField({
    doc: "A standby (RDS) or a reader (Aurora) in a second zone, failed over to automatically.",
    defaultText: "`true`",
    default: () => DEFAULT_CLUSTER_DATABASE.multiAz,
  }),
  allocatedStorage: integerField({
    type: "integer (GiB)",
    doc: "Storage of an RDS for PostgreSQL database, 20 to 65536 (Aurora grows its own).",
    defaultText: `\`${DEFAULT_CLUSTER_DATABASE.allocatedStorage}\``,
    default: () => DEFAULT_CLUSTER_DATABASE.allocatedStorage,
    min: 20,
    max: 65536,
    unit: "GiB",
    example: 20,
  }),
};

const subnetIdList = stringListField({
  type: "list of subnet ids",
  doc: "Subnets of one VPC, in at least two availability zones, for the load balancer, the instances and the database (cluster). Public subnets (routed to an internet gateway): the instances get public addresses to reach packages, images and AWS APIs.",
  defaultText: "the default VPC's default subnets",
  default: () => [],
  checkItem: (id, at, { problems }) =>
    isEc2Id(id, "subnet") ||
    problems.add(at, `${describe(id)} is not a subnet id`, EC2_ID_FIX("subnet", "subnet-0123456789abcdef0")),
});

/** Absent: the default VPC's subnets, looked up at plan time. */
const subnetIdsField: Field<readonly string[] | undefined> = {
  ...subnetIdList,
  read: (raw, at, context) => (raw === undefined ? undefined : subnetIdList.read(raw, at, context)),
};

export const ACCESS_LOG_FIELDS = {
  enabled: booleanField({
    doc: "Write the load balancer's access logs to the deployment's bucket, under logs/load-balancer/ (cluster).",
    defaultText: "`false`",
    default: () => false,
  }),
  retainDays: integerField({
    type: "integer (days)",
    doc: "Days an access log is kept, 1 to 3650 (read with enabled).",
    defaultText: `\`${DEFAULT_ACCESS_LOG_DAYS}\``,
    default: () => DEFAULT_ACCESS_LOG_DAYS,
    min: 1,
    max: 3650,
    unit: "days",
    example: DEFAULT_ACCESS_LOG_DAYS,
  }),
};

export const CLUSTER_FIELDS = {
  subnetIds: subnetIdsField,
  cluster: objectField(CLUSTER_SIZE_FIELDS, { doc: "The Auto Scaling group (cluster)." }),
  database: objectField(DATABASE_FIELDS, { doc: "The database (cluster)." }),
  accessLogs: objectField(ACCESS_LOG_FIELDS, { doc: "The load balancer's access logs (cluster)." }),
};
