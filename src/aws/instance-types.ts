import awsNames from "./aws-names.json";

/** Every EC2 instance type name (from the AWS SDK, see scripts/update-aws-names.js). */
export const INSTANCE_TYPES: ReadonlySet<string> = new Set(awsNames.instanceTypes);

/** Every AWS region code of the commercial, China, GovCloud and EU sovereign partitions. */
export const REGIONS: ReadonlySet<string> = new Set(awsNames.regions);

/** The family of an instance type: `t3` for `t3.small`. */
export function instanceFamily(instanceType: string): string {
  return instanceType.split(".")[0]!;
}

/** Whether an instance type runs arm64 (AWS Graviton: a `g` after the generation digit, or the a1 family). */
export function isArm64InstanceType(instanceType: string): boolean {
  const family = instanceFamily(instanceType);
  return family === "a1" || /^[a-z]+\d+g[a-z]*$/.test(family);
}

/** Families Amazon Linux 2023 does not run on (A1 and the first-generation Xen types). */
export const NOT_ON_AL2023: readonly string[] = ["a1", "c1", "m1", "m2", "t1"];

/** Instance types with less than 2 GiB of memory: Keycloak's JVM and PostgreSQL do not fit without swap. */
export function isSmallInstanceType(instanceType: string): boolean {
  const size = instanceType.split(".")[1];
  return size === "nano" || size === "micro";
}
