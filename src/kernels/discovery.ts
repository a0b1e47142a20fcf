// Find a kernel in a directory tree (F51): metadata.json when present, else the usual
// distro layout — boot/vmlinux-*, boot/vmlinuz-*, boot/initrd.img-*, boot/initramfs-*,
// lib/modules/<version> (or usr/lib/modules). One version is chosen (the newest kernel
// image) and the initrd and modules are taken for THAT version only, never mixed.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { BangerError } from "../api/errors.ts";
import { readMetadata, resolveInside, type KernelMetadata } from "./metadata.ts";
import { newestVersion } from "./version.ts";

/** What to publish: kernel image paths (content decides ELF vs compressed) and extras. */
export interface KernelSource {
  root: string;
  version: string | null;
  /** 1 or 2 kernel images of the same version, e.g. [vmlinuz] or [vmlinux, vmlinuz]. */
  images: string[];
  initrd: string | null;
  /** The lib/modules/<version> directory. */
  modules: string | null;
  distro: string | null;
  arch: string | null;
}

const MODULE_ROOTS = ["lib/modules", "usr/lib/modules"];

export function discoverKernel(root: string): KernelSource {
  if (!isDir(root)) throw new BangerError("not_found", `${root} is not a directory`);
  const meta = readMetadata(root);
  if (meta?.kernel) return fromMetadata(root, meta);
  const images = kernelImagesByVersion(root);
  const version = meta?.kernel_version && images.has(meta.kernel_version) ? meta.kernel_version : newestVersion(images.keys());
  if (!version) {
    throw new BangerError(
      "not_found",
      `no kernel found under ${root}: looked for boot/vmlinux-*, boot/vmlinuz-* and lib/modules/*/vmlinuz (or add a metadata.json)`,
    );
  }
  return {
    root,
    version,
    images: images.get(version)!,
    initrd: findInitrd(root, version),
    modules: findModules(root, version),
    distro: meta?.distro ?? osReleaseId(root),
    arch: meta?.arch ?? null,
  };
}

function fromMetadata(root: string, meta: KernelMetadata): KernelSource {
  const images = [resolveInside(root, meta.kernel!, "kernel")];
  if (meta.vmlinux) images.unshift(resolveInside(root, meta.vmlinux, "vmlinux"));
  const modules = meta.modules ? resolveInside(root, meta.modules, "modules") : null;
  if (modules && !isDir(modules)) throw new BangerError("usage", `metadata.json: modules "${meta.modules}" is not a directory`);
  const version = meta.kernel_version ?? versionFromName(basename(meta.kernel!)) ?? (modules ? basename(modules) : null);
  return {
    root,
    version,
    images,
    initrd: meta.initrd ? resolveInside(root, meta.initrd, "initrd") : null,
    modules,
    distro: meta.distro ?? osReleaseId(root),
    arch: meta.arch ?? null,
  };
}

/** version -> image paths, ELF-named vmlinux first. */
function kernelImagesByVersion(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (version: string, path: string, first: boolean) => {
    const list = found.get(version) ?? [];
    if (list.includes(path)) return;
    first ? list.unshift(path) : list.push(path);
    found.set(version, list);
  };
  for (const entry of listDir(join(root, "boot"))) {
    const version = versionFromName(entry);
    if (version && isFile(join(root, "boot", entry))) add(version, join(root, "boot", entry), entry.startsWith("vmlinux-"));
  }
  // Fedora and Arch keep the image inside the modules directory.
  for (const modRoot of MODULE_ROOTS) {
    for (const version of listDir(join(root, modRoot))) {
      const image = join(root, modRoot, version, "vmlinuz");
      if (!found.has(version) && isFile(image)) add(version, image, false);
    }
  }
  return found;
}

export function versionFromName(file: string): string | null {
  const m = /^vmlinu[xz]-(.+)$/.exec(file);
  return m && m[1] ? m[1] : null;
}

function findInitrd(root: string, version: string): string | null {
  const names = [`initrd.img-${version}`, `initramfs-${version}.img`, `initramfs-${version}`, `initrd-${version}`];
  for (const name of names) if (isFile(join(root, "boot", name))) return join(root, "boot", name);
  return null;
}

function findModules(root: string, version: string): string | null {
  for (const modRoot of MODULE_ROOTS) {
    const dir = join(root, modRoot, version);
    if (isDir(dir)) return dir;
  }
  return null;
}

/** ID= from etc/os-release (or usr/lib/os-release) of the tree, e.g. "debian". */
function osReleaseId(root: string): string | null {
  for (const rel of ["etc/os-release", "usr/lib/os-release"]) {
    const file = join(root, rel);
    if (!isFile(file)) continue;
    const m = /^ID="?([^"\n]+)"?$/m.exec(readFileSync(file, "utf8"));
    if (m) return m[1]!.trim();
  }
  return null;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
