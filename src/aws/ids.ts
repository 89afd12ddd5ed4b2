/**
 * EC2 resource ids: a prefix, a dash and 8 hexadecimal digits (ids made before 2016-2018) or 17 (the longer ids EC2
 * has issued since), in lower case.
 */
export type Ec2IdPrefix = "vpc" | "subnet";

/** Whether `id` is an EC2 id of the given kind: `vpc-0123456789abcdef0`, `subnet-12345678`. */
export function isEc2Id(id: string, prefix: Ec2IdPrefix): boolean {
  return new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}
