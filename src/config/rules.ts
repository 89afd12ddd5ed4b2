import { isNetworkCidr, networkAddressOf } from "../aws/cidr";
import { Problems } from "./field";

/** A DNS host name (RFC 1123), as used in a certificate and in Keycloak's `--hostname`. */
export function hostnameProblem(host: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return `"${host}" is a URL`;
  if (host.length > 253) return "is longer than 253 characters";
  const labels = host.split(".");
  if (
    labels.length < 2 ||
    !labels.every((l) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i.test(l)) ||
    /^\d+$/.test(labels[labels.length - 1]!)
  ) {
    return `"${host}" is not a DNS name`;
  }
  return undefined;
}

export const HOSTNAME_FIX = 'give the host name only, without scheme, port or path, e.g. "sso.example.com"';

/** Reports a CIDR that AWS would refuse, with the network address when only the host bits are wrong. */
export function checkCidr(cidr: string, at: string, problems: Problems): void {
  if (isNetworkCidr(cidr)) return;
  const network = networkAddressOf(cidr);
  if (network) problems.add(at, `"${cidr}" has host bits set`, `write the network address "${network}"`);
  else
    problems.add(
      at,
      `"${cidr}" is not an IPv4 or IPv6 CIDR`,
      'write e.g. "203.0.113.7/32" or "2001:db8::/48"; the prefix is 0-32 for IPv4, 0-128 for IPv6',
    );
}

/** An SSM Parameter Store name: not reserved, a path starting with "/" if it has slashes. */
export function ssmParameterProblem(text: string): string | undefined {
  if (/^\/?(aws|ssm)/i.test(text)) return 'names starting with "aws" or "ssm" are reserved';
  if (text.includes("/") && !text.startsWith("/")) return `"${text}" is a path that does not start with "/"`;
  if (text.length === 0) return "is empty";
  if (text.length > 1011) return `is ${text.length} characters long, more than 1011`;
  return /^\/?[A-Za-z0-9_.\-/]+$/.test(text) ? undefined : `"${text}" is not an SSM parameter name`;
}
