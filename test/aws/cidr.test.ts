import { isNetworkCidr, networkAddressOf } from "../../src/aws/cidr";

describe("CIDRs as AWS accepts them", () => {
  it.each(["0.0.0.0/0", "10.0.0.0/8", "203.0.113.7/32", "::/0", "2001:db8::/32", "2001:db8:0:1::/64", "fe80::1/128"])(
    "accepts %s",
    (cidr) => {
      expect(isNetworkCidr(cidr)).toBe(true);
    },
  );

  it.each([
    "10.0.0.0",
    "10.0.0.0/33",
    "256.0.0.0/8",
    "10.0.0/8",
    "10.0.0.0/-1",
    "::/129",
    "2001:db8::g/64",
    "::ffff:10.0.0.0/104",
    "fe80::1%eth0/64",
    " 10.0.0.0/8",
    "10.0.0.1/8",
  ])("rejects %s", (cidr) => {
    expect(isNetworkCidr(cidr)).toBe(false);
  });

  it.each([
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["192.168.1.77/26", "192.168.1.64/26"],
    ["2001:db8::1/64", "2001:db8::/64"],
    ["2001:db8:aa:bb:cc::1/48", "2001:db8:aa::/48"],
    ["::1/0", "::/0"],
  ])("gives the network address of %s as %s", (cidr, network) => {
    expect(networkAddressOf(cidr)).toBe(network);
    expect(isNetworkCidr(network)).toBe(true);
  });
});
