import { expect, test } from "bun:test";
import { applyIpPlan, checkIfname, planBridge, planBridgeDelete } from "../../../src/host/bridge.ts";
import type { LinkState } from "../../../src/host/net-audit.ts";

const bridge = (over: Partial<LinkState> = {}): LinkState => ({ name: "br-banger", kind: "bridge", up: true, ipv4: ["172.30.0.1/24"], ...over });

test("absent bridge: create, address, up", () => {
  expect(planBridge("br-banger", "172.30.0.1/24", undefined)).toEqual([
    ["ip", "link", "add", "name", "br-banger", "type", "bridge"],
    ["ip", "addr", "add", "172.30.0.1/24", "dev", "br-banger"],
    ["ip", "link", "set", "dev", "br-banger", "up"],
  ]);
});

test("a correct bridge needs nothing", () => {
  expect(planBridge("br-banger", "172.30.0.1/24", bridge())).toEqual([]);
});

test("a bridge with another address gets ours added, never flushed", () => {
  const plan = planBridge("br-banger", "172.30.0.1/24", bridge({ ipv4: ["10.1.1.1/24"] }));
  expect(plan).toEqual([["ip", "addr", "add", "172.30.0.1/24", "dev", "br-banger"]]);
  expect(plan.flat()).not.toContain("flush");
});

test("a down bridge is brought up", () => {
  expect(planBridge("br-banger", "172.30.0.1/24", bridge({ up: false }))).toEqual([["ip", "link", "set", "dev", "br-banger", "up"]]);
});

test("a non-bridge device with the name is a conflict, not overwritten", () => {
  expect(() => planBridge("eth0", "172.30.0.1/24", { name: "eth0", up: true, ipv4: [] })).toThrow("not a bridge");
  expect(() => planBridge("tapx", "172.30.0.1/24", { name: "tapx", kind: "tun", up: true, ipv4: [] })).toThrow("not a bridge");
});

test("interface names are validated (length, characters)", () => {
  expect(checkIfname("br-banger")).toBe("br-banger");
  expect(() => checkIfname("a-name-way-too-long")).toThrow("valid interface name");
  expect(() => checkIfname("br banger")).toThrow();
  expect(() => checkIfname("../x")).toThrow();
  expect(() => checkIfname("")).toThrow();
});

test("delete plan only when the bridge exists", () => {
  expect(planBridgeDelete("br-x", undefined)).toEqual([]);
  expect(planBridgeDelete("br-x", bridge({ name: "br-x" }))).toEqual([["ip", "link", "del", "dev", "br-x"]]);
});

test("applyIpPlan refuses steps that are not ip or would split in batch mode", async () => {
  await expect(applyIpPlan([["nft", "x"]])).rejects.toThrow("bad ip step");
  await expect(applyIpPlan([["ip", "link", "add", "a b"]])).rejects.toThrow("bad ip step");
  await expect(applyIpPlan([])).resolves.toBeUndefined();
});
