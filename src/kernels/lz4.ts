// LZ4 "legacy" frames, the format `lz4 -l` writes and the kernel build uses for
// CONFIG_KERNEL_LZ4 (Debian's cloud kernels): magic 0x184C2102, then blocks of
// <u32 LE compressed size><LZ4 block> that each expand to at most 8 MiB. Decoded in JS
// so extracting vmlinux does not depend on the optional `lz4` tool.

export const LZ4_LEGACY_MAGIC = 0x184c2102;
const BLOCK_MAX = 8 << 20;

export class Lz4Error extends Error {}

/**
 * Decode a legacy frame. Stops at the end of input or at trailing data that cannot be a
 * block (the kernel appends the uncompressed size after the last block).
 */
export function decodeLz4Legacy(src: Uint8Array): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 4 || dv.getUint32(0, true) !== LZ4_LEGACY_MAGIC) throw new Lz4Error("not an lz4 legacy frame");
  const scratch = new Uint8Array(BLOCK_MAX);
  const blocks: Uint8Array[] = [];
  let pos = 4;
  while (pos + 4 <= src.length) {
    const size = dv.getUint32(pos, true);
    if (size === LZ4_LEGACY_MAGIC) {
      pos += 4; // concatenated frames
      continue;
    }
    if (size === 0 || size > BLOCK_MAX + (BLOCK_MAX >> 8) + 16 || pos + 4 + size > src.length) break;
    const n = decodeBlock(src.subarray(pos + 4, pos + 4 + size), scratch);
    blocks.push(scratch.slice(0, n));
    pos += 4 + size;
  }
  if (blocks.length === 0) throw new Lz4Error("lz4 frame has no blocks");
  return concat(blocks);
}

/** One LZ4 block into `dst`; returns the number of bytes written. */
export function decodeBlock(src: Uint8Array, dst: Uint8Array): number {
  let ip = 0;
  let op = 0;
  while (ip < src.length) {
    const token = src[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) ({ value: literals, ip } = readLength(src, ip, literals));
    if (ip + literals > src.length || op + literals > dst.length) throw new Lz4Error("lz4 literal run out of bounds");
    dst.set(src.subarray(ip, ip + literals), op);
    ip += literals;
    op += literals;
    if (ip >= src.length) break; // the last sequence carries literals only
    if (ip + 2 > src.length) throw new Lz4Error("lz4 block truncated");
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Lz4Error("lz4 match offset out of bounds");
    let matchLen = (token & 15) + 4;
    if ((token & 15) === 15) ({ value: matchLen, ip } = readLength(src, ip, matchLen));
    if (op + matchLen > dst.length) throw new Lz4Error("lz4 match out of bounds");
    op = copyMatch(dst, op, offset, matchLen);
  }
  return op;
}

function readLength(src: Uint8Array, ip: number, value: number): { value: number; ip: number } {
  let b: number;
  do {
    if (ip >= src.length) throw new Lz4Error("lz4 length truncated");
    b = src[ip++]!;
    value += b;
  } while (b === 255);
  return { value, ip };
}

function copyMatch(dst: Uint8Array, op: number, offset: number, len: number): number {
  const from = op - offset;
  if (offset >= len) {
    dst.copyWithin(op, from, from + len);
    return op + len;
  }
  // Overlapping match: a repeating pattern, copied byte by byte.
  for (let i = 0; i < len; i++) dst[op + i] = dst[from + i]!;
  return op + len;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
