// kernel.* methods: the local kernel catalog (F50) and its commands (F51).
import * as v from "valibot";
import { method } from "./define.ts";

/** Compression of the kernel image a kernel was imported from ("none" = it was an ELF vmlinux). */
export type KernelCompression = "none" | "gzip" | "xz" | "lzma" | "bzip2" | "lz4" | "zstd";

/** `<kernels>/<name>/manifest.json`; stable field names (also the core of `--json`). */
export interface KernelManifest {
  name: string;
  distro: string;
  /** Debian/OCI naming: "amd64", "arm64". */
  arch: string;
  kernel_version: string;
  /** sha256 (hex) of the kernel file as imported (the compressed image when there was one). */
  sha256: string;
  /** "import:<dir>" or the bundle URL it was pulled from. */
  source: string;
  imported_at: string;
  compression: KernelCompression;
  /** sha256 of the downloaded bundle, for pulled kernels. */
  bundle_sha256?: string;
}

/** A local kernel: its manifest plus the absolute paths of its files. */
export interface KernelInfo extends KernelManifest {
  dir: string;
  /** ELF vmlinux: always present (Firecracker needs it; QEMU boots it via PVH). */
  vmlinux: string;
  /** The original compressed image, when the source had one. */
  vmlinuz: string | null;
  initrd: string | null;
  /** The directory holding `<kernel_version>/` (the lib/modules tree), when present. */
  modules: string | null;
  /** Total bytes on disk. */
  size_bytes: number;
}

/** One kernel catalog entry (embedded file or `kernel_catalog_url`). */
export interface KernelCatalogEntry {
  name: string;
  distro: string;
  arch: string;
  kernel_version: string;
  /** http(s):// or file:// URL of a .tar.zst bundle. */
  url: string;
  /** sha256 (hex) of the bundle file. */
  sha256: string;
}

export interface AvailableKernel extends KernelCatalogEntry {
  /** Which catalog the entry came from; URL entries win over embedded ones. */
  catalog: "embedded" | "url";
  /** A local kernel of that name exists. */
  local: boolean;
}

export interface KernelListResult {
  kernels: KernelInfo[];
  /** Only with `available: true`. */
  available?: AvailableKernel[];
  /** Set when `kernel_catalog_url` could not be read; embedded entries are still listed. */
  catalog_error?: string | null;
}

const name = v.pipe(v.string(), v.minLength(1, "a kernel name is required"));

export const kernelMethods = {
  "kernel.list": method(v.strictObject({ available: v.optional(v.boolean(), false) }))<KernelListResult>(),
  "kernel.show": method(v.strictObject({ name }))<KernelInfo>(),
  "kernel.rm": method(v.strictObject({ name }))<{ removed: string }>(),
  /** Copy a kernel from a directory tree (`/` imports the host's own kernel). */
  "kernel.import": method(
    v.strictObject({
      name,
      from: v.pipe(v.string(), v.minLength(1, "a source directory is required")),
      force: v.optional(v.boolean(), false),
    }),
    { stream: true },
  )<KernelInfo>(),
  /** Download a catalog entry's bundle, verify its sha256, extract and publish it. */
  "kernel.pull": method(v.strictObject({ name, force: v.optional(v.boolean(), false) }), { stream: true })<KernelInfo>(),
};
