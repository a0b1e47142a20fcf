import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFiles, parseOsRelease, readOsRelease, resolveInTree, stripGlobs } from "../../../src/disk/inject.ts";
import { Tree, type NodeMeta } from "../../../src/oci/tree.ts";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const d = (mode = 0o755): NodeMeta => ({ type: "dir", mode, uid: 0, gid: 0, size: 0 });
const link = (target: string): NodeMeta => ({ type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, target });

function mergedUsr(): Tree {
  const root = mkdtempSync(join(tmpdir(), "inject-"));
  roots.push(root);
  const t = new Tree(join(root, "tree"));
  t.addDir("usr", d());
  t.addDir("usr/lib", d());
  t.addSymlink("lib", link("usr/lib"));
  t.addDir("etc", d());
  t.addSymlink("etc/os-release", link("../usr/lib/os-release"));
  const s = t.addFile("usr/lib/os-release", { type: "file", mode: 0o644, uid: 0, gid: 0, size: 0 }, 0);
  s.data(new TextEncoder().encode('PRETTY_NAME="X"\nID=ubuntu\nID_LIKE=debian\n'));
  s.end();
  t.addSymlink("abs", link("/usr/lib"));
  t.addSymlink("loop", link("loop"));
  t.addDir("etc/ssh", d());
  for (const n of ["ssh_host_rsa_key", "ssh_host_rsa_key.pub", "sshd_config"]) t.addFile(`etc/ssh/${n}`, { type: "file", mode: 0o600, uid: 0, gid: 0, size: 0 }, 0).end();
  return t;
}

test("guest paths resolve through the image's symlinks, inside the tree", () => {
  const t = mergedUsr();
  expect(resolveInTree(t, "/lib/modules/6.1")).toBe("usr/lib/modules/6.1");
  expect(resolveInTree(t, "/lib", false)).toBe("lib");
  expect(resolveInTree(t, "/lib", true)).toBe("usr/lib");
  expect(resolveInTree(t, "/abs/x")).toBe("usr/lib/x");
  expect(resolveInTree(t, "/../../etc/./os-release", true)).toBe("usr/lib/os-release");
  expect(resolveInTree(t, "/new/dir/file")).toBe("new/dir/file");
  expect(() => resolveInTree(t, "/loop/x")).toThrow("too many symlinks");
});

test("injected files land behind symlinked dirs with parents created root-owned", () => {
  const t = mergedUsr();
  injectFiles(t, [{ guestPath: "/lib/banger/x.sh", mode: 0o755, uid: 0, gid: 0, contents: new TextEncoder().encode("#!/bin/sh\n") }]);
  expect(t.get("usr/lib/banger")).toMatchObject({ type: "dir", mode: 0o755, uid: 0 });
  expect(t.get("usr/lib/banger/x.sh")).toMatchObject({ type: "file", mode: 0o755, size: 10 });
  expect(readFileSync(t.host("usr/lib/banger/x.sh"), "utf8")).toBe("#!/bin/sh\n");
  expect(t.get("lib")!.type).toBe("symlink");
});

test("strip globs and os-release", () => {
  const t = mergedUsr();
  expect(stripGlobs(t, ["/etc/ssh/ssh_host_*", "/nowhere/*"])).toEqual(["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"]);
  expect(t.childNames("etc/ssh")).toEqual(["sshd_config"]);
  expect(readOsRelease(t)).toEqual({ id: "ubuntu", idLike: "debian" });
  expect(parseOsRelease("ID='alpine'\nVERSION_ID=3.20\n")).toEqual({ id: "alpine", idLike: null });
  expect(parseOsRelease('ID="rhel"\nID_LIKE="fedora centos"\n')).toEqual({ id: "rhel", idLike: "fedora centos" });
  expect(parseOsRelease("")).toEqual({ id: null, idLike: null });
});
