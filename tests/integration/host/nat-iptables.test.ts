// The iptables fallback applied for real (iptables 1.8.9, nf_tables backend here). Rules
// go into the built-in nat POSTROUTING / filter FORWARD chains, so the test uses its own
// tag prefix and checks that a user's rule (with a look-alike comment) survives.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nat } from "../../../src/host/nat.ts";
import { planIptablesRemove } from "../../../src/host/nat-plan.ts";
import { parseIptablesTaggedRules } from "../../../src/host/net-audit.ts";
import { silentLogger } from "../../../src/log.ts";
import { hex, run } from "./helpers.ts";

const PREFIX = `bt${hex(3)}`;
const A = `a${hex(15)}`.slice(0, 32);
const B = `b${hex(15)}`.slice(0, 32);
const BRIDGE = `br-bt${hex(3)}`;
const DECOY = ["-s", `10.254.${Math.floor(Math.random() * 250)}.0/24`, "-m", "comment", "--comment", `${PREFIX}x:user rule`, "-j", "MASQUERADE"];
const nat = new Nat({ backend: "iptables", table: "banger", bridge: BRIDGE, tagPrefix: PREFIX, log: silentLogger });
const nftTables = () => run(["nft", "list", "tables"]);
let hadNat = false;
let hadFilter = false;

const rules = (table: string, chain: string) => run(["iptables", "-w", "-t", table, "-S", chain]);
const ours = () => [
  ...parseIptablesTaggedRules("nat", rules("nat", "POSTROUTING"), PREFIX),
  ...parseIptablesTaggedRules("filter", rules("filter", "FORWARD"), PREFIX),
];

beforeAll(() => {
  // Precondition, not a skip: the fallback must work on this host.
  run(["iptables", "-w", "-t", "nat", "-S", "POSTROUTING"]);
  hadNat = /table ip nat\b/.test(nftTables());
  hadFilter = /table ip filter\b/.test(nftTables());
  run(["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", ...DECOY]);
});

afterAll(() => {
  for (const argv of planIptablesRemove(ours())) run(argv, true);
  run(["iptables", "-w", "-t", "nat", "-D", "POSTROUTING", ...DECOY], true);
  // iptables-nft creates these tables on first use; drop them again only if this test
  // created them and they are empty.
  const empty = (t: string) => {
    const out = run(["nft", "-j", "list", "table", "ip", t], true);
    return out !== "" && !(JSON.parse(out).nftables as Record<string, unknown>[]).some((i) => "rule" in i);
  };
  if (!hadNat && empty("nat")) run(["nft", "delete", "table", "ip", "nat"], true);
  if (!hadFilter && empty("filter")) run(["nft", "delete", "table", "ip", "filter"], true);
});

test("add: MASQUERADE in nat POSTROUTING and two FORWARD accepts per VM, tagged", async () => {
  await nat.add(A, "172.30.0.5");
  await nat.add(B, "172.30.0.6");
  const post = rules("nat", "POSTROUTING");
  expect(post).toContain(`-A POSTROUTING -s 172.30.0.5/32 ! -o ${BRIDGE} -m comment --comment "${PREFIX}:${A}" -j MASQUERADE`);
  const fwd = rules("filter", "FORWARD");
  expect(fwd).toContain(`-A FORWARD -s 172.30.0.6/32 -i ${BRIDGE} -m comment --comment "${PREFIX}:${B}" -j ACCEPT`);
  expect(fwd).toContain(`-A FORWARD -d 172.30.0.6/32 -o ${BRIDGE} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "${PREFIX}:${B}" -j ACCEPT`);
  expect(ours().filter((r) => r.vmId === A).length).toBe(3);
  expect((await nat.vmIds()).sort()).toEqual([A, B].sort());
});

test("add twice keeps three rules; remove one VM keeps the other and the user's rule", async () => {
  await nat.add(A, "172.30.0.5");
  expect(ours().filter((r) => r.vmId === A).length).toBe(3);
  await nat.remove(A);
  expect(ours().filter((r) => r.vmId === A)).toEqual([]);
  expect(ours().filter((r) => r.vmId === B).length).toBe(3);
  expect(rules("nat", "POSTROUTING")).toContain(`--comment "${PREFIX}x:user rule" -j MASQUERADE`);
  await nat.remove(A);
});

test("teardownAll removes every tagged rule and nothing else", async () => {
  await nat.teardownAll();
  expect(ours()).toEqual([]);
  expect(rules("nat", "POSTROUTING")).toContain(`--comment "${PREFIX}x:user rule" -j MASQUERADE`);
});
