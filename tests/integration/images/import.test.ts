// image import (F41), the offline path: an OCI layout dir, an oci-archive tar (plain and
// gzip-compressed), a legacy `docker save` tar; and archives that lie about their content.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildImage, buildIndex, dockerSaveBytes, filesTar, ociArchiveBytes, writeOciLayout, type LayerSpec } from "../../fixtures/oci-builder.ts";
import { dcat, dls, dstat, e2fsckClean, leftovers, makeInstance, type Instance } from "./helpers.ts";

const layers: LayerSpec[] = [
  {
    entries: [
      { type: "dir", path: "etc" },
      { type: "file", path: "etc/os-release", content: "ID=alpine\n" },
      { type: "file", path: "bin/busybox", content: "bb", mode: 0o4755 },
      { type: "file", path: "old.txt", content: "old" },
    ],
  },
  { compression: "zstd", entries: [{ type: "whiteout", path: "old.txt" }, { type: "file", path: "new.txt", content: "new" }] },
];

let inst: Instance;
let dir: string;

beforeAll(() => {
  inst = makeInstance();
  dir = join(inst.root, "inputs");
  mkdirSync(dir);
});

afterAll(() => inst?.cleanup());

async function checkImported(name: string): Promise<void> {
  const row = inst.images.show(name);
  expect(row.source).toBe("import");
  expect(row.osId).toBe("alpine");
  expect(await dcat(row.rootfsPath, "/new.txt")).toBe("new");
  expect(await dstat(row.rootfsPath, "/old.txt")).toBeNull();
  expect(await dstat(row.rootfsPath, "/bin/busybox")).toMatchObject({ mode: 0o4755, uid: 0 });
  expect(await dstat(row.rootfsPath, "/usr/local/bin/banger-agent")).toMatchObject({ mode: 0o755 });
  expect((await e2fsckClean(row.rootfsPath)).ok).toBe(true);
}

test("an OCI layout directory", async () => {
  const layout = join(dir, "alpine-layout");
  const image = buildImage({ layers });
  writeOciLayout(layout, image);
  const stages: string[] = [];
  const row = await inst.images.import(layout, {}, { stage: (s) => void stages.push(s), bytes() {}, notice() {} });
  expect(row.name).toBe("alpine-layout");
  expect(row.ref).toBe(layout);
  expect(row.manifestDigest).toBe(image.manifest.digest);
  expect(stages).toEqual(expect.arrayContaining(["flatten", "inject", "ext4", "work_seed", "register"]));
  await checkImported("alpine-layout");
}, 60_000);

test("an oci-archive tar, plain and gzip-compressed; a multi-arch index picks amd64", async () => {
  const image = buildImage({ layers });
  writeFileSync(join(dir, "alpine.tar"), ociArchiveBytes(image));
  await inst.images.import(join(dir, "alpine.tar"), { name: "from-archive" });
  await checkImported("from-archive");
  const arm = buildImage({ architecture: "arm64", layers: [{ entries: [{ type: "file", path: "new.txt", content: "arm" }] }] });
  writeFileSync(join(dir, "multi.tar.gz"), gzipSync(ociArchiveBytes(buildIndex([arm, image]))));
  const row = await inst.images.import(join(dir, "multi.tar.gz"), {});
  expect(row.name).toBe("multi");
  await checkImported("multi");
}, 60_000);

test("a docker save tar (legacy <id>/layer.tar format)", async () => {
  writeFileSync(join(dir, "saved.tar"), dockerSaveBytes({ layers }));
  const row = await inst.images.import(join(dir, "saved.tar"), { name: "saved" });
  expect(row.manifestDigest).toMatch(/^sha256:/);
  expect(inst.images.cache.has(row.manifestDigest!)).toBe(true);
  await checkImported("saved");
}, 60_000);

test("an archive blob that does not hash to its name is refused; the cache stays clean", async () => {
  const image = buildImage({ layers: [{ entries: [{ type: "file", path: "only-here", content: "never cached" }] }] });
  const layer = image.layers[0]!;
  const tampered = filesTar([
    { path: "oci-layout", data: new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}') },
    { path: `blobs/sha256/${layer.digest.slice(7)}`, data: new Uint8Array(layer.bytes.length).fill(7) },
  ]);
  writeFileSync(join(dir, "tampered.tar"), tampered);
  const err = await inst.images.import(join(dir, "tampered.tar"), {}).catch((e) => e);
  expect(err.code).toBe("invalid_content");
  expect(err.message).toContain(`blob ${layer.digest} failed digest verification`);
  expect(inst.images.cache.has(layer.digest)).toBe(false);
  expect(readdirSync(join(inst.paths.ociDir, "ingest"))).toEqual([]);
  expect(leftovers(inst)).toEqual([]);
}, 30_000);

test("a docker save layer that does not match the config's diff_ids is refused", async () => {
  const good = dockerSaveBytes({ layers: [{ entries: [{ type: "file", path: "a", content: "aaaa" }] }] });
  // change the layer's content but keep the config (and its diff_ids) as they were
  const text = (b: Uint8Array) => new TextDecoder("latin1").decode(b);
  const swapped = text(good).replace(/aaaa/, "bbbb");
  expect(swapped).not.toBe(text(good));
  writeFileSync(join(dir, "swapped.tar"), Buffer.from(swapped, "latin1"));
  const err = await inst.images.import(join(dir, "swapped.tar"), {}).catch((e) => e);
  expect(err.code).toBe("invalid_content");
  expect(err.message).toContain("but the config says");
  expect(leftovers(inst)).toEqual([]);
}, 30_000);

test("unusable inputs fail clearly", async () => {
  expect((await inst.images.import(join(dir, "missing"), {}).catch((e) => e)).code).toBe("not_found");
  mkdirSync(join(dir, "empty-dir"));
  const e1 = await inst.images.import(join(dir, "empty-dir"), {}).catch((e) => e);
  expect(e1.message).toContain("is neither an OCI image layout");
  writeFileSync(join(dir, "junk.tar"), new Uint8Array(4096).fill(1));
  const e2 = await inst.images.import(join(dir, "junk.tar"), {}).catch((e) => e);
  expect(e2.code).toBe("invalid_content");
  const two = join(dir, "two-images");
  writeOciLayout(two, buildImage({ layers }));
  const idx = JSON.parse(await Bun.file(join(two, "index.json")).text());
  idx.manifests.push({ ...idx.manifests[0], annotations: { "org.opencontainers.image.ref.name": "other" } });
  writeFileSync(join(two, "index.json"), JSON.stringify(idx));
  const e3 = await inst.images.import(two, {}).catch((e) => e);
  expect(e3.code).toBe("usage");
  expect(e3.message).toContain("holds 2 images (latest, other)");
  expect(existsSync(inst.paths.imagesDir) ? leftovers(inst) : []).toEqual([]);
  expect((await dls(inst.images.show("saved").rootfsPath, "/")).length).toBeGreaterThan(0);
}, 30_000);
