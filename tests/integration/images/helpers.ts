// Shared setup for image tests: an isolated instance (temp XDG roots, a real migrated
// SQLite database) with an ImageService whose kernel provider serves one local test
// kernel (a modules tree with a .ko, modules.dep and a `build` symlink), whose injection
// set is the real guest assets plus a test-built agent; and debugfs readers for results.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import type { KernelInfo } from "../../../src/api/kernels.ts";
import { Paths } from "../../../src/config/paths.ts";
import { exec } from "../../../src/host/exec.ts";
import { AGENT_FILE, GUEST_FILES, GUEST_STRIP_GLOBS } from "../../../src/guest/assets.ts";
import type { InjectionSet } from "../../../src/images/build.ts";
import { embeddedImageCatalog } from "../../../src/images/catalog.ts";
import { ImageService } from "../../../src/images/service.ts";
import type { KernelProvider } from "../../../src/kernels/service.ts";
import { silentLogger } from "../../../src/log.ts";
import { closeDatabase, openDatabase, type Db } from "../../../src/store/db.ts";
import { testAgent } from "../../fixtures/agent.ts";

export const KERNEL_NAME = "test-kernel";
export const KERNEL_VERSION = "6.1.0-test";

export interface Instance {
  root: string;
  paths: Paths;
  db: Db;
  images: ImageService;
  kernelDir: string;
  cleanup(): void;
}

export function testKernel(dir: string): KernelInfo {
  const modules = join(dir, "modules");
  const ver = join(modules, KERNEL_VERSION);
  mkdirSync(join(ver, "kernel", "drivers", "virtio"), { recursive: true });
  writeFileSync(join(ver, "kernel", "drivers", "virtio", "virtio_test.ko"), "not really a module\n");
  writeFileSync(join(ver, "modules.dep"), "kernel/drivers/virtio/virtio_test.ko:\n");
  symlinkSync(`/usr/src/linux-headers-${KERNEL_VERSION}`, join(ver, "build"));
  writeFileSync(join(dir, "vmlinux"), "fake vmlinux\n");
  return {
    name: KERNEL_NAME, distro: "test", arch: "amd64", kernel_version: KERNEL_VERSION, sha256: "0".repeat(64),
    source: `import:${dir}`, imported_at: new Date().toISOString(), compression: "none",
    dir, vmlinux: join(dir, "vmlinux"), vmlinuz: null, initrd: null, modules, size_bytes: 0,
  };
}

/** Serves one kernel under its own name and `aliases`; any other name fails like a missing catalog kernel. */
export function oneKernel(info: KernelInfo, aliases: string[] = []): KernelProvider {
  const known = (name: string) => name === info.name || aliases.includes(name);
  return {
    async ensureKernel(name) {
      if (!known(name)) throw new BangerError("not_found", `kernel "${name}" is not in the kernel catalog`);
      return { ...info, name };
    },
    get: (name) => (known(name) ? { ...info, name } : null),
  };
}

export async function testInjection(): Promise<InjectionSet> {
  const agent = await Bun.file(await testAgent()).bytes();
  return { files: [{ ...AGENT_FILE, contents: agent }, ...GUEST_FILES], stripGlobs: GUEST_STRIP_GLOBS };
}

export function makeInstance(opts: { insecure?: string[]; dockerConfig?: string } = {}): Instance {
  const root = mkdtempSync(join(tmpdir(), "banger-images-"));
  const paths = new Paths({ config: join(root, "config"), state: join(root, "state"), cache: join(root, "cache"), runtime: join(root, "run") });
  mkdirSync(paths.roots.state, { recursive: true });
  const db = openDatabase(paths.database);
  const kernelDir = join(root, "kernel");
  mkdirSync(kernelDir);
  const images = new ImageService({
    paths, db, log: silentLogger, kernels: oneKernel(testKernel(kernelDir), [embeddedImageCatalog().defaultKernel]),
    insecureRegistries: opts.insecure ?? [], platform: "linux/amd64", imageCatalogUrl: null,
    injection: testInjection, dockerConfig: opts.dockerConfig ?? join(root, "no-docker-config.json"),
  });
  return {
    root, paths, db, images, kernelDir,
    cleanup() {
      closeDatabase(db);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Entries of the images dir that are not a published image (staging, aside dirs). */
export function leftovers(inst: Instance): string[] {
  if (!existsSync(inst.paths.imagesDir)) return [];
  return readdirSync(inst.paths.imagesDir).filter((n) => !/^[0-9a-f]{16}$/.test(n));
}

export interface DebugfsStat {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  inode: number;
  links: number;
  linkTarget: string | null;
  device: string | null;
}

async function debugfs(image: string, request: string): Promise<string> {
  return (await exec(["debugfs", "-R", request, image])).stdout;
}

/** `debugfs -R "stat PATH"`, parsed; null when the path does not exist. */
export async function dstat(image: string, path: string): Promise<DebugfsStat | null> {
  const out = await debugfs(image, `stat "${path}"`);
  const m = /Inode: (\d+)\s+Type: (\S+( special)?)\s+Mode:\s+(\d+)/.exec(out);
  if (!m) return null;
  const ug = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(out)!;
  return {
    inode: Number(m[1]),
    type: m[2]!,
    mode: Number.parseInt(m[4]!, 8),
    uid: Number(ug[1]),
    gid: Number(ug[2]),
    size: Number(/Size: (\d+)/.exec(out)?.[1] ?? 0),
    links: Number(/Links: (\d+)/.exec(out)?.[1] ?? 0),
    linkTarget: /Fast link dest: "(.*)"/.exec(out)?.[1] ?? null,
    device: deviceNumbers(out),
  };
}

function deviceNumbers(stat: string): string | null {
  const m = /Device major\/minor number: (\d+):(\d+)/.exec(stat);
  return m ? `${Number(m[1])}:${Number(m[2])}` : null;
}

export function dcat(image: string, path: string): Promise<string> {
  return debugfs(image, `cat "${path}"`);
}

/** Names in a directory of the image. */
export async function dls(image: string, dir: string): Promise<string[]> {
  const out = await debugfs(image, `ls -p "${dir}"`);
  return out
    .split("\n")
    .map((l) => l.split("/")[5])
    .filter((n): n is string => !!n && n !== "." && n !== "..");
}

export async function e2fsckClean(image: string): Promise<{ ok: boolean; output: string }> {
  const r = await exec(["e2fsck", "-fn", image], { allowFailure: true });
  return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
}
