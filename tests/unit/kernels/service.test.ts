// The kernel service on small synthetic kernels: a real loopback HTTP server, real
// .tar.zst bundles, real files. The installed Debian kernel is used by the integration tests.
import { afterAll, beforeEach, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { ProgressSink } from "../../../src/api/progress.ts";
import { Paths } from "../../../src/config/paths.ts";
import { KernelService } from "../../../src/kernels/service.ts";
import { silentLogger } from "../../../src/log.ts";
import { fakeBzImage, serveFiles, sha256, tarArchive, tinyElf, zstd, type TarEntry } from "../../fixtures/kernel-bundle.ts";

const base = mkdtempSync(join(tmpdir(), "bk-svc-"));
const VERSION = "6.1.0-99-test";
const elf = tinyElf();
const bzImage = fakeBzImage(new Uint8Array(gzipSync(elf)), VERSION);

const goodBundle = zstd(
  tarArchive([
    { path: "metadata.json", data: JSON.stringify({ distro: "testos", arch: "amd64" }) },
    { path: `boot/vmlinuz-${VERSION}`, data: bzImage },
    { path: `boot/initrd.img-${VERSION}`, data: "initrd" },
    { path: `lib/modules/${VERSION}/kernel/a.ko`, data: "module" },
    { path: `lib/modules/${VERSION}/modules.dep`, data: "" },
  ]),
);
const evilBundle = zstd(tarArchive([{ path: `boot/vmlinuz-${VERSION}`, data: bzImage }, { path: "../../escape", data: "x" }]));

let hits = 0;
const entry = (name: string, file: string, sha = sha256(goodBundle)) => ({
  name,
  distro: "debian",
  arch: "amd64",
  kernel_version: VERSION,
  url: file,
  sha256: sha,
});
const catalog = {
  kernels: [
    entry("good", "good.tar.zst"),
    entry("wrong-sha", "good.tar.zst", "0".repeat(64)),
    entry("evil", "evil.tar.zst", sha256(evilBundle)),
    entry("gone", "missing.tar.zst"),
    entry("shared", "slow.tar.zst"),
    entry("debian-cloud-6.1", "good.tar.zst"), // overrides the embedded placeholder
  ],
};
// Bundle URLs are relative: they resolve against the catalog URL.
const both = serveFiles({
  "/catalog.json": new TextEncoder().encode(JSON.stringify(catalog)),
  "/good.tar.zst": goodBundle,
  "/evil.tar.zst": evilBundle,
  "/slow.tar.zst": () => {
    hits++;
    return new Response(goodBundle);
  },
});
afterAll(() => {
  both.stop();
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
let paths: Paths;
let users: string[];
let svc: KernelService;
beforeEach(() => {
  const root = join(base, `i${++n}`);
  paths = new Paths({ config: join(root, "c"), state: join(root, "s"), cache: join(root, "k"), runtime: join(root, "r") });
  users = [];
  svc = new KernelService({ paths, catalogUrl: `${both.url}/catalog.json`, log: silentLogger, kernelUsers: () => users });
});

function recorder() {
  const events: string[] = [];
  const sink: ProgressSink = {
    stage: (s) => void events.push(`stage:${s}`),
    bytes: (_i, _d, _t, finished) => void (finished && events.push("bytes:finished")),
    notice: (l, m) => void events.push(`${l}:${m}`),
  };
  return { events, sink };
}

/** Only published kernels may remain: no staging, trash or downloads. */
function leftovers(): string[] {
  const kernels = existsSync(paths.kernelsDir) ? readdirSync(paths.kernelsDir).filter((f) => /\.(staging|old)$/.test(f)) : [];
  const tmp = existsSync(paths.tmpDir) ? readdirSync(paths.tmpDir) : [];
  return [...kernels, ...tmp];
}

function fakeTree(): string {
  const root = join(base, `tree${n}`);
  const put = (rel: string, data: string | Uint8Array) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), data);
  };
  put(`boot/vmlinuz-${VERSION}`, bzImage);
  put(`boot/initrd.img-${VERSION}`, "initrd");
  put(`lib/modules/${VERSION}/kernel/a.ko`, "module");
  symlinkSync("/usr/src/linux-headers-x", join(root, `lib/modules/${VERSION}/build`));
  put("etc/os-release", "ID=debian\n");
  return root;
}

test("import: vmlinux extracted, vmlinuz/initrd/modules kept, manifest written", async () => {
  const { events, sink } = recorder();
  const tree = fakeTree();
  const k = await svc.import("mine", tree, { sink });
  expect(k).toMatchObject({ name: "mine", distro: "debian", arch: "amd64", kernel_version: VERSION, compression: "gzip", source: `import:${tree}` });
  expect(k.sha256).toBe(sha256(bzImage));
  expect(sha256(readFileSync(k.vmlinux))).toBe(sha256(elf));
  expect(readFileSync(k.vmlinuz!)).toEqual(Buffer.from(bzImage));
  expect(readFileSync(k.initrd!, "utf8")).toBe("initrd");
  expect(readFileSync(join(k.modules!, VERSION, "kernel/a.ko"), "utf8")).toBe("module");
  expect(readlinkSync(join(k.modules!, VERSION, "build"))).toBe("/usr/src/linux-headers-x"); // symlinks kept as-is
  expect(JSON.parse(readFileSync(join(k.dir, "manifest.json"), "utf8"))).toMatchObject({ name: "mine", imported_at: k.imported_at });
  expect(events).toEqual(["stage:discover", "stage:assemble", "stage:extract_vmlinux", "stage:copy_modules", "stage:publish"]);
  expect(svc.show("mine")).toEqual(k);
  expect(leftovers()).toEqual([]);
});

test("import: existing name is a conflict without force, replaced with it", async () => {
  const tree = fakeTree();
  await svc.import("mine", tree);
  await expect(svc.import("mine", tree)).rejects.toMatchObject({ code: "conflict" });
  const again = await svc.import("mine", tree, { force: true });
  expect(again.name).toBe("mine");
  expect(leftovers()).toEqual([]);
});

test("import: a failure leaves nothing behind", async () => {
  const tree = fakeTree();
  writeFileSync(join(tree, `boot/vmlinuz-${VERSION}`), fakeBzImage(new Uint8Array(gzipSync(new TextEncoder().encode("junk")))));
  await expect(svc.import("broken", tree)).rejects.toThrow(/no ELF vmlinux/);
  expect(existsSync(paths.kernelDir("broken"))).toBe(false);
  expect(leftovers()).toEqual([]);
  await expect(svc.import("bad name", tree)).rejects.toMatchObject({ code: "usage" });
});

test("pull: download with progress, verify, extract, publish; nothing else left", async () => {
  const { events, sink } = recorder();
  const k = await svc.pull("good", { sink });
  expect(k).toMatchObject({ name: "good", distro: "testos", kernel_version: VERSION, source: `${both.url}/good.tar.zst`, bundle_sha256: sha256(goodBundle) });
  expect(sha256(readFileSync(k.vmlinux))).toBe(sha256(elf));
  expect(readFileSync(join(k.modules!, VERSION, "kernel/a.ko"), "utf8")).toBe("module");
  expect(existsSync(join(k.dir, "bundle"))).toBe(false);
  expect(events).toEqual(["stage:resolve", "stage:download", "bytes:finished", "stage:verify", "stage:extract", "stage:assemble", "stage:extract_vmlinux", "stage:publish"]);
  expect(leftovers()).toEqual([]);
});

test("pull: sha256 mismatch is a clear error and leaves nothing", async () => {
  const err = await svc.pull("wrong-sha").catch((e) => e);
  expect(err).toMatchObject({ code: "invalid_content" });
  expect(err.message).toContain("sha256 mismatch");
  expect(err.message).toContain(sha256(goodBundle));
  expect(existsSync(paths.kernelDir("wrong-sha"))).toBe(false);
  expect(leftovers()).toEqual([]);
});

test("pull: a traversal bundle is rejected and leaves nothing", async () => {
  await expect(svc.pull("evil")).rejects.toThrow(/"\.\.\/\.\.\/escape" contains "\.\."/);
  expect(existsSync(paths.kernelDir("evil"))).toBe(false);
  expect(existsSync(join(paths.kernelsDir, "..", "escape"))).toBe(false);
  expect(leftovers()).toEqual([]);
});

test("pull: HTTP 404 and unknown names are clear errors", async () => {
  await expect(svc.pull("gone")).rejects.toThrow(/HTTP 404/);
  await expect(svc.pull("nope")).rejects.toMatchObject({ code: "not_found" });
  expect(leftovers()).toEqual([]);
});

test("pull: existing kernel is a conflict without --force, replaced with it", async () => {
  await svc.import("good", fakeTree());
  await expect(svc.pull("good")).rejects.toMatchObject({ code: "conflict" });
  const k = await svc.pull("good", { force: true });
  expect(k.source).toBe(`${both.url}/good.tar.zst`);
  expect(leftovers()).toEqual([]);
});

test("ensureKernel: local kernels are returned, missing ones pulled once for concurrent callers", async () => {
  hits = 0;
  const [a, b] = await Promise.all([svc.ensureKernel("shared"), svc.ensureKernel("shared")]);
  expect(a).toEqual(b);
  expect(hits).toBe(1);
  await svc.ensureKernel("shared");
  expect(hits).toBe(1);
});

test("rm: refused while images use the kernel, then removed", async () => {
  await svc.import("mine", fakeTree());
  users = ["debian-12"];
  await expect(svc.rm("mine")).rejects.toThrow(/used by image\(s\) debian-12/);
  users = [];
  expect(await svc.rm("mine")).toEqual({ removed: "mine" });
  expect(existsSync(paths.kernelDir("mine"))).toBe(false);
  await expect(svc.rm("mine")).rejects.toMatchObject({ code: "not_found" });
  expect(leftovers()).toEqual([]);
});

test("list: local kernels, and with available the merged catalog and what is local", async () => {
  await svc.pull("good");
  const r = await svc.list(true);
  expect(r.kernels.map((k) => k.name)).toEqual(["good"]);
  expect(r.catalog_error).toBeNull();
  const byName = Object.fromEntries(r.available!.map((e) => [e.name, e]));
  expect(byName.good).toMatchObject({ local: true, catalog: "url" });
  expect(byName["debian-cloud-6.1"]).toMatchObject({ local: false, catalog: "url", url: `${both.url}/good.tar.zst` });
  expect((await svc.list()).available).toBeUndefined();
});

test("list: an unreachable catalog URL is reported, the embedded catalog still listed", async () => {
  const offline = new KernelService({ paths, catalogUrl: `${both.url}/nothing.json`, log: silentLogger });
  const r = await offline.list(true);
  expect(r.catalog_error).toContain("HTTP 404");
  expect(r.available!.map((e) => e.name)).toEqual(["debian-cloud-6.1"]);
  await expect(offline.pull("debian-cloud-6.1")).rejects.toThrow(/HTTP 404/);
});

test("the bundle may ship its files behind safe symlinks", async () => {
  const linked = zstd(
    tarArchive([
      { path: "kernel/vmlinuz", data: bzImage },
      { path: `boot/vmlinuz-${VERSION}`, type: "symlink", linkpath: "../kernel/vmlinuz" },
    ] as TarEntry[]),
  );
  const s = serveFiles({ "/c.json": new TextEncoder().encode(JSON.stringify({ kernels: [entry("linked", "l.tar.zst", sha256(linked))] })), "/l.tar.zst": linked });
  try {
    const k = await new KernelService({ paths, catalogUrl: `${s.url}/c.json`, log: silentLogger }).pull("linked");
    expect(lstatSync(k.vmlinuz!).isFile()).toBe(true);
    expect(k.initrd).toBeNull();
    expect(k.modules).toBeNull();
  } finally {
    s.stop();
  }
});

test("sweepStale removes staging/trash dirs and partial downloads a killed daemon left", async () => {
  await svc.import("mine", fakeTree());
  mkdirSync(join(paths.kernelsDir, "other.staging", "bundle"), { recursive: true });
  mkdirSync(join(paths.kernelsDir, "mine.old"));
  mkdirSync(paths.tmpDir, { recursive: true });
  writeFileSync(join(paths.tmpDir, "kernel-other-1-x.tar.zst"), "partial");
  writeFileSync(join(paths.tmpDir, "layer-not-ours"), "keep");
  svc.sweepStale();
  expect(readdirSync(paths.kernelsDir)).toEqual(["mine"]);
  expect(readdirSync(paths.tmpDir)).toEqual(["layer-not-ours"]);
});
