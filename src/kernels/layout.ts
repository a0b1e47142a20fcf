// The on-disk catalog (F50): <kernels>/<name>/{vmlinux, vmlinuz?, initrd.img?,
// modules/<version>/?, manifest.json}. Builds happen in <name>.staging and are published
// by rename; a replaced kernel is renamed to <name>.old first and deleted afterwards.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { KernelInfo, KernelManifest } from "../api/kernels.ts";
import type { Paths } from "../config/paths.ts";
import { isValidKernelName } from "./names.ts";

export const FILES = {
  vmlinux: "vmlinux",
  vmlinuz: "vmlinuz",
  initrd: "initrd.img",
  modules: "modules",
  manifest: "manifest.json",
} as const;

export class KernelLayout {
  constructor(private readonly paths: Paths) {}

  get root(): string {
    return this.paths.kernelsDir;
  }

  dir(name: string): string {
    return this.paths.kernelDir(name);
  }

  staging(name: string): string {
    return join(this.root, `${name}.staging`);
  }

  trash(name: string): string {
    return join(this.root, `${name}.old`);
  }

  /** A fresh, empty staging dir; leftovers of a crashed run are removed first. */
  freshStaging(name: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    this.sweep(name);
    mkdirSync(this.staging(name), { mode: 0o755 });
    return this.staging(name);
  }

  /** Remove the staging and trash dirs of `name` (the caller holds the name's lock). */
  sweep(name: string): void {
    rmSync(this.staging(name), { recursive: true, force: true });
    rmSync(this.trash(name), { recursive: true, force: true });
  }

  /** Staging and trash dirs of every name: leftovers of a daemon that died mid-build. */
  staleDirs(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((n) => n.endsWith(".staging") || n.endsWith(".old"))
      .map((n) => join(this.root, n));
  }

  /** Publish a complete staging dir. Without `replace`, an existing kernel is a conflict. */
  publish(name: string, replace: boolean): void {
    const dest = this.dir(name);
    if (existsSync(dest)) {
      if (!replace) throw new BangerError("conflict", `kernel "${name}" already exists (use --force to replace it)`);
      renameSync(dest, this.trash(name));
    }
    renameSync(this.staging(name), dest);
    rmSync(this.trash(name), { recursive: true, force: true });
  }

  /** Unpublish by rename, then delete: a half-deleted kernel never looks published. */
  remove(name: string): void {
    this.sweep(name);
    renameSync(this.dir(name), this.trash(name));
    rmSync(this.trash(name), { recursive: true, force: true });
  }

  names(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((n) => isValidKernelName(n) && existsSync(join(this.root, n, FILES.manifest)))
      .sort();
  }

  exists(name: string): boolean {
    return existsSync(join(this.dir(name), FILES.manifest));
  }

  /** The kernel's info, or null when it is not in the catalog. */
  info(name: string): KernelInfo | null {
    if (!isValidKernelName(name) || !this.exists(name)) return null;
    const dir = this.dir(name);
    const manifest = readManifest(join(dir, FILES.manifest));
    const optional = (file: string) => (existsSync(join(dir, file)) ? join(dir, file) : null);
    return {
      ...manifest,
      dir,
      vmlinux: join(dir, FILES.vmlinux),
      vmlinuz: optional(FILES.vmlinuz),
      initrd: optional(FILES.initrd),
      modules: optional(FILES.modules),
      size_bytes: diskUsage(dir),
    };
  }
}

export function readManifest(file: string): KernelManifest {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as KernelManifest;
  } catch (err) {
    throw new BangerError("internal", `kernel manifest ${file} is unreadable: ${(err as Error).message}`);
  }
}

/** Apparent size of a tree (symlinks count as themselves). */
export function diskUsage(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += diskUsage(join(path, entry));
  return total;
}
