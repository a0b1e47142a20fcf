// Parsing of tar headers: ustar, GNU long names ('L'/'K') and pax records ('x'/'g').
// Pure functions over 512-byte blocks; the extractor decides what is allowed.
import { BangerError } from "../api/errors.ts";

export const BLOCK = 512;

export interface TarHeader {
  path: string;
  linkpath: string;
  size: number;
  mode: number;
  /** Normalized type: "file", "dir", "symlink", "hardlink", or the raw flag for the rest. */
  type: string;
}

export interface PaxOverrides {
  path?: string;
  linkpath?: string;
  size?: number;
}

const TYPES: Record<string, string> = {
  "0": "file",
  "\0": "file",
  "7": "file", // contiguous file
  "5": "dir",
  "2": "symlink",
  "1": "hardlink",
  x: "pax",
  g: "pax-global",
  L: "gnu-longname",
  K: "gnu-longlink",
};

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

export function parseHeader(block: Uint8Array): TarHeader {
  if (!checksumOk(block)) throw new BangerError("invalid_content", "bad tar header checksum (not a tar archive, or corrupt)");
  const flag = String.fromCharCode(block[156]!);
  const name = cString(block, 0, 100);
  const ustar = cString(block, 257, 6).startsWith("ustar");
  const prefix = ustar ? cString(block, 345, 155) : "";
  return {
    path: prefix ? `${prefix}/${name}` : name,
    linkpath: cString(block, 157, 100),
    size: numeric(block, 124, 12),
    mode: numeric(block, 100, 8),
    type: TYPES[flag] ?? `type '${flag}'`,
  };
}

function checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return numeric(block, 148, 8) === sum;
}

function cString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return new TextDecoder().decode(block.subarray(offset, end));
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function numeric(block: Uint8Array, offset: number, length: number): number {
  if (block[offset]! & 0x80) {
    let value = block[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i]!;
    return value;
  }
  const text = cString(block, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new BangerError("invalid_content", `bad numeric field "${text}" in tar header`);
  return Number.parseInt(text, 8);
}

/** pax extended header records: "<len> <key>=<value>\n" (len in bytes). Only keys we act on are kept. */
export function parsePax(data: Uint8Array): PaxOverrides {
  const decoder = new TextDecoder();
  const out: PaxOverrides = {};
  let pos = 0;
  while (pos < data.length && data[pos] !== 0) {
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? NaN : Number(decoder.decode(data.subarray(pos, space)));
    if (!Number.isInteger(len) || len <= space - pos || pos + len > data.length) {
      throw new BangerError("invalid_content", "malformed pax header in tar");
    }
    const record = decoder.decode(data.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf("=");
    const [key, value] = [record.slice(0, eq), record.slice(eq + 1)];
    if (key === "path") out.path = value;
    else if (key === "linkpath") out.linkpath = value;
    else if (key === "size") out.size = Number(value);
    pos += len;
  }
  return out;
}
