// IPv4 addresses and CIDR subnets as plain numbers. Used to validate `bridge_subnet` and
// by the store's IP allocator; pure, no host access.
import { BangerError } from "../api/errors.ts";

export interface Subnet {
  /** The text as given, e.g. "172.30.0.0/24". */
  cidr: string;
  network: number;
  prefix: number;
  broadcast: number;
  /** network + 1: the bridge's own address. */
  gateway: number;
}

/** "a.b.c.d" -> unsigned 32-bit number, or undefined if it is not a dotted quad. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Parse "a.b.c.d/n". The address must be the network address itself (host bits zero):
 * "172.30.0.5/24" is almost always a typo for a host address, so we say so.
 */
export function parseSubnet(cidr: string): Subnet {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  const address = match ? parseIpv4(match[1]!) : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new BangerError("usage", `"${cidr}" is not an IPv4 CIDR like 172.30.0.0/24`);
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address / size) * size;
  if (network !== address) {
    throw new BangerError("usage", `"${cidr}" has host bits set; did you mean ${formatIpv4(network)}/${prefix}?`);
  }
  return { cidr, network, prefix, broadcast: network + size - 1, gateway: network + 1 };
}

export function subnetContains(subnet: Subnet, address: number): boolean {
  return address >= subnet.network && address <= subnet.broadcast;
}

/** Is this a 127.0.0.0/8 address? */
export function isLoopbackIpv4(text: string): boolean {
  const value = parseIpv4(text);
  return value !== undefined && Math.floor(value / 2 ** 24) === 127;
}
