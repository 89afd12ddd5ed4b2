import { isIPv4, isIPv6 } from "node:net";

interface ParsedCidr {
  readonly bits: bigint;
  readonly prefix: number;
  readonly width: 32 | 128;
}

function parse(cidr: string): ParsedCidr | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) return undefined;
  const [, address, prefixText] = match;
  const prefix = Number(prefixText);
  if (isIPv4(address)) {
    if (prefix > 32) return undefined;
    const bits = address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
    return { bits, prefix, width: 32 };
  }
  if (isIPv6(address) && !address.includes(".") && !address.includes("%")) {
    if (prefix > 128) return undefined;
    const [head, tail = ""] = address.split("::");
    const groups = (text: string) => (text ? text.split(":") : []);
    const missing = 8 - groups(head).length - groups(tail).length;
    const all = address.includes("::") ? [...groups(head), ...Array(missing).fill("0"), ...groups(tail)] : groups(head);
    const bits = all.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
    return { bits, prefix, width: 128 };
  }
  return undefined;
}

function hostMask({ prefix, width }: ParsedCidr): bigint {
  return (1n << BigInt(width - prefix)) - 1n;
}

/** True for an IPv4 or IPv6 CIDR whose prefix fits its family and whose host bits are zero (what AWS accepts). */
export function isNetworkCidr(cidr: string): boolean {
  const parsed = parse(cidr);
  return parsed !== undefined && (parsed.bits & hostMask(parsed)) === 0n;
}

/** The network address of a well-formed CIDR (`10.0.0.7/24` -> `10.0.0.0/24`), or undefined if it is not one. */
export function networkAddressOf(cidr: string): string | undefined {
  const parsed = parse(cidr);
  if (!parsed) return undefined;
  const network = parsed.bits & ~hostMask(parsed);
  if (parsed.width === 32) {
    const octets = [24n, 16n, 8n, 0n].map((shift) => String((network >> shift) & 255n));
    return `${octets.join(".")}/${parsed.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Shorten the longest run of zero groups to "::", as RFC 5952 writes it.
  const text = groups
    .join(":")
    .replace(/(^|:)0(:0)+(:|$)/, "::")
    .replace(/:{3,}/, "::");
  return `${text}/${parsed.prefix}`;
}

/** The whole internet, IPv4 and IPv6: the default of `httpsCidrs` and the destination of outbound rules. */
export const WORLD_CIDRS: readonly string[] = ["0.0.0.0/0", "::/0"];

/** The address family of a CIDR, as AWS's rule attributes name it (`cidr_ipv4` / `cidr_ipv6`). */
export function cidrFamily(cidr: string): "ipv4" | "ipv6" {
  return cidr.includes(":") ? "ipv6" : "ipv4";
}
