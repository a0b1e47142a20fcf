// Build the catalog layout of one kernel inside a staging dir from a discovered source:
// ELF vmlinux (extracted from the compressed image when needed), the original compressed
// image, the initrd, the modules tree and manifest.json. Import copies (the source is the
// user's tree); pull moves (the source is the bundle extracted inside the staging dir).
import { constants, copyFileSync, mkdirSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { KernelCompression, KernelManifest } from "../api/kernels.ts";
import type { ProgressSink } from "../api/progress.ts";
import { exec } from "../host/exec.ts";
import { readBzImage } from "./bzimage.ts";
import type { KernelSource } from "./discovery.ts";
import { elfArch, isCompleteElf } from "./elf.ts";
import { FILES } from "./layout.ts";
import { extractVmlinux } from "./vmlinux.ts";

export interface AssembleOptions {
  name: string;
  staging: string;
  transfer: "copy" | "move";
  /** manifest `source`: "import:<dir>" or the bundle URL. */
  sourceLabel: string;
  /** Used when the source itself does not say (catalog entry of a pull). */
  hints?: { distro?: string; arch?: string; kernel_version?: string };
  bundleSha256?: string;
  /** For decompressor scratch files. */
  scratchDir: string;
  sink: ProgressSink;
}

interface KernelImages {
  vmlinux: Uint8Array;
  /** The compressed image file, when there was one. */
  compressed: { path: string; bytes: Uint8Array } | null;
  compression: KernelCompression;
}

export async function assembleKernel(src: KernelSource, o: AssembleOptions): Promise<KernelManifest> {
  const images = await loadImages(src, o);
  writeFileSync(join(o.staging, FILES.vmlinux), images.vmlinux, { mode: 0o644 });
  if (images.compressed) transferFile(images.compressed.path, join(o.staging, FILES.vmlinuz), o.transfer);
  if (src.initrd) transferFile(src.initrd, join(o.staging, FILES.initrd), o.transfer);
  const version = kernelVersion(src, images, o);
  if (src.modules) await transferModules(src.modules, version, o);
  const original = images.compressed?.bytes ?? images.vmlinux;
  const manifest: KernelManifest = {
    name: o.name,
    distro: src.distro ?? o.hints?.distro ?? "unknown",
    arch: src.arch ?? o.hints?.arch ?? elfArch(images.vmlinux) ?? "unknown",
    kernel_version: version,
    sha256: new Bun.CryptoHasher("sha256").update(original).digest("hex"),
    source: o.sourceLabel,
    imported_at: new Date().toISOString(),
    compression: images.compression,
    ...(o.bundleSha256 ? { bundle_sha256: o.bundleSha256 } : {}),
  };
  writeFileSync(join(o.staging, FILES.manifest), JSON.stringify(manifest, null, 2) + "\n", { mode: 0o644 });
  return manifest;
}

/** The first complete ELF is the vmlinux; the first other image is the compressed one. */
async function loadImages(src: KernelSource, o: AssembleOptions): Promise<KernelImages> {
  let vmlinux: Uint8Array | null = null;
  let compressed: KernelImages["compressed"] = null;
  for (const path of src.images) {
    const bytes = new Uint8Array(await Bun.file(path).arrayBuffer());
    if (isCompleteElf(bytes)) vmlinux ??= bytes;
    else compressed ??= { path, bytes };
  }
  if (vmlinux) return { vmlinux, compressed, compression: compressed ? await compressionOf(compressed, o) : "none" };
  const image = compressed!;
  o.sink.stage("extract_vmlinux", `extracting vmlinux from ${basename(image.path)}`);
  await Bun.sleep(0); // let the stage event go out before the CPU-bound decode
  const out = await extractVmlinux(image.bytes, o.scratchDir, basename(image.path));
  return { vmlinux: out.vmlinux, compressed: image, compression: out.compression };
}

/** When an ELF vmlinux came alongside, the compressed image's format is still recorded. */
async function compressionOf(image: { bytes: Uint8Array }, o: AssembleOptions): Promise<KernelCompression> {
  try {
    return (await extractVmlinux(image.bytes, o.scratchDir)).compression;
  } catch {
    return "none";
  }
}

function kernelVersion(src: KernelSource, images: KernelImages, o: AssembleOptions): string {
  const fromHeader = images.compressed ? readBzImage(images.compressed.bytes)?.version : null;
  const version = src.version ?? fromHeader ?? o.hints?.kernel_version ?? (src.modules ? basename(src.modules) : null);
  if (!version) {
    throw new BangerError("usage", `cannot tell the kernel version of ${src.root}: add kernel_version to its metadata.json`);
  }
  return version;
}

/** Moving renames the link target, not a (bundle-internal) symlink pointing at it. */
function transferFile(from: string, to: string, how: "copy" | "move"): void {
  if (how === "move") renameSync(realpathSync(from), to);
  else copyFileSync(from, to, constants.COPYFILE_FICLONE);
}

/** modules/<version>/: the tree keeps its own directory name, which `uname -r` must match. */
async function transferModules(dir: string, version: string, o: AssembleOptions): Promise<void> {
  const release = basename(dir);
  if (release !== version) o.sink.notice("warn", `modules directory "${release}" does not match kernel version "${version}"`);
  const dest = join(o.staging, FILES.modules, release);
  mkdirSync(join(o.staging, FILES.modules), { mode: 0o755 });
  if (o.transfer === "move") return renameSync(realpathSync(dir), dest);
  o.sink.stage("copy_modules", `copying modules ${release}`);
  // cp keeps symlinks, modes and timestamps and reflinks where the filesystem can.
  await exec(["cp", "-a", "--reflink=auto", "-T", "--", dir, dest], { timeoutMs: 600_000 });
}
