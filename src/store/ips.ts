// Guest IP allocation from the bridge subnet. The whole read-pick-insert runs in one
// IMMEDIATE transaction, so two connections (daemon restarts, parallel creates) serialize
// on SQLite's write lock and can never hand out the same address.
import { asc, eq } from "drizzle-orm";
import { BangerError } from "../api/errors.ts";
import { formatIpv4, parseIpv4, parseSubnet, subnetContains, type Subnet } from "../config/ipv4.ts";
import type { Db, Queryable } from "./db.ts";
import { isForeignKeyViolation } from "./errors.ts";
import { nowIso } from "./ids.ts";
import { ipAllocations, type IpAllocationRow } from "./schema.ts";

/**
 * The VM's address in `subnetCidr`: its existing one, or the lowest free host address
 * that is not the network, the gateway (.1), the broadcast or one of `reservedHosts`.
 * An allocation left over from a different subnet is replaced.
 */
export function allocateIp(db: Db, vmId: string, subnetCidr: string, reservedHosts: readonly string[] = []): string {
  const subnet = parseSubnet(subnetCidr);
  const reserved = reservedSet(reservedHosts);
  try {
    return db.transaction((tx) => pickAndInsert(tx, vmId, subnet, reserved), { behavior: "immediate" });
  } catch (err) {
    if (isForeignKeyViolation(err)) {
      throw new BangerError("not_found", `VM ${vmId} not found`, { id: vmId });
    }
    throw err;
  }
}

function pickAndInsert(db: Queryable, vmId: string, subnet: Subnet, reserved: Set<number>): string {
  const current = db.select().from(ipAllocations).where(eq(ipAllocations.vmId, vmId)).get();
  if (current && subnetContains(subnet, parseIpv4(current.ip)!)) return current.ip;
  if (current) db.delete(ipAllocations).where(eq(ipAllocations.vmId, vmId)).run();
  const used = new Set(db.select({ ip: ipAllocations.ip }).from(ipAllocations).all().map((r) => parseIpv4(r.ip)));
  const address = lowestFreeHost(subnet, (a) => used.has(a) || reserved.has(a));
  if (address === undefined) {
    throw new BangerError("conflict", `no free IP address left in ${subnet.cidr}`, { subnet: subnet.cidr });
  }
  const ip = formatIpv4(address);
  db.insert(ipAllocations).values({ ip, vmId, allocatedAt: nowIso() }).run();
  return ip;
}

/** Pure: first host address after the gateway for which `taken` is false. */
export function lowestFreeHost(subnet: Subnet, taken: (address: number) => boolean): number | undefined {
  for (let a = subnet.gateway + 1; a < subnet.broadcast; a++) {
    if (!taken(a)) return a;
  }
  return undefined;
}

function reservedSet(hosts: readonly string[]): Set<number> {
  const set = new Set<number>();
  for (const host of hosts) {
    const value = parseIpv4(host);
    if (value === undefined) throw new BangerError("usage", `reserved host "${host}" is not an IPv4 address`);
    set.add(value);
  }
  return set;
}

/** The released address, if the VM had one. */
export function releaseIp(db: Db, vmId: string): string | undefined {
  return db.delete(ipAllocations).where(eq(ipAllocations.vmId, vmId)).returning({ ip: ipAllocations.ip }).get()?.ip;
}

export function getIpForVm(db: Db, vmId: string): string | undefined {
  return db.select({ ip: ipAllocations.ip }).from(ipAllocations).where(eq(ipAllocations.vmId, vmId)).get()?.ip;
}

export function listIpAllocations(db: Db): IpAllocationRow[] {
  return db.select().from(ipAllocations).orderBy(asc(ipAllocations.allocatedAt)).all();
}
