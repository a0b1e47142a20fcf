// The image commands through the compiled binary and its daemon: pull from a real
// registry with live progress, import, list/show (table and --json), flag and name
// errors with their exit codes, delete and cache prune.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { ImageInfo } from "../../../src/api/images.ts";
import { buildImage, push, writeOciLayout } from "../../fixtures/oci-builder.ts";
import { startRegistry, type TestRegistry } from "../../fixtures/registry.ts";
import { Instance } from "../../helpers/instance.ts";
import { dstat } from "./helpers.ts";

let registry: TestRegistry;
let inst: Instance;
const image = buildImage({
  layers: [{ entries: [{ type: "file", path: "etc/os-release", content: "ID=debian\n" }, { type: "file", path: "usr/bin/sudo", content: "s", mode: 0o4755 }] }],
});

beforeAll(async () => {
  registry = await startRegistry();
  await push(registry.host, "test/cli", "v1", image);
  inst = new Instance();
  // The host's own cloud kernel, so images get real modules.
  await inst.ok(["kernel", "import", "k1", "--from", "/"], { timeoutMs: 240_000 });
}, 300_000);

afterAll(async () => {
  await inst?.cleanup();
  await registry?.stop();
});

test("pull streams its stages and prints a summary; --json gives the image", async () => {
  const r = await inst.run(["image", "pull", `${registry.host}/test/cli:v1`, "--kernel", "k1"], { timeoutMs: 180_000 });
  expect(r.code).toBe(0);
  for (const line of ["resolving", "downloading 1 layer(s)", "flattening layer 1/1", "building the", "work-seed", "registering image cli-v1"]) {
    expect(r.stderr).toContain(line);
  }
  expect(r.stdout).toMatch(/^image cli-v1 \([0-9a-f]{16}\): debian rootfs 1\.0 GiB, kernel k1\n$/);
  const info = await inst.json<ImageInfo>(["image", "show", "cli-v1"]);
  expect(info).toMatchObject({ name: "cli-v1", source: "pull", kernel_name: "k1", os_id: "debian", manifest_digest: image.manifest.digest });
  expect(await dstat(info.rootfs_path, "/usr/bin/sudo")).toMatchObject({ mode: 0o4755, uid: 0 });
  expect(await dstat(info.rootfs_path, "/usr/local/bin/banger-agent")).toMatchObject({ mode: 0o755 });
  const k = await inst.json<{ kernel_version: string }>(["kernel", "show", "k1"]);
  expect(await dstat(info.rootfs_path, `/lib/modules/${k.kernel_version}/modules.dep`)).toMatchObject({ type: "regular", uid: 0 });
}, 240_000);

test("import, then list as a table and as JSON", async () => {
  const layout = join(inst.root, "layout");
  writeOciLayout(layout, image);
  const imp = await inst.json<ImageInfo>(["image", "import", layout, "--name", "imp", "--kernel", "k1", "--size", "1200M"], { timeoutMs: 180_000 });
  expect(imp).toMatchObject({ name: "imp", source: "import", ref: layout, rootfs_size_bytes: 1200 * 1024 * 1024 });
  const table = await inst.ok(["image", "list"]);
  const lines = table.trim().split("\n");
  expect(lines[0]).toMatch(/^NAME\s+ID\s+ROOTFS SIZE\s+KERNEL\s+CREATED$/);
  expect(lines.some((l) => /^cli-v1\s+[0-9a-f]{16}\s+1\.0 GiB\s+k1\s+\d+[smh] ago$/.test(l))).toBe(true);
  expect(lines.some((l) => /^imp\s+[0-9a-f]{16}\s+1\.2 GiB\s+k1\s/.test(l))).toBe(true);
  const listed = await inst.json<{ images: ImageInfo[] }>(["image", "list"]);
  expect(listed.images.map((i) => i.name)).toEqual(["cli-v1", "imp"]);
  const available = await inst.json<{ available: { name: string; local: boolean }[] }>(["image", "list", "--available"]);
  expect(available.available.find((e) => e.name === "debian")).toMatchObject({ local: false });
}, 240_000);

test("usage errors exit 2 with one line; runtime errors exit 1", async () => {
  const both = await inst.run(["image", "register", "r", "--rootfs", "/x", "--kernel-ref", "k1", "--kernel", "/vmlinuz"]);
  expect([both.code, both.stderr]).toEqual([2, "banger: --kernel-ref and --kernel/--initrd/--modules are mutually exclusive\n"]);
  const badName = await inst.run(["image", "pull", `${registry.host}/test/cli:v1`, "--name", "bad name"]);
  expect(badName.code).toBe(2);
  expect(badName.stderr).toContain('"name"');
  const badSize = await inst.run(["image", "pull", `${registry.host}/test/cli:v1`, "--size", "lots"]);
  expect([badSize.code, badSize.stderr]).toEqual([2, 'banger: invalid size "lots": use a number with an optional unit, like 512M, 8G or 10GiB\n']);
  const dup = await inst.run(["image", "pull", `${registry.host}/test/cli:v1`, "--kernel", "k1"]);
  expect([dup.code, dup.stderr.trim().split("\n").at(-1)]).toEqual([1, 'banger: an image named "cli-v1" already exists']);
  const missing = await inst.run(["image", "show", "nope"]);
  expect([missing.code, missing.stderr]).toEqual([1, 'banger: no image named or with id "nope"\n']);
}, 120_000);

test("delete, then cache prune (dry run first)", async () => {
  const del = await inst.ok(["image", "delete", "imp"]);
  expect(del).toMatch(/^deleted image imp \([0-9a-f]{16}\)\n$/);
  // imp shared its blobs with cli-v1: nothing to free yet
  const dir = join(inst.root, "cache", "banger", "oci");
  expect(await inst.ok(["image", "cache", "prune", "--dry-run"])).toBe(`would free 0 B across 0 blob(s) in ${dir}\n`);
  await inst.ok(["image", "rm", "cli-v1"]);
  const dry = await inst.json<{ blobs: number; freed_bytes: number; dry_run: boolean; dir: string }>(["image", "cache", "prune", "--dry-run"]);
  expect(dry).toMatchObject({ blobs: 3, dry_run: true, dir });
  const real = await inst.ok(["image", "cache", "prune"]);
  expect(real).toMatch(new RegExp(`^freed \\d+(\\.\\d)? (B|KiB) across 3 blob\\(s\\) in ${dir}\\n$`));
  expect(await inst.json(["image", "list"])).toEqual({ images: [] });
}, 120_000);
