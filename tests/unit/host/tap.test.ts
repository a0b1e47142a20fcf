import { expect, test } from "bun:test";
import { planTapCreate, planTapDelete, poolTapName, tapNameForVm } from "../../../src/host/tap.ts";

test("VM tap names: bgt + 12 hex of the id, 15 chars max", () => {
  expect(tapNameForVm("0123456789abcdef0123456789abcdef")).toBe("bgt0123456789ab");
  expect(tapNameForVm("0123456789abcdef0123456789abcdef").length).toBe(15);
  expect(tapNameForVm("abcd")).toBe("bgtabcd");
  expect(() => tapNameForVm("NOT-HEX")).toThrow();
});

test("pool tap names: bgp + random hex", () => {
  expect(poolTapName(() => "deadbeef")).toBe("bgpdeadbeef");
  const a = poolTapName();
  expect(a).toMatch(/^bgp[0-9a-f]{8}$/);
  expect(poolTapName()).not.toBe(a);
});

test("create plan: persistent tap, owner only when not root, attached and up", () => {
  expect(planTapCreate("bgt1", "br-banger", 1000)).toEqual([
    ["ip", "tuntap", "add", "dev", "bgt1", "mode", "tap", "user", "1000"],
    ["ip", "link", "set", "dev", "bgt1", "master", "br-banger", "up"],
  ]);
  expect(planTapCreate("bgt1", "br-banger", undefined)[0]).toEqual(["ip", "tuntap", "add", "dev", "bgt1", "mode", "tap"]);
  expect(() => planTapCreate("bad name", "br", undefined)).toThrow();
});

test("an existing tap is only re-attached (tuntap add would fail with EBUSY)", () => {
  expect(planTapCreate("bgt1", "br-banger", 1000, true)).toEqual([["ip", "link", "set", "dev", "bgt1", "master", "br-banger", "up"]]);
});

test("delete plan is empty for an absent tap", () => {
  expect(planTapDelete("bgt1", true)).toEqual([["ip", "link", "del", "dev", "bgt1"]]);
  expect(planTapDelete("bgt1", false)).toEqual([]);
});
