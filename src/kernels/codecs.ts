// Decompressors for the payload formats a Linux kernel image may use, as in the kernel's
// scripts/extract-vmlinux. gzip, zstd and lz4 are decoded in-process; xz, lzma and bzip2
// go through their tools (host/exec.ts) with stdout to a scratch file. Every decoder
// tolerates trailing bytes (the build appends the uncompressed size) and returns null
// instead of throwing on bad input: a magic match may be a false start.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { Decompress } from "fzstd";
import type { KernelCompression } from "../api/kernels.ts";
import { exec, hasCommand } from "../host/exec.ts";
import { decodeLz4Legacy } from "./lz4.ts";

export interface Codec {
  name: Exclude<KernelCompression, "none">;
  /** Does a stream of this format start at `offset`? */
  matches(bytes: Uint8Array, offset: number): boolean;
  /** Decoding needs this tool on PATH (null = in-process). */
  tool: string | null;
  decode(data: Uint8Array, scratchDir: string): Promise<Uint8Array | null>;
}

const magic =
  (...sig: number[]) =>
  (bytes: Uint8Array, offset: number): boolean =>
    sig.every((b, i) => bytes[offset + i] === b);

/** "BZh", a level digit, then the block magic (pi): three bytes alone match too often. */
function bzip2Matches(bytes: Uint8Array, offset: number): boolean {
  const level = bytes[offset + 3]!;
  return magic(0x42, 0x5a, 0x68)(bytes, offset) && level >= 0x31 && level <= 0x39 &&
    magic(0x31, 0x41, 0x59, 0x26, 0x53, 0x59)(bytes, offset + 4);
}

/**
 * .lzma ("lzma_alone") has no real magic: properties byte 0x5d (lc=3 lp=0 pb=2, what
 * every lzma tool writes), a power-of-two dictionary size, then the uncompressed size
 * (all ones when unknown, as for the kernel's piped `lzma -9`).
 */
function lzmaMatches(bytes: Uint8Array, offset: number): boolean {
  if (bytes[offset] !== 0x5d || offset + 13 > bytes.length) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, 13);
  const dict = dv.getUint32(1, true);
  const size = dv.getBigUint64(5, true);
  return dict >= 4096 && dict <= 2 ** 30 && (dict & (dict - 1)) === 0 && (size === 2n ** 64n - 1n || size < 2n ** 40n);
}

export const CODECS: readonly Codec[] = [
  { name: "gzip", matches: magic(0x1f, 0x8b, 0x08), tool: null, decode: async (d) => attempt(() => gunzip(d)) },
  { name: "zstd", matches: magic(0x28, 0xb5, 0x2f, 0xfd), tool: null, decode: async (d) => zstdFirstFrames(d) },
  { name: "lz4", matches: magic(0x02, 0x21, 0x4c, 0x18), tool: null, decode: async (d) => attempt(() => decodeLz4Legacy(d)) },
  {
    name: "xz",
    matches: magic(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00),
    tool: "xz",
    decode: (d, s) => viaTool(["xz", "-dc", "--single-stream"], d, s),
  },
  { name: "bzip2", matches: bzip2Matches, tool: "bzip2", decode: (d, s) => viaTool(["bzip2", "-dc"], d, s) },
  {
    name: "lzma",
    matches: lzmaMatches,
    tool: "xz",
    decode: (d, s) => viaTool(["xz", "--format=lzma", "-dc"], d, s),
  },
];

export function codecAt(bytes: Uint8Array, offset: number): Codec | null {
  return CODECS.find((c) => c.matches(bytes, offset)) ?? null;
}

function attempt(fn: () => Uint8Array): Uint8Array | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** gzip = 10-byte header (+ optional fields) + raw deflate; inflateRaw ignores what follows. */
function gunzip(data: Uint8Array): Uint8Array {
  const flags = data[3]!;
  let pos = 10;
  if (flags & 0x04) pos += 2 + (data[pos]! | (data[pos + 1]! << 8)); // FEXTRA
  if (flags & 0x08) while (data[pos++] !== 0 && pos < data.length); // FNAME
  if (flags & 0x10) while (data[pos++] !== 0 && pos < data.length); // FCOMMENT
  if (flags & 0x02) pos += 2; // FHCRC
  return new Uint8Array(inflateRawSync(data.subarray(pos)));
}

/** Output of the leading zstd frame(s); the error fzstd raises at trailing bytes is expected. */
function zstdFirstFrames(data: Uint8Array): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  const d = new Decompress((chunk) => void chunks.push(chunk));
  try {
    d.push(data, true);
  } catch {
    // trailing garbage after a complete frame, or a false start; the ELF check decides
  }
  if (chunks.length === 0) return null;
  return Buffer.concat(chunks);
}

let scratchSeq = 0;

async function viaTool(argv: string[], data: Uint8Array, scratchDir: string): Promise<Uint8Array | null> {
  if (!hasCommand(argv[0]!)) return null;
  const out = join(scratchDir, `decode-${process.pid}-${++scratchSeq}`);
  try {
    // A non-zero exit is expected when trailing bytes follow the stream.
    await exec(argv, { stdin: data, stdoutFile: out, allowFailure: true, timeoutMs: 300_000 });
    const bytes = new Uint8Array(await Bun.file(out).arrayBuffer());
    return bytes.length > 0 ? bytes : null;
  } finally {
    rmSync(out, { force: true });
  }
}
