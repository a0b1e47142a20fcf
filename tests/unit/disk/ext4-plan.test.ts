import { expect, test } from "bun:test";
import { GIB, mkfsArgv, planInodes, planSize, treeStats } from "../../../src/disk/ext4.ts";
import { subtreeNodes } from "../../../src/disk/work-seed.ts";
import type { NodeMeta } from "../../../src/oci/tree.ts";

const MIB = 1024 ** 2;
const m = (o: Partial<NodeMeta> & Pick<NodeMeta, "type">): NodeMeta => ({ mode: 0o644, uid: 0, gid: 0, size: 0, ...o });

test("tree stats: 4 KiB blocks, hardlinks counted once, only long symlinks take a block", () => {
  const shared = m({ type: "file", size: 5000 });
  const nodes = new Map<string, NodeMeta>([
    ["", m({ type: "dir" })],
    ["a", shared],
    ["b", shared],
    ["c", m({ type: "file", size: 1 })],
    ["s", m({ type: "symlink", target: "short" })],
    ["l", m({ type: "symlink", target: "x".repeat(80) })],
    ["n", m({ type: "char" })],
  ]);
  expect(treeStats(nodes)).toEqual({ bytes: 4096 + 8192 + 4096 + 4096, inodes: 6 });
});

test("size: at least 1 GiB, else content x 1.25 rounded to a MiB; --size checked against the content", () => {
  expect(planSize({ bytes: 10 * MIB, inodes: 10 }, null)).toBe(GIB);
  expect(planSize({ bytes: 2 * GIB, inodes: 10 }, null)).toBe(2.5 * GIB);
  expect(planSize({ bytes: 1000 * MIB + 1, inodes: 10 }, null)).toBe(1251 * MIB);
  expect(planSize({ bytes: 10 * MIB, inodes: 10 }, null, 64 * MIB)).toBe(64 * MIB);
  expect(planSize({ bytes: 10 * MIB, inodes: 10 }, 100 * MIB)).toBe(100 * MIB);
  expect(() => planSize({ bytes: 900 * MIB, inodes: 10 }, 900 * MIB)).toThrow("is too small: the image content needs at least");
});

test("inodes: only asked for when the default ratio is short", () => {
  expect(planInodes({ bytes: 0, inodes: 1000 }, GIB)).toBeNull();
  expect(planInodes({ bytes: 0, inodes: 100_000 }, GIB)).toBe(126_024);
});

test("mkfs argv", () => {
  expect(mkfsArgv({ tree: "/s/tree", file: "/s/rootfs.ext4", label: "rootfs", sizeBytes: GIB, inodes: null })).toEqual([
    "mkfs.ext4", "-F", "-q", "-L", "rootfs", "-E", "root_owner=0:0", "-d", "/s/tree", "--", "/s/rootfs.ext4", "1048576k",
  ]);
  expect(mkfsArgv({ tree: "/t", file: "/f", label: "work", sizeBytes: 64 * MIB, inodes: 5000 })).toEqual([
    "mkfs.ext4", "-F", "-q", "-L", "work", "-E", "root_owner=0:0", "-N", "5000", "-d", "/t", "--", "/f", "65536k",
  ]);
});

test("work-seed nodes: /root re-rooted and forced to 0700 root:root", () => {
  const nodes = new Map<string, NodeMeta>([
    ["", m({ type: "dir" })],
    ["root", m({ type: "dir", mode: 0o755, uid: 5 })],
    ["root/.bashrc", m({ type: "file", uid: 5 })],
    ["rootfs-not-home", m({ type: "file" })],
  ]);
  const sub = subtreeNodes(nodes, "root");
  expect([...sub.keys()]).toEqual(["", ".bashrc"]);
  expect(sub.get("")).toMatchObject({ type: "dir", mode: 0o700, uid: 0, gid: 0 });
  expect(sub.get(".bashrc")).toMatchObject({ uid: 5 });
});
