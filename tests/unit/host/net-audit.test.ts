import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  natTag, ownedTaps, parseIpLinks, parseIptablesTaggedRules, parseNftChains, parseNftTaggedRules, splitIptablesLine,
} from "../../../src/host/net-audit.ts";

// Captured on Debian 12 (iproute2 6.1, nftables 1.0.6, iptables 1.8.9 nf_tables).
const fixture = (name: string) => readFileSync(join(import.meta.dir, "fixtures", name), "utf8");
const A = "0123456789abcdef0123456789abcdef";
const B = "fedcba9876543210fedcba9876543210";

test("ip -j -d addr show: bridge, taps, masters, addresses", () => {
  const links = parseIpLinks(fixture("ip-addr-show.json"));
  expect(links.map((l) => l.name)).toEqual(["lo", "eth0", "br-btcap", "bgt0123456789ab", "bgpdeadbeef"]);
  const br = links.find((l) => l.name === "br-btcap")!;
  expect(br).toEqual({ name: "br-btcap", kind: "bridge", tunType: undefined, master: undefined, up: true, ipv4: ["172.31.99.1/24"] });
  const tap = links.find((l) => l.name === "bgpdeadbeef")!;
  expect(tap).toMatchObject({ kind: "tun", tunType: "tap", master: "br-btcap", up: true, ipv4: [] });
  expect(links.find((l) => l.name === "lo")!.ipv4).toEqual(["127.0.0.1/8"]);
});

test("owned taps are recognized by their exact name shape", () => {
  const owned = ownedTaps(parseIpLinks(fixture("ip-addr-show.json")));
  expect(owned).toEqual([
    { name: "bgt0123456789ab", kind: "vm", vmIdPrefix: "0123456789ab", master: "br-btcap" },
    { name: "bgpdeadbeef", kind: "pool", master: "br-btcap" },
  ]);
});

test("a non-tap device with a banger-looking name is not ours", () => {
  const owned = ownedTaps([
    { name: "bgtbridge", kind: "bridge", up: true, ipv4: [] },
    { name: "bgp1", kind: "tun", tunType: "tun", up: true, ipv4: [] },
    { name: "bgt", kind: "tun", tunType: "tap", up: true, ipv4: [] },
    { name: "bgtap1234", kind: "tun", tunType: "tap", up: true, ipv4: [] }, // a test fixture's tap
    { name: "bgpdeadbeef0", kind: "tun", tunType: "tap", up: true, ipv4: [] },
    { name: "bgtabcd", up: true, ipv4: [] }, // from `ip -j link` without -d: the name decides
  ]);
  expect(owned.map((t) => t.name)).toEqual(["bgtabcd"]);
});

test("nft -j list table: only banger-tagged rules, with their VM ids and handles", () => {
  const rules = parseNftTaggedRules(fixture("nft-list-table.json"));
  expect(rules.map((r) => [r.chain, r.vmId])).toEqual([
    ["postrouting", A], ["postrouting", B], ["forward", A], ["forward", A], ["forward", B], ["forward", B],
  ]);
  expect(rules.every((r) => Number.isInteger(r.handle) && r.comment === natTag(r.vmId))).toBe(true);
  expect(new Set(rules.map((r) => r.handle)).size).toBe(6);
  expect(parseNftChains(fixture("nft-list-table.json"))).toEqual(["postrouting", "forward"]);
});

test("nft: another tag prefix sees nothing; garbage is an error", () => {
  expect(parseNftTaggedRules(fixture("nft-list-table.json"), "other")).toEqual([]);
  expect(parseNftTaggedRules('{"nftables": []}')).toEqual([]);
  expect(() => parseNftTaggedRules("not json")).toThrow("cannot parse");
});

test("iptables -S: tagged rules only, quotes handled", () => {
  const post = parseIptablesTaggedRules("nat", fixture("iptables-nat-postrouting.txt"));
  expect(post.map((r) => r.vmId)).toEqual([A, B]);
  expect(post[0]!.args).toEqual([
    "-A", "POSTROUTING", "-s", "172.30.0.5/32", "!", "-o", "br-banger", "-m", "comment", "--comment", `banger:${A}`, "-j", "MASQUERADE",
  ]);
  const fwd = parseIptablesTaggedRules("filter", fixture("iptables-filter-forward.txt"));
  expect(fwd.map((r) => [r.table, r.vmId])).toEqual([["filter", A], ["filter", A]]);
});

test("splitIptablesLine keeps quoted words together", () => {
  expect(splitIptablesLine('-A X -m comment --comment "user rule with spaces" -j ACCEPT')).toEqual([
    "-A", "X", "-m", "comment", "--comment", "user rule with spaces", "-j", "ACCEPT",
  ]);
  expect(splitIptablesLine('-A X --comment "say \\"hi\\"" -j A')).toEqual(["-A", "X", "--comment", 'say "hi"', "-j", "A"]);
  expect(splitIptablesLine('-A X --comment ""')).toEqual(["-A", "X", "--comment", ""]);
});
