// Malicious layers through the whole import pipeline: each is refused with an error naming
// the member, nothing is written outside the staging dir (a sentinel directory next to
// the instance stays empty, a sentinel file keeps its content), the staging dir is
// removed and no image is registered.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage, writeOciLayout, type LayerEntry } from "../../fixtures/oci-builder.ts";
import { leftovers, makeInstance, type Instance } from "./helpers.ts";

let inst: Instance;
let outside: string;
let victim: string;

beforeAll(() => {
  inst = makeInstance();
  outside = join(inst.root, "outside");
  mkdirSync(outside);
  victim = join(inst.root, "victim.txt");
  writeFileSync(victim, "untouched\n");
});

afterAll(() => inst?.cleanup());

let n = 0;
async function importLayers(layers: LayerEntry[][]): Promise<Error & { code?: string }> {
  const layout = join(inst.root, `evil-${++n}`);
  writeOciLayout(layout, buildImage({ layers: layers.map((entries) => ({ entries })) }));
  const err = await inst.images.import(layout, {}).then(
    () => new Error("import unexpectedly succeeded"),
    (e) => e,
  );
  expect(readdirSync(outside)).toEqual([]);
  expect(readFileSync(victim, "utf8")).toBe("untouched\n");
  expect(leftovers(inst)).toEqual([]);
  expect(inst.images.list()).toEqual([]);
  return err;
}

test("a ../ member", async () => {
  const err = await importLayers([[{ type: "file", path: "../../outside/pwned", content: "x" }]]);
  expect(err.code).toBe("invalid_content");
  expect(err.message).toContain('layer member "../../outside/pwned" contains ".."');
}, 30_000);

test("an absolute member", async () => {
  const err = await importLayers([[{ type: "file", path: `${outside}/pwned`, content: "x" }]]);
  expect(err.code).toBe("invalid_content");
  expect(err.message).toContain(`layer member "${outside}/pwned" has an absolute path`);
}, 30_000);

test("a relative symlink escaping the root", async () => {
  const err = await importLayers([[{ type: "dir", path: "a" }, { type: "symlink", path: "a/up", target: "../../outside" }]]);
  expect(err.message).toContain('layer member "a/up" is a symlink to "../../outside", which escapes the image root');
}, 30_000);

test("a hardlink to a file outside the image", async () => {
  const rel = await importLayers([[{ type: "hardlink", path: "stolen", target: "../victim.txt" }]]);
  expect(rel.message).toContain('layer member "stolen" is a hardlink to "../victim.txt", which is outside the image');
  const abs = await importLayers([[{ type: "hardlink", path: "stolen", target: victim }]]);
  expect(abs.message).toContain(`layer member "stolen" is a hardlink to "${victim}", which is outside the image`);
}, 30_000);

test("a hardlink through a symlinked directory", async () => {
  const err = await importLayers([[{ type: "symlink", path: "out", target: inst.root }, { type: "hardlink", path: "stolen", target: "out/victim.txt" }]]);
  expect(err.message).toContain('layer member "stolen" is a hardlink to "out/victim.txt", which is not a regular file in the image');
}, 30_000);

test("symlink-then-write-through, in one layer and across layers", async () => {
  const one = await importLayers([[{ type: "symlink", path: "etc", target: outside }, { type: "file", path: "etc/pwned", content: "x" }]]);
  expect(one.message).toContain('layer member "etc/pwned" would be written through the symlink "/etc"');
  const two = await importLayers([
    [{ type: "symlink", path: "data", target: "/" }],
    [{ type: "dir", path: "data/sub" }],
  ]);
  expect(two.message).toContain('layer member "data/sub/" would be written through the symlink "/data"');
  const rel = await importLayers([[{ type: "dir", path: "x" }, { type: "symlink", path: "x/link", target: ".." }, { type: "file", path: "x/link/f", content: "1" }]]);
  expect(rel.message).toContain('layer member "x/link/f" would be written through the symlink "/x/link"');
}, 30_000);

test("a whiteout reaching through a symlink", async () => {
  const err = await importLayers([[{ type: "symlink", path: "s", target: outside }], [{ type: "whiteout", path: "s/anything" }]]);
  expect(err.message).toContain('layer member "s/.wh.anything" reaches through the symlink "/s"');
}, 30_000);
