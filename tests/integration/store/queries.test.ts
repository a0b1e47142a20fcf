// Image, VM and IP queries against a real SQLite file, including the foreign-key rules:
// an image in use cannot be deleted (RESTRICT), a deleted VM frees its IP (CASCADE).
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import { closeDatabase, openDatabase, type Db } from "../../../src/store/db.ts";
import { deleteImage, findImage, getImage, getImageByName, listImages, updateImage } from "../../../src/store/images.ts";
import { allocateIp, getIpForVm, listIpAllocations, releaseIp } from "../../../src/store/ips.ts";
import { deleteVm, findVm, findVms, getVm, getVmByName, listVms, updateVm } from "../../../src/store/vms.ts";
import { sampleImage, sampleVm, tempDir } from "./helpers.ts";

const dir = tempDir();
let db: Db;
let n = 0;
beforeEach(() => {
  if (db) closeDatabase(db);
  db = openDatabase(join(dir.path, `q-${++n}.db`));
});
afterAll(() => {
  closeDatabase(db);
  dir.cleanup();
});

function caught(fn: () => unknown): BangerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BangerError) return err;
    throw err;
  }
  throw new Error("expected a BangerError");
}

describe("images", () => {
  test("insert assigns a 16-hex id and a timestamp; get/by name/list/find", () => {
    const img = sampleImage(db, { osId: "debian" });
    expect(img.id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Date(img.createdAt).toISOString()).toBe(img.createdAt);
    expect(getImage(db, img.id)).toEqual(img);
    expect(getImageByName(db, "debian")).toEqual(img);
    expect(getImage(db, "nope")).toBeUndefined();
    const other = sampleImage(db, { name: "alpine", source: "import", ref: "/tmp/alpine.tar" });
    expect(listImages(db).map((i) => i.name)).toEqual(["debian", "alpine"]);
    expect(findImage(db, other.id.slice(0, 10))).toEqual({ kind: "found", ref: other.id.slice(0, 10), item: other });
  });

  test("a duplicate name is a conflict", () => {
    sampleImage(db);
    const err = caught(() => sampleImage(db));
    expect(err.code).toBe("conflict");
    expect(err.message).toBe('an image named "debian" already exists');
  });

  test("update changes fields and reports a missing id", () => {
    const img = sampleImage(db);
    const updated = updateImage(db, img.id, { kernelName: "debian-6.1", workSeedPath: "/s/seed.ext4" });
    expect(updated.kernelName).toBe("debian-6.1");
    expect(updated.createdAt).toBe(img.createdAt);
    expect(caught(() => updateImage(db, "0000000000000000", { osId: "x" })).code).toBe("not_found");
  });

  test("deleting an image used by a VM fails (RESTRICT) and names the VMs", () => {
    const img = sampleImage(db);
    sampleVm(db, img.id, { name: "b-vm" });
    sampleVm(db, img.id, { name: "a-vm" });
    const err = caught(() => deleteImage(db, img.id));
    expect(err.code).toBe("conflict");
    expect(err.message).toBe(`image ${img.id} is used by VM(s): a-vm, b-vm; delete them first`);
    expect(getImage(db, img.id)).toBeDefined();
  });

  test("deleting an unused image succeeds once", () => {
    const img = sampleImage(db);
    expect(deleteImage(db, img.id)).toBe(true);
    expect(deleteImage(db, img.id)).toBe(false);
  });
});

describe("vms", () => {
  test("insert assigns id, MAC, lowest free CID, timestamps and desired state", () => {
    const img = sampleImage(db);
    const a = sampleVm(db, img.id, { name: "a" });
    const b = sampleVm(db, img.id, { name: "b", nat: true });
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.mac).toBe(`02:${a.id.slice(0, 2)}:${a.id.slice(2, 4)}:${a.id.slice(4, 6)}:${a.id.slice(6, 8)}:${a.id.slice(8, 10)}`);
    expect([a.guestCid, b.guestCid]).toEqual([3, 4]);
    expect(a.desiredState).toBe("stopped");
    expect(b.nat).toBe(true);
    expect(a.createdAt).toBe(a.updatedAt);
    deleteVm(db, a.id);
    expect(sampleVm(db, img.id, { name: "c" }).guestCid).toBe(3);
  });

  test("get, by name, list, update", () => {
    const img = sampleImage(db);
    const vm = sampleVm(db, img.id);
    expect(getVm(db, vm.id)).toEqual(vm);
    expect(getVmByName(db, "dev")).toEqual(vm);
    expect(listVms(db)).toEqual([vm]);
    const started = updateVm(db, vm.id, { desiredState: "running", lastStartedAt: "2026-01-01T00:00:00.000Z", vcpu: 4 });
    expect(started.desiredState).toBe("running");
    expect(started.vcpu).toBe(4);
    expect(started.updatedAt >= vm.updatedAt).toBe(true);
    expect(caught(() => updateVm(db, "f".repeat(32), { vcpu: 2 })).code).toBe("not_found");
  });

  test("duplicate name, missing image and non-positive sizes are typed errors", () => {
    const img = sampleImage(db);
    sampleVm(db, img.id);
    expect(caught(() => sampleVm(db, img.id)).message).toBe('a VM named "dev" already exists');
    const missing = caught(() => sampleVm(db, "0000000000000000", { name: "x" }));
    expect([missing.code, missing.message]).toEqual(["not_found", "image 0000000000000000 not found"]);
    expect(caught(() => sampleVm(db, img.id, { name: "y", vcpu: 0 })).code).toBe("usage");
    expect(caught(() => sampleVm(db, img.id, { name: "z", memoryMib: -1 })).code).toBe("usage");
  });

  test("find by name, exact id, unique prefix; missing and ambiguous", () => {
    const img = sampleImage(db);
    const vms = Array.from({ length: 40 }, (_, i) => sampleVm(db, img.id, { name: `vm${i}` }));
    const target = vms[7]!;
    expect(findVm(db, "vm7")).toMatchObject({ kind: "found", item: { id: target.id } });
    expect(findVm(db, target.id)).toMatchObject({ kind: "found", item: { name: "vm7" } });
    const unique = shortestUniquePrefix(target.id, vms.map((v) => v.id));
    expect(findVm(db, unique)).toMatchObject({ kind: "found", item: { name: "vm7" } });
    expect(findVm(db, "nosuch")).toEqual({ kind: "missing", ref: "nosuch" });
    const shared = sharedPrefix(vms.map((v) => v.id));
    const amb = findVm(db, shared.prefix);
    expect(amb.kind).toBe("ambiguous");
    if (amb.kind === "ambiguous") expect(amb.matches.map((m) => m.id).sort()).toEqual(shared.ids.sort());
  });

  test("findVms resolves several refs in order from one snapshot", () => {
    const img = sampleImage(db);
    const a = sampleVm(db, img.id, { name: "a" });
    const b = sampleVm(db, img.id, { name: "b" });
    const results = findVms(db, ["b", "missing", a.id, "b"]);
    expect(results.map((r) => r.kind)).toEqual(["found", "missing", "found", "found"]);
    expect(results.map((r) => (r.kind === "found" ? r.item.id : null))).toEqual([b.id, null, a.id, b.id]);
  });
});

describe("ip allocations", () => {
  const subnet = "172.30.0.0/24";

  test("lowest free host after the gateway; stable per VM; released addresses are reused lowest-first", () => {
    const img = sampleImage(db);
    const [a, b, c] = ["a", "b", "c"].map((name) => sampleVm(db, img.id, { name }));
    expect(allocateIp(db, a!.id, subnet)).toBe("172.30.0.2");
    expect(allocateIp(db, b!.id, subnet)).toBe("172.30.0.3");
    expect(allocateIp(db, a!.id, subnet)).toBe("172.30.0.2");
    expect(releaseIp(db, a!.id)).toBe("172.30.0.2");
    expect(releaseIp(db, a!.id)).toBeUndefined();
    expect(getIpForVm(db, a!.id)).toBeUndefined();
    expect(allocateIp(db, c!.id, subnet)).toBe("172.30.0.2");
    expect(listIpAllocations(db).map((r) => r.ip).sort()).toEqual(["172.30.0.2", "172.30.0.3"]);
  });

  test("reserved hosts are skipped", () => {
    const img = sampleImage(db);
    const vm = sampleVm(db, img.id);
    expect(allocateIp(db, vm.id, subnet, ["172.30.0.2", "172.30.0.3"])).toBe("172.30.0.4");
  });

  test("a full subnet is a conflict; network, gateway and broadcast are never handed out", () => {
    const img = sampleImage(db);
    const small = "10.9.8.0/29"; // .0 network, .1 gateway, .7 broadcast: 5 usable
    const vms = Array.from({ length: 6 }, (_, i) => sampleVm(db, img.id, { name: `v${i}` }));
    const ips = vms.slice(0, 5).map((vm) => allocateIp(db, vm.id, small));
    expect(ips).toEqual(["10.9.8.2", "10.9.8.3", "10.9.8.4", "10.9.8.5", "10.9.8.6"]);
    const err = caught(() => allocateIp(db, vms[5]!.id, small));
    expect([err.code, err.message]).toEqual(["conflict", "no free IP address left in 10.9.8.0/29"]);
  });

  test("an allocation from an older subnet is replaced", () => {
    const img = sampleImage(db);
    const vm = sampleVm(db, img.id);
    expect(allocateIp(db, vm.id, subnet)).toBe("172.30.0.2");
    expect(allocateIp(db, vm.id, "10.0.0.0/16")).toBe("10.0.0.2");
    expect(listIpAllocations(db).map((r) => r.ip)).toEqual(["10.0.0.2"]);
  });

  test("deleting a VM frees its IP (CASCADE)", () => {
    const img = sampleImage(db);
    const vm = sampleVm(db, img.id);
    allocateIp(db, vm.id, subnet);
    expect(deleteVm(db, vm.id)).toBe(true);
    expect(listIpAllocations(db)).toEqual([]);
  });

  test("unknown VM, bad subnet and bad reserved host are typed errors", () => {
    expect(caught(() => allocateIp(db, "f".repeat(32), subnet)).code).toBe("not_found");
    expect(caught(() => allocateIp(db, "x", "172.30.0.1/24")).code).toBe("usage");
    expect(caught(() => allocateIp(db, "x", subnet, ["nope"])).message).toBe('reserved host "nope" is not an IPv4 address');
  });
});

function shortestUniquePrefix(id: string, all: string[]): string {
  for (let len = 1; len <= id.length; len++) {
    const p = id.slice(0, len);
    if (all.filter((x) => x.startsWith(p)).length === 1) return p;
  }
  return id;
}

/** A one-character prefix shared by at least two ids (40 random ids over 16 digits always have one). */
function sharedPrefix(ids: string[]): { prefix: string; ids: string[] } {
  for (const digit of "0123456789abcdef") {
    const matching = ids.filter((id) => id.startsWith(digit));
    if (matching.length >= 2) return { prefix: digit, ids: matching };
  }
  throw new Error("no shared prefix");
}
