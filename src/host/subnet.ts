// The bridge subnet as the host network code needs it: the bridge's own address in CIDR
// form, the guest-facing gateway/prefix/netmask, and checks on VM addresses. The number
// crunching lives in config/ipv4.ts (shared with the store's allocator); this adds the
// host-side views. Pure.
import { BangerError } from "../api/errors.ts";
import { formatIpv4, parseIpv4, parseSubnet, subnetContains } from "../config/ipv4.ts";

export interface BridgeSubnet {
  /** "172.30.0.0/24" */
  cidr: string;
  /** The bridge's address = first host, "172.30.0.1"; the guests' gateway. */
  gateway: string;
  prefix: number;
  /** "255.255.255.0", for kernel `ip=` style arguments. */
  netmask: string;
  /** What goes on the bridge: "172.30.0.1/24". */
  hostCidr: string;
}

export function bridgeSubnet(cidr: string): BridgeSubnet {
  const s = parseSubnet(cidr);
  if (s.prefix > 30) {
    throw new BangerError("usage", `${cidr} is too small for a bridge: it needs room for the gateway and at least one VM`);
  }
  const gateway = formatIpv4(s.gateway);
  return { cidr, gateway, prefix: s.prefix, netmask: prefixToNetmask(s.prefix), hostCidr: `${gateway}/${s.prefix}` };
}

export function prefixToNetmask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new BangerError("usage", `bad prefix length ${prefix}`);
  return formatIpv4(2 ** 32 - 2 ** (32 - prefix));
}

/**
 * A VM address must be a host address of the subnet other than the gateway; NAT rules and
 * DNS records are only ever written for such addresses.
 */
export function checkGuestIp(cidr: string, ip: string): string {
  const s = parseSubnet(cidr);
  const value = parseIpv4(ip);
  if (value === undefined) throw new BangerError("usage", `"${ip}" is not an IPv4 address`);
  if (!subnetContains(s, value) || value === s.network || value === s.broadcast || value === s.gateway) {
    throw new BangerError("usage", `${ip} is not a guest address in ${cidr}`);
  }
  return ip;
}
