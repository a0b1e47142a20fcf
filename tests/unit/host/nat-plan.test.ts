import { expect, test } from "bun:test";
import {
  planIpForward, planIptablesAdd, planIptablesRemove, planIptablesVmRules, planNftAdd, planNftEnsureTable, planNftRemove,
  planNftTeardown, planNftVmRules,
} from "../../../src/host/nat-plan.ts";
import type { IptablesRuleRef, NftRuleRef } from "../../../src/host/net-audit.ts";

const L = { table: "banger", bridge: "br-banger", tagPrefix: "banger" };
const A = "0123456789abcdef0123456789abcdef";
const B = "fedcba9876543210fedcba9876543210";

test("nft table layout: inet table, nat postrouting + filter forward chains, created idempotently", () => {
  expect(planNftEnsureTable(L)).toEqual([
    "add table inet banger",
    "add chain inet banger postrouting { type nat hook postrouting priority srcnat; policy accept; }",
    "add chain inet banger forward { type filter hook forward priority filter; policy accept; }",
  ]);
});

test("nft VM rules are all tagged with the VM id", () => {
  expect(planNftVmRules(L, A, "172.30.0.5")).toEqual([
    `add rule inet banger postrouting ip saddr 172.30.0.5 oifname != "br-banger" masquerade comment "banger:${A}"`,
    `add rule inet banger forward iifname "br-banger" ip saddr 172.30.0.5 accept comment "banger:${A}"`,
    `add rule inet banger forward oifname "br-banger" ip daddr 172.30.0.5 ct state established,related accept comment "banger:${A}"`,
  ]);
});

const existing: NftRuleRef[] = [
  { chain: "postrouting", handle: 4, comment: `banger:${A}`, vmId: A },
  { chain: "forward", handle: 5, comment: `banger:${A}`, vmId: A },
  { chain: "postrouting", handle: 7, comment: `banger:${B}`, vmId: B },
];

test("nft remove deletes exactly that VM's handles", () => {
  expect(planNftRemove(L, A, existing)).toEqual([
    "delete rule inet banger postrouting handle 4",
    "delete rule inet banger forward handle 5",
  ]);
  expect(planNftRemove(L, "0000", existing)).toEqual([]);
});

test("nft add replaces the VM's old rules in the same transaction (idempotent)", () => {
  const plan = planNftAdd(L, A, "172.30.0.9", existing);
  expect(plan.slice(0, 3)).toEqual(planNftEnsureTable(L));
  expect(plan.slice(3, 5)).toEqual(planNftRemove(L, A, existing));
  expect(plan.slice(5)).toEqual(planNftVmRules(L, A, "172.30.0.9"));
  expect(plan.join("\n")).not.toContain("handle 7");
});

test("teardown deletes only banger's own table, and only when it exists", () => {
  expect(planNftTeardown(L, true)).toEqual(["delete table inet banger"]);
  expect(planNftTeardown(L, false)).toEqual([]);
  expect(planNftTeardown({ ...L, table: "bt1234" }, true)).toEqual(["delete table inet bt1234"]);
});

test("bad inputs never reach a rule", () => {
  expect(() => planNftVmRules(L, A, "1.2.3.4; flush ruleset")).toThrow("bad IPv4");
  expect(() => planNftVmRules(L, 'x" ; flush ruleset', "1.2.3.4")).toThrow("bad VM id");
  expect(() => planNftEnsureTable({ ...L, table: "a b" })).toThrow("table name");
  expect(() => planNftEnsureTable({ ...L, bridge: 'br"x' })).toThrow();
});

test("iptables fallback: tagged MASQUERADE + FORWARD accepts inserted first", () => {
  expect(planIptablesVmRules(L, A, "172.30.0.5")).toEqual([
    ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "172.30.0.5/32", "!", "-o", "br-banger", "-m", "comment", "--comment", `banger:${A}`, "-j", "MASQUERADE"],
    ["iptables", "-w", "-t", "filter", "-I", "FORWARD", "1", "-i", "br-banger", "-s", "172.30.0.5/32", "-m", "comment", "--comment", `banger:${A}`, "-j", "ACCEPT"],
    ["iptables", "-w", "-t", "filter", "-I", "FORWARD", "1", "-o", "br-banger", "-d", "172.30.0.5/32", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-m", "comment", "--comment", `banger:${A}`, "-j", "ACCEPT"],
  ]);
});

test("iptables removal turns the listed -A rule into -D, per VM or all", () => {
  const refs: IptablesRuleRef[] = [
    { table: "nat", args: ["-A", "POSTROUTING", "-s", "172.30.0.5/32", "-m", "comment", "--comment", `banger:${A}`, "-j", "MASQUERADE"], vmId: A },
    { table: "filter", args: ["-A", "FORWARD", "-s", "172.30.0.6/32", "-m", "comment", "--comment", `banger:${B}`, "-j", "ACCEPT"], vmId: B },
  ];
  expect(planIptablesRemove(refs, A)).toEqual([
    ["iptables", "-w", "-t", "nat", "-D", "POSTROUTING", "-s", "172.30.0.5/32", "-m", "comment", "--comment", `banger:${A}`, "-j", "MASQUERADE"],
  ]);
  expect(planIptablesRemove(refs).length).toBe(2);
  expect(planIptablesAdd(L, A, "172.30.0.5", refs).length).toBe(1 + 3);
});

test("ip_forward is only written when it is off", () => {
  expect(planIpForward("0\n")).toEqual([["sysctl", "-w", "net.ipv4.ip_forward=1"]]);
  expect(planIpForward("1\n")).toEqual([]);
});
