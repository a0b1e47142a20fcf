import { describe, expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import { parseSubnet } from "../../../src/config/ipv4.ts";
import { macForVmId, newImageId, newVmId } from "../../../src/store/ids.ts";
import { lowestFreeHost } from "../../../src/store/ips.ts";
import { checkSequence } from "../../../src/store/migrate.ts";
import { MIGRATIONS } from "../../../src/store/migrations/index.ts";
import { expectFound, resolveRef } from "../../../src/store/refs.ts";
import { lowestFreeCid } from "../../../src/store/vms.ts";

describe("ids", () => {
  test("image ids are 16 hex, VM ids 32 hex, and differ", () => {
    expect(newImageId()).toMatch(/^[0-9a-f]{16}$/);
    expect(newVmId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newVmId()).not.toBe(newVmId());
  });

  test("MAC is locally administered unicast and derived from the id", () => {
    expect(macForVmId("0123456789abcdef0123456789abcdef")).toBe("02:01:23:45:67:89");
    expect(() => macForVmId("xyz")).toThrow();
  });
});

describe("resolveRef", () => {
  const rows = [
    { id: "abc111", name: "web" },
    { id: "abc222", name: "db" },
    { id: "def333", name: "abc" },
  ];

  test.each([
    ["abc111", "web"], // exact id
    ["db", "db"], // name
    ["abc", "abc"], // a name beats an ambiguous id prefix
    ["abc2", "db"], // unique prefix
    ["d", "abc"], // unique one-character prefix
  ])("%p -> %p", (ref, name) => {
    const r = resolveRef(rows, ref);
    expect(r.kind === "found" && r.item.name).toBe(name);
  });

  test("missing and ambiguous", () => {
    expect(resolveRef(rows, "zzz")).toEqual({ kind: "missing", ref: "zzz" });
    expect(resolveRef(rows, "")).toEqual({ kind: "missing", ref: "" });
    const amb = resolveRef(rows, "ab");
    expect(amb.kind).toBe("ambiguous");
  });

  test("expectFound turns failures into typed one-line errors", () => {
    expect(() => expectFound(resolveRef(rows, "zzz"), "VM")).toThrow('no VM named or with id "zzz"');
    let err: unknown;
    try {
      expectFound(resolveRef(rows, "ab"), "VM");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BangerError);
    expect((err as BangerError).code).toBe("ambiguous");
    expect((err as BangerError).message).toBe('"ab" matches 2 VMs: web (abc111), db (abc222); type more of the id');
  });
});

describe("allocation helpers", () => {
  test("lowestFreeCid starts at 3 and fills gaps", () => {
    expect(lowestFreeCid([])).toBe(3);
    expect(lowestFreeCid([3, 4, 6])).toBe(5);
  });

  test("lowestFreeHost skips network, gateway and broadcast", () => {
    const s = parseSubnet("10.0.0.0/30"); // .0 net, .1 gw, .2 host, .3 broadcast
    expect(lowestFreeHost(s, () => false)).toBe(s.network + 2);
    expect(lowestFreeHost(s, (a) => a === s.network + 2)).toBeUndefined();
  });
});

describe("migration list", () => {
  test("versions are 1..n and every migration has SQL", () => {
    expect(() => checkSequence(MIGRATIONS)).not.toThrow();
    for (const m of MIGRATIONS) expect(m.sql).toContain("CREATE");
  });

  test("a gap or duplicate is rejected", () => {
    expect(() => checkSequence([{ version: 2, name: "x", sql: "" }])).toThrow("migration x has version 2, expected 1");
  });
});
