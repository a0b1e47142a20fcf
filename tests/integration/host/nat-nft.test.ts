// Real nftables: a uniquely named banger table with two VMs' rules, and a decoy table
// that must be byte-for-byte unchanged after every banger operation.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nat } from "../../../src/host/nat.ts";
import { silentLogger } from "../../../src/log.ts";
import { hex, run } from "./helpers.ts";

const TABLE = `bt${hex(3)}`;
const DECOY = `userdecoy_${hex(3)}`;
const A = `a${hex(15)}`.slice(0, 32);
const B = `b${hex(15)}`.slice(0, 32);
const nat = new Nat({ backend: "nft", table: TABLE, bridge: "br-banger", tagPrefix: "banger", log: silentLogger });
let decoyBefore = "";

const listTable = (t: string) => run(["nft", "-a", "list", "table", "inet", t]);
const tableExists = (t: string) => Bun.spawnSync(["nft", "list", "table", "inet", t], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
const decoyNow = () => listTable(DECOY);

beforeAll(() => {
  // Looks like ours on purpose: same chain names, a masquerade and a "banger:"-looking comment.
  const script = [
    `add table inet ${DECOY}`,
    `add chain inet ${DECOY} postrouting { type nat hook postrouting priority srcnat + 1; policy accept; }`,
    `add chain inet ${DECOY} forward { type filter hook forward priority filter + 1; policy accept; }`,
    `add rule inet ${DECOY} postrouting ip saddr 10.99.0.0/16 masquerade comment "banger:${A}"`,
    `add rule inet ${DECOY} forward ip saddr 10.99.0.7 accept`,
  ].join("\n");
  const r = Bun.spawnSync(["nft", "-f", "-"], { stdin: new TextEncoder().encode(script), stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  decoyBefore = decoyNow();
});

afterAll(() => {
  run(["nft", "delete", "table", "inet", TABLE], true);
  run(["nft", "delete", "table", "inet", DECOY], true);
});

const byVm = async () => {
  const rules = await nat.list();
  return { a: rules.filter((r) => r.vmId === A), b: rules.filter((r) => r.vmId === B) };
};

test("add creates the table and exactly three tagged rules per VM", async () => {
  expect(tableExists(TABLE)).toBe(false);
  await nat.add(A, "172.30.0.5");
  await nat.add(B, "172.30.0.6");
  const { a, b } = await byVm();
  expect(a.map((r) => r.chain).sort()).toEqual(["forward", "forward", "postrouting"]);
  expect(b.length).toBe(3);
  const text = listTable(TABLE);
  expect(text).toContain(`ip saddr 172.30.0.5 oifname != "br-banger" masquerade comment "banger:${A}"`);
  expect(text).toContain(`oifname "br-banger" ip daddr 172.30.0.6 ct state established,related accept comment "banger:${B}"`);
  expect(decoyNow()).toBe(decoyBefore);
});

test("add is idempotent and follows an address change", async () => {
  await nat.add(A, "172.30.0.5");
  expect((await byVm()).a.length).toBe(3);
  await nat.add(A, "172.30.0.9");
  expect((await byVm()).a.length).toBe(3);
  const text = listTable(TABLE);
  expect(text).toContain("ip saddr 172.30.0.9 ");
  expect(text).not.toContain("ip saddr 172.30.0.5 ");
  expect(await nat.vmIds()).toEqual(expect.arrayContaining([A, B]));
});

test("removing one VM leaves the other VM, untagged rules and the decoy table alone", async () => {
  run(["nft", "add", "rule", "inet", TABLE, "forward", "ip", "saddr", "10.1.2.3", "counter", "accept"]);
  await nat.remove(A);
  const { a, b } = await byVm();
  expect(a).toEqual([]);
  expect(b.length).toBe(3);
  expect(listTable(TABLE)).toContain("ip saddr 10.1.2.3 counter");
  await nat.remove(A); // absent: nothing to do
  expect(decoyNow()).toBe(decoyBefore);
});

test("teardownAll deletes banger's table only", async () => {
  await nat.teardownAll();
  expect(tableExists(TABLE)).toBe(false);
  await nat.teardownAll(); // already gone
  await nat.remove(B); // no table: no-op
  expect(await nat.list()).toEqual([]);
  expect(decoyNow()).toBe(decoyBefore);
});
