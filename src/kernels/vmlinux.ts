// Turn any kernel image into an ELF vmlinux (Firecracker <= 1.16 boots only ELF; QEMU
// microvm boots it too through its PVH note). The approach of the kernel's
// scripts/extract-vmlinux: find compressed streams by their magic, decode each candidate,
// keep the first output that is a complete ELF. On x86 the bzImage header names the exact
// payload, so that candidate is tried first.
import { BangerError } from "../api/errors.ts";
import type { KernelCompression } from "../api/kernels.ts";
import { installHint } from "../host/exec.ts";
import { readBzImage } from "./bzimage.ts";
import { CODECS, codecAt, type Codec } from "./codecs.ts";
import { isCompleteElf } from "./elf.ts";

export interface Extracted {
  vmlinux: Uint8Array;
  compression: KernelCompression;
}

/** False starts are cheap for in-process codecs but cost a process for tool codecs. */
const MAX_TRIES_PER_CODEC = 16;

export async function extractVmlinux(image: Uint8Array, scratchDir: string, label = "kernel image"): Promise<Extracted> {
  if (isCompleteElf(image)) return { vmlinux: image, compression: "none" };
  const bz = readBzImage(image);
  if (bz) {
    const codec = codecAt(image, bz.payloadOffset);
    const payload = image.subarray(bz.payloadOffset, bz.payloadOffset + bz.payloadLength);
    const out = codec ? await codec.decode(payload, scratchDir) : null;
    if (codec && out && isCompleteElf(out)) return { vmlinux: out, compression: codec.name };
  }
  const found = await scanForPayload(image, scratchDir);
  if (found) return found;
  throw new BangerError("usage", `no ELF vmlinux found inside ${label}${missingToolsHint()}`);
}

async function scanForPayload(image: Uint8Array, scratchDir: string): Promise<Extracted | null> {
  const tries = new Map<Codec, number>();
  for (let offset = 0; offset < image.length - 4; offset++) {
    const codec = codecAt(image, offset);
    if (!codec) continue;
    const n = tries.get(codec) ?? 0;
    if (n >= MAX_TRIES_PER_CODEC) continue;
    tries.set(codec, n + 1);
    const out = await codec.decode(image.subarray(offset), scratchDir);
    if (out && isCompleteElf(out)) return { vmlinux: out, compression: codec.name };
  }
  return null;
}

/** Name the decompressor tools that are missing: their formats could not be tried. */
function missingToolsHint(): string {
  const missing = [...new Set(CODECS.filter((c) => c.tool && !Bun.which(c.tool)).map((c) => c.tool!))];
  if (missing.length === 0) return "";
  return ` (could not try ${missing.join(", ")}: ${missing.map(installHint).join("; ")})`;
}
