import { expect, test } from "bun:test";
import { TapPool, type TapOps } from "../../../src/host/tap-pool.ts";
import { silentLogger } from "../../../src/log.ts";

/** In-memory taps: name -> bridge. `failNext` makes the next create throw. */
function fakeOps() {
  const taps = new Map<string, string>();
  let n = 0;
  const state = { failNext: false, creates: 0, delayMs: 0 };
  const ops: TapOps = {
    async create(name, bridge) {
      if (state.delayMs) await Bun.sleep(state.delayMs);
      state.creates++;
      if (state.failNext) {
        state.failNext = false;
        throw new Error("ip: Operation not permitted");
      }
      taps.set(name, bridge);
    },
    async destroy(name) {
      taps.delete(name);
    },
    isAttached: (name, bridge) => taps.get(name) === bridge,
    newPoolName: () => `bgp${String(++n).padStart(8, "0")}`,
    vmTapName: (id) => `bgt${id.slice(0, 12)}`,
  };
  return { ops, taps, state };
}

const VM = "0123456789abcdef0123456789abcdef";

test("start fills the pool; acquire hands out an idle tap and refills", async () => {
  const { ops, taps } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 2, log: silentLogger, ops });
  await pool.start();
  expect(pool.idle()).toEqual(["bgp00000001", "bgp00000002"]);
  const t = await pool.acquire(VM);
  expect(t).toEqual({ name: "bgp00000001", fromPool: true });
  await Bun.sleep(1);
  expect(pool.idle()).toEqual(["bgp00000002", "bgp00000003"]);
  expect(taps.size).toBe(3);
});

test("an empty pool creates the VM's own tap", async () => {
  const { ops, taps } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 0, log: silentLogger, ops });
  await pool.start();
  expect(await pool.acquire(VM)).toEqual({ name: "bgt0123456789ab", fromPool: false });
  expect(taps.get("bgt0123456789ab")).toBe("br0");
  expect(pool.idle()).toEqual([]);
});

test("concurrent acquires never get the same tap", async () => {
  const { ops } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 3, log: silentLogger, ops });
  await pool.start();
  const got = await Promise.all(["a1", "b2", "c3", "d4", "e5"].map((id) => pool.acquire(`${id}00000000000000`)));
  expect(new Set(got.map((g) => g.name)).size).toBe(5);
  expect(got.filter((g) => g.fromPool).length).toBe(3);
});

test("release deletes the tap; it never returns to the pool", async () => {
  const { ops, taps } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 1, log: silentLogger, ops });
  await pool.start();
  const t = await pool.acquire(VM);
  await pool.release(t.name);
  await Bun.sleep(1);
  expect(taps.has(t.name)).toBe(false);
  expect(pool.idle()).not.toContain(t.name);
});

test("a refill failure is logged and acquire falls back to a cold create", async () => {
  const { ops, state } = fakeOps();
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
  const pool = new TapPool({ bridge: "br0", size: 2, log, ops });
  state.failNext = true;
  await pool.start();
  expect(pool.idle()).toEqual([]);
  expect(warnings).toContain("tap pool refill failed");
  expect((await pool.acquire(VM)).fromPool).toBe(false);
});

test("a pool tap that lost its bridge is dropped, not handed out", async () => {
  const { ops, taps } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 2, log: silentLogger, ops });
  await pool.start();
  taps.set("bgp00000001", "somewhere-else");
  const t = await pool.acquire(VM);
  expect(t.name).toBe("bgp00000002");
  expect(taps.has("bgp00000001")).toBe(false);
});

test("drain waits for an in-flight refill and deletes every idle tap", async () => {
  const { ops, taps, state } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 2, log: silentLogger, ops });
  await pool.start();
  state.delayMs = 20;
  const t = await pool.acquire(VM); // starts a slow refill
  await pool.drain();
  expect(pool.idle()).toEqual([]);
  expect([...taps.keys()]).toEqual([t.name]); // only the handed-out tap remains
});

test("concurrent refills share one loop (no overshoot)", async () => {
  const { ops, state } = fakeOps();
  const pool = new TapPool({ bridge: "br0", size: 2, log: silentLogger, ops });
  await Promise.all([pool.start(), pool.start(), pool.start()]);
  expect(state.creates).toBe(2);
});
