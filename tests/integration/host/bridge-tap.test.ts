// Real bridge, taps and warm pool through `ip` (root here; sudo -n otherwise). Every
// interface gets a unique test name; afterAll deletes all of them even after a failure.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ensureBridge, readLink } from "../../../src/host/bridge.ts";
import { auditTaps } from "../../../src/host/net-audit.ts";
import { bridgeSubnet } from "../../../src/host/subnet.ts";
import { TapPool, realTapOps, type TapOps } from "../../../src/host/tap-pool.ts";
import { createTap, deleteTap, tapAttachedTo, tapNameForVm } from "../../../src/host/tap.ts";
import { silentLogger } from "../../../src/log.ts";
import { bridgeMembers, freeSubnet, hex, linkExists, run } from "./helpers.ts";

const id = hex(3);
const BR = `br-bt${id}`;
const BR2 = `br-bu${id}`;
const SUBNET = freeSubnet();
const created = new Set<string>([BR, BR2]);

// Test-only names for pool and cold taps ("bt" prefix): a concurrent `vm gc` elsewhere on
// this host must not mistake them for orphaned banger taps. Real naming is unit-tested.
const testOps: TapOps = {
  ...realTapOps,
  newPoolName: () => track(`btp${hex(4)}`),
  vmTapName: (vmId) => track(`btv${vmId.slice(0, 4)}${hex(2)}`),
};
function track(name: string): string {
  created.add(name);
  return name;
}

beforeAll(() => {
  for (const n of [BR, BR2]) expect(linkExists(n)).toBe(false);
});

afterAll(() => {
  for (const name of created) if (name !== BR && name !== BR2) run(["ip", "link", "del", "dev", name], true);
  run(["ip", "link", "del", "dev", BR], true);
  run(["ip", "link", "del", "dev", BR2], true);
});

test("ensureBridge creates the bridge with the gateway address, up; a second run changes nothing", async () => {
  const steps = await ensureBridge({ name: BR, subnet: SUBNET, log: silentLogger });
  expect(steps.length).toBe(3);
  const link = (await readLink(BR))!;
  expect(link).toMatchObject({ kind: "bridge", up: true });
  expect(link.ipv4).toEqual([bridgeSubnet(SUBNET).hostCidr]);
  expect(await ensureBridge({ name: BR, subnet: SUBNET, log: silentLogger })).toEqual([]);
});

test("an existing bridge with another address gets ours added; the old one stays", async () => {
  run(["ip", "link", "add", "name", BR2, "type", "bridge"]);
  run(["ip", "addr", "add", "192.0.2.77/32", "dev", BR2]); // TEST-NET-1, host route only
  const other = freeSubnet();
  const steps = await ensureBridge({ name: BR2, subnet: other, log: silentLogger });
  expect(steps.map((s) => s.slice(1, 3))).toEqual([["addr", "add"], ["link", "set"]]);
  const link = (await readLink(BR2))!;
  expect(link.ipv4.sort()).toEqual(["192.0.2.77/32", bridgeSubnet(other).hostCidr].sort());
  expect(link.up).toBe(true);
});

test("a non-bridge interface with the bridge name is refused", async () => {
  await expect(ensureBridge({ name: "lo", subnet: SUBNET, log: silentLogger })).rejects.toThrow("not a bridge");
});

test("createTap: persistent tap attached to the bridge and up; deleteTap removes it, twice is fine", async () => {
  const name = track(`btt${hex(4)}`);
  await createTap(name, BR);
  expect(bridgeMembers(BR)).toContain(name);
  expect(tapAttachedTo(name, BR)).toBe(true);
  const link = (await readLink(name))!;
  expect(link).toMatchObject({ kind: "tun", tunType: "tap", master: BR, up: true });
  await deleteTap(name);
  expect(linkExists(name)).toBe(false);
  await deleteTap(name);
});

test("createTap re-adopts a leftover tap of the same name and attaches it", async () => {
  const name = track(`btt${hex(4)}`);
  run(["ip", "tuntap", "add", "dev", name, "mode", "tap"]);
  await createTap(name, BR);
  expect(tapAttachedTo(name, BR)).toBe(true);
  expect((await readLink(name))!.up).toBe(true);
  await expect(createTap(name, `br-nx${hex(3)}`)).rejects.toThrow();
  expect(linkExists(name)).toBe(true); // it was there before: not ours to delete on failure
  await deleteTap(name);
});

test("createTap refuses a non-tap device that has the name", async () => {
  const name = track(`btt${hex(4)}`);
  run(["ip", "link", "add", "name", name, "type", "bridge"]); // no dummy driver on this kernel
  await expect(createTap(name, BR)).rejects.toThrow("not a tap");
  expect(linkExists(name)).toBe(true);
  run(["ip", "link", "del", "dev", name]);
});

test("createTap onto a missing bridge fails and leaves no half-made tap", async () => {
  const name = track(`btt${hex(4)}`);
  await expect(createTap(name, `br-nx${hex(3)}`)).rejects.toThrow();
  expect(linkExists(name)).toBe(false);
});

test("warm pool: fill, acquire from the pool, refill, release deletes, drain cleans up", async () => {
  const pool = new TapPool({ bridge: BR, size: 2, log: silentLogger, ops: testOps });
  await pool.start();
  const idle = pool.idle();
  expect(idle.length).toBe(2);
  expect(bridgeMembers(BR)).toEqual(expect.arrayContaining(idle));
  const got = await pool.acquire("0123456789abcdef0123456789abcdef");
  expect(got).toEqual({ name: idle[0]!, fromPool: true });
  await pool.start(); // joins the background refill
  expect(pool.idle().length).toBe(2);
  await pool.release(got.name);
  expect(linkExists(got.name)).toBe(false);
  const left = pool.idle();
  await pool.drain();
  for (const t of left) expect(linkExists(t)).toBe(false);
  expect(bridgeMembers(BR)).toEqual([]);
});

test("pool acquire vs cold create timings", async () => {
  const N = 8;
  const vm = (i: number) => `${i.toString(16).padStart(4, "0")}${"ab".repeat(14)}`;
  const cold = new TapPool({ bridge: BR, size: 0, log: silentLogger, ops: testOps });
  const coldMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const t = await cold.acquire(vm(i));
    coldMs.push(performance.now() - t0);
    expect(t.fromPool).toBe(false);
    expect(tapAttachedTo(t.name, BR)).toBe(true);
    await cold.release(t.name);
  }
  const warm = new TapPool({ bridge: BR, size: N, log: silentLogger, ops: testOps });
  await warm.start();
  const warmMs: number[] = [];
  const handed: string[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const t = await warm.acquire(vm(i));
    warmMs.push(performance.now() - t0);
    expect(t.fromPool).toBe(true);
    handed.push(t.name);
  }
  await warm.drain();
  for (const t of handed) await warm.release(t);
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(3);
  console.log(`tap acquire (ms, median of ${N}): pool ${med(warmMs)}, cold create ${med(coldMs)}`);
  expect(Number(med(warmMs))).toBeLessThan(Number(med(coldMs)));
  expect(bridgeMembers(BR)).toEqual([]);
}, 60_000);

test("auditTaps reports a banger-named VM tap with its id prefix, and not look-alikes", async () => {
  const vmId = `${hex(6)}${"0".repeat(20)}`;
  const name = track(tapNameForVm(vmId));
  const lookalike = track(`bgtap${hex(2)}`);
  await createTap(name, BR);
  await createTap(lookalike, BR);
  const owned = await auditTaps();
  expect(owned).toContainEqual({ name, kind: "vm", vmIdPrefix: vmId.slice(0, 12), master: BR });
  expect(owned.map((t) => t.name)).not.toContain(lookalike);
  await deleteTap(name);
  await deleteTap(lookalike);
});
