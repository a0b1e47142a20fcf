// `kernel pull` of a real bundle built from the installed Debian kernel, served by a
// loopback HTTP server through a catalog URL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Paths } from "../../../src/config/paths.ts";
import { isCompleteElf } from "../../../src/kernels/elf.ts";
import { KernelService } from "../../../src/kernels/service.ts";
import { silentLogger } from "../../../src/log.ts";
import { installedKernelBundle, serveFiles, sha256, tarArchive, zstd, type Bundle, type FileServer } from "../../fixtures/kernel-bundle.ts";

const root = mkdtempSync(join(tmpdir(), "bk-pull-"));
const paths = new Paths({ config: join(root, "c"), state: join(root, "s"), cache: join(root, "k"), runtime: join(root, "r") });
let bundle: Bundle;
let server: FileServer;
let svc: KernelService;

beforeAll(async () => {
  bundle = await installedKernelBundle();
  const evil = zstd(tarArchive([{ path: "boot/vmlinuz-1", data: "x" }, { path: "../../../outside", data: "pwned" }]));
  const entry = (name: string, url: string, sha: string) => ({ name, distro: "debian", arch: "amd64", kernel_version: bundle.version, url, sha256: sha });
  const catalog = {
    kernels: [
      entry("debian-cloud-6.1", "debian.tar.zst", bundle.sha256),
      entry("tampered", "debian.tar.zst", "f".repeat(64)),
      entry("traversal", "evil.tar.zst", sha256(evil)),
    ],
  };
  server = serveFiles({ "/catalog.json": new TextEncoder().encode(JSON.stringify(catalog)), "/debian.tar.zst": bundle.path, "/evil.tar.zst": evil });
  svc = new KernelService({ paths, catalogUrl: `${server.url}/catalog.json`, log: silentLogger });
}, 300_000);

afterAll(() => {
  server?.stop();
  rmSync(root, { recursive: true, force: true });
});

function leftovers(): string[] {
  const staged = readdirSync(paths.kernelsDir).filter((f) => /\.(staging|old)$/.test(f));
  return [...staged, ...(existsSync(paths.tmpDir) ? readdirSync(paths.tmpDir) : [])];
}

test(
  "pull: sha256 verified, bundle extracted, vmlinux extracted, published",
  async () => {
    const bytes: number[] = [];
    const sink = { stage() {}, notice() {}, bytes: (_: string, done: number) => void bytes.push(done) };
    const started = Date.now();
    const k = await svc.pull("debian-cloud-6.1", { sink });
    console.log(`pull of a ${readFileSync(bundle.path).length >> 20} MiB bundle took ${Date.now() - started} ms`);
    expect(k).toMatchObject({ name: "debian-cloud-6.1", distro: "debian", arch: "amd64", kernel_version: bundle.version, bundle_sha256: bundle.sha256 });
    expect(isCompleteElf(new Uint8Array(readFileSync(k.vmlinux)))).toBe(true);
    expect(existsSync(k.initrd!)).toBe(true);
    expect(existsSync(join(k.modules!, bundle.version, "kernel"))).toBe(true);
    expect(existsSync(join(k.modules!, bundle.version, "modules.dep"))).toBe(true);
    expect(bytes.at(-1)).toBe(readFileSync(bundle.path).length);
    expect(leftovers()).toEqual([]);
  },
  300_000,
);

test("pull without --force of an existing kernel is a conflict", async () => {
  await expect(svc.pull("debian-cloud-6.1")).rejects.toMatchObject({ code: "conflict", message: expect.stringContaining("--force") });
});

test(
  "pull --force replaces the existing kernel",
  async () => {
    const before = svc.show("debian-cloud-6.1");
    const after = await svc.pull("debian-cloud-6.1", { force: true });
    expect(after.imported_at > before.imported_at).toBe(true);
    expect(readdirSync(paths.kernelsDir)).toEqual(["debian-cloud-6.1"]);
  },
  300_000,
);

test(
  "sha256 mismatch: clear error, nothing left behind",
  async () => {
    const err = await svc.pull("tampered").catch((e) => e);
    expect(err.code).toBe("invalid_content");
    expect(err.message).toMatch(/sha256 mismatch .* expected f{64}, got [0-9a-f]{64}/);
    expect(existsSync(paths.kernelDir("tampered"))).toBe(false);
    expect(leftovers()).toEqual([]);
  },
  300_000,
);

test("a traversal bundle is rejected, nothing written outside, nothing left", async () => {
  await expect(svc.pull("traversal")).rejects.toThrow(/contains "\.\."/);
  expect(existsSync(join(root, "outside"))).toBe(false);
  expect(existsSync(join(paths.roots.state, "outside"))).toBe(false);
  expect(existsSync(paths.kernelDir("traversal"))).toBe(false);
  expect(leftovers()).toEqual([]);
});
