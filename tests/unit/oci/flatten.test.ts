// Layer application semantics on a real temp staging dir.
import { afterEach, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LayerApplier } from "../../../src/oci/flatten.ts";
import { TarStream } from "../../../src/oci/tar-stream.ts";
import { memberPath, relativeTargetEscapes, Tree } from "../../../src/oci/tree.ts";
import { tarBytes, type LayerEntry } from "../../fixtures/oci-builder.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function flatten(layers: LayerEntry[][], limits?: { maxBytes: number; maxEntries: number }): Tree {
  const root = mkdtempSync(join(tmpdir(), "flatten-"));
  dirs.push(root);
  const tree = new Tree(join(root, "tree"));
  const applier = new LayerApplier(tree, limits);
  for (const entries of layers) {
    applier.begin();
    const tar = new TarStream((e) => applier.entry(e));
    tar.write(tarBytes(entries));
    tar.end();
  }
  return tree;
}

const ls = (tree: Tree, rel: string) => readdirSync(tree.host(rel)).sort();

test("whiteouts hide lower layers only; a same-layer whiteout never deletes its own layer's entry", () => {
  const tree = flatten([
    [{ type: "file", path: "a", content: "1" }, { type: "dir", path: "d" }, { type: "file", path: "d/x", content: "x" }],
    [{ type: "whiteout", path: "d" }, { type: "file", path: "b", content: "2" }, { type: "whiteout", path: "b" }],
  ]);
  expect(tree.get("d")).toBeUndefined();
  expect(tree.get("d/x")).toBeUndefined();
  expect(existsSync(tree.host("d"))).toBe(false);
  expect(readFileSync(tree.host("b"), "utf8")).toBe("2");
  expect(ls(tree, "")).toEqual(["a", "b"]);
});

test("opaque dirs keep this layer's entries, wherever the marker sits", () => {
  const tree = flatten([
    [{ type: "dir", path: "o" }, { type: "file", path: "o/old", content: "" }, { type: "dir", path: "o/sub" }, { type: "file", path: "o/sub/deep", content: "" }],
    [{ type: "file", path: "o/sub/new", content: "" }, { type: "opaque", path: "o" }, { type: "file", path: "o/after", content: "" }],
  ]);
  expect(ls(tree, "o")).toEqual(["after", "sub"]);
  expect(ls(tree, "o/sub")).toEqual(["new"]);
  expect(tree.get("o/sub/deep")).toBeUndefined();
});

test("type changes replace entries; a replaced hardlink target keeps the link's content", () => {
  const tree = flatten([
    [{ type: "file", path: "f", content: "file" }, { type: "dir", path: "d" }, { type: "file", path: "d/in", content: "" }, { type: "file", path: "t", content: "orig" }, { type: "hardlink", path: "h", target: "t" }],
    [{ type: "dir", path: "f" }, { type: "file", path: "d", content: "now a file" }, { type: "file", path: "t", content: "new" }],
  ]);
  expect(tree.get("f")!.type).toBe("dir");
  expect(lstatSync(tree.host("d")).isFile()).toBe(true);
  expect(tree.get("d/in")).toBeUndefined();
  expect(readFileSync(tree.host("h"), "utf8")).toBe("orig");
  expect(readFileSync(tree.host("t"), "utf8")).toBe("new");
});

test("metadata: implicit parents, root entry, specials only in the map, hardlinks share one record", () => {
  const tree = flatten([
    [
      { type: "dir", path: "./", mode: 0o700 },
      { type: "file", path: "a/b/c", content: "", uid: 7 },
      { type: "char", path: "dev/null", major: 1, minor: 3 },
      { type: "file", path: "x", content: "x", mode: 0o4711 },
      { type: "hardlink", path: "y", target: "./x" },
    ],
  ]);
  expect(tree.get("")).toMatchObject({ type: "dir", mode: 0o700 });
  expect(tree.get("a")).toMatchObject({ type: "dir", mode: 0o755, uid: 0 });
  expect(tree.get("a/b/c")).toMatchObject({ uid: 7 });
  expect(tree.get("dev/null")).toMatchObject({ type: "char", devMajor: 1, devMinor: 3 });
  expect(existsSync(tree.host("dev/null"))).toBe(false);
  expect(tree.get("y")).toBe(tree.get("x"));
  expect(tree.get("x")!.mode).toBe(0o4711);
  // staged on disk without special bits, readable by the owner
  expect(lstatSync(tree.host("x")).mode & 0o7777).toBe(0o711 | 0o600);
});

test("refusals name the member", () => {
  expect(() => flatten([[{ type: "file", path: "../x", content: "" }]])).toThrow('layer member "../x" contains ".."');
  expect(() => flatten([[{ type: "symlink", path: "l", target: "../../x" }]])).toThrow("escapes the image root");
  expect(() => flatten([[{ type: "symlink", path: "l", target: "" }]])).toThrow("empty target");
  expect(() => flatten([[{ type: "file", path: "./", content: "" }]])).toThrow("replaces the root directory");
  expect(() => flatten([[{ type: "file", path: "f", content: "" }, { type: "file", path: "f/g", content: "" }]])).toThrow('is below "/f", which is not a directory');
  expect(() => flatten([[{ type: "hardlink", path: "h", target: "missing" }]])).toThrow("not a regular file in the image");
  expect(() => flatten([[{ type: "dir", path: "d" }, { type: "hardlink", path: "h", target: "d" }]])).toThrow("not a regular file in the image");
  expect(() => flatten([[{ type: "whiteout", path: "." }]])).toThrow("malformed whiteout");
  expect(() => flatten([[{ type: "file", path: "a", content: "12345" }, { type: "file", path: "b", content: "12345" }]], { maxBytes: 8, maxEntries: 10 })).toThrow("exceeds 8 bytes");
  expect(() => flatten([[{ type: "file", path: "a", content: "" }, { type: "file", path: "b", content: "" }]], { maxBytes: 8, maxEntries: 1 })).toThrow("more than 1 entries");
});

test("member paths and symlink escapes", () => {
  expect(memberPath("./usr//bin/")).toBe("usr/bin");
  expect(memberPath(".")).toBe("");
  expect(() => memberPath("/etc")).toThrow("absolute path");
  expect(() => memberPath("a/../b")).toThrow('contains ".."');
  expect(() => memberPath("a\0b")).toThrow("NUL");
  expect(relativeTargetEscapes("usr/bin/x", "../lib/y")).toBe(false);
  expect(relativeTargetEscapes("usr/bin/x", "../../etc")).toBe(false);
  expect(relativeTargetEscapes("usr/bin/x", "../../../etc")).toBe(true);
  expect(relativeTargetEscapes("x", "..")).toBe(true);
  expect(relativeTargetEscapes("a/x", "b/../../c")).toBe(false);
  expect(relativeTargetEscapes("a/x", "b/../../../c")).toBe(true);
  expect(relativeTargetEscapes("x", "/anything/../..")).toBe(false);
});
