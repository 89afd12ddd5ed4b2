import { isEc2Id } from "../../src/aws/ids";

describe("EC2 ids", () => {
  it.each([
    ["vpc-0123abcd", "vpc"],
    ["vpc-0123456789abcdef0", "vpc"],
    ["subnet-0123abcd", "subnet"],
    ["subnet-0123456789abcdef0", "subnet"],
  ] as const)("accepts %s as a %s id", (id, prefix) => {
    expect(isEc2Id(id, prefix)).toBe(true);
  });

  it.each([
    ["vpc-123", "vpc"],
    ["vpc-0123456789abcdef", "vpc"],
    ["vpc-0123456789ABCDEF0", "vpc"],
    ["vpc-0123456789abcdefg", "vpc"],
    ["subnet-0123abcd", "vpc"],
    ["vpc-0123abcd", "subnet"],
    [" subnet-0123abcd", "subnet"],
    ["subnet-0123abcd\n", "subnet"],
  ] as const)("refuses %j as a %s id", (id, prefix) => {
    expect(isEc2Id(id, prefix)).toBe(false);
  });
});
