// A push-style streaming tar reader for layer and archive tars: ustar/GNU headers with
// base-256 numbers, GNU long names ('L'/'K') and pax records ('x'; 'g' is ignored),
// including uid/gid/mtime overrides and SCHILY.xattr.* values. It only parses; what a
// member may do is decided by the consumer. Chunks are fed synchronously, member data is
// handed to the consumer's sink as sub-arrays of the input (no copies).
import { BangerError } from "../api/errors.ts";

export const BLOCK = 512;

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  path: string;
  linkpath: string;
  size: number;
  /** Permission and special bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  type: EntryType;
  devMajor: number;
  devMinor: number;
  /** Extended attributes from pax SCHILY.xattr.* records. */
  xattrs: Record<string, Uint8Array> | null;
}

export interface EntrySink {
  data(chunk: Uint8Array): void;
  end(): void;
}

/** Called for every member; returns where its data goes, or null to skip it. */
export type EntryHandler = (entry: TarEntry) => EntrySink | null;

const TYPES: Record<string, EntryType> = { "0": "file", "\0": "file", "7": "file", "5": "dir", "2": "symlink", "1": "hardlink", "3": "char", "4": "block", "6": "fifo" };
const MAX_META_BYTES = 1024 * 1024;

interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  xattrs?: Record<string, Uint8Array>;
}

type Body =
  | { kind: "data"; sink: EntrySink | null; remaining: number; pad: number }
  | { kind: "meta"; flag: string; buf: Uint8Array; filled: number; pad: number }
  | { kind: "pad"; remaining: number };

export class TarStream {
  private readonly header = new Uint8Array(BLOCK);
  private filled = 0;
  private body: Body | null = null;
  private zeros = 0;
  private pending: Pending = {};
  members = 0;

  constructor(private readonly onEntry: EntryHandler) {}

  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length && this.zeros < 2) off = this.body ? this.feedBody(chunk, off) : this.feedHeader(chunk, off);
  }

  /** The input ended: throws when it stopped inside a member. */
  end(): void {
    if (this.body || this.filled > 0) throw new BangerError("invalid_content", "tar stream is truncated");
    if (this.members === 0 && this.zeros === 0) throw new BangerError("invalid_content", "tar stream is empty");
  }

  private feedHeader(chunk: Uint8Array, off: number): number {
    const n = Math.min(BLOCK - this.filled, chunk.length - off);
    this.header.set(chunk.subarray(off, off + n), this.filled);
    this.filled += n;
    if (this.filled === BLOCK) {
      this.filled = 0;
      this.onHeader();
    }
    return off + n;
  }

  private feedBody(chunk: Uint8Array, off: number): number {
    const body = this.body!;
    if (body.kind === "meta") {
      const n = Math.min(body.buf.length - body.filled, chunk.length - off);
      body.buf.set(chunk.subarray(off, off + n), body.filled);
      body.filled += n;
      if (body.filled === body.buf.length) this.finishMeta(body);
      return off + n;
    }
    const n = Math.min(body.remaining, chunk.length - off);
    if (body.kind === "data") body.sink?.data(chunk.subarray(off, off + n));
    body.remaining -= n;
    if (body.remaining === 0) {
      if (body.kind === "data") {
        body.sink?.end();
        this.body = body.pad > 0 ? { kind: "pad", remaining: body.pad } : null;
      } else this.body = null;
    }
    return off + n;
  }

  private onHeader(): void {
    if (this.header.every((b) => b === 0)) {
      this.zeros++;
      return;
    }
    if (this.zeros > 0) throw new BangerError("invalid_content", "tar stream has a lone zero block inside it");
    if (!checksumOk(this.header)) throw new BangerError("invalid_content", "bad tar header checksum (not a tar archive, or corrupt)");
    const flag = String.fromCharCode(this.header[156]!);
    const size = num(this.header, 124, 12);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > MAX_META_BYTES) throw new BangerError("invalid_content", "tar metadata header is larger than 1 MiB");
      this.body = { kind: "meta", flag, buf: new Uint8Array(size + pad), filled: 0, pad };
      if (size + pad === 0) this.finishMeta(this.body);
      return;
    }
    this.startEntry(flag, size);
  }

  private startEntry(flag: string, rawSize: number): void {
    const h = this.header;
    const name = str(h, 0, 100);
    const prefix = str(h, 257, 6).startsWith("ustar") ? str(h, 345, 155) : "";
    const p = this.pending;
    this.pending = {};
    const type = TYPES[flag];
    const entry: TarEntry = {
      path: p.path ?? (prefix ? `${prefix}/${name}` : name),
      linkpath: p.linkpath ?? str(h, 157, 100),
      size: p.size ?? rawSize,
      mode: num(h, 100, 8) & 0o7777,
      uid: p.uid ?? num(h, 108, 8),
      gid: p.gid ?? num(h, 116, 8),
      mtime: p.mtime ?? num(h, 136, 12),
      type: type ?? "file",
      devMajor: type === "char" || type === "block" ? num(h, 329, 8) : 0,
      devMinor: type === "char" || type === "block" ? num(h, 337, 8) : 0,
      xattrs: p.xattrs ?? null,
    };
    if (!type) throw new BangerError("invalid_content", `tar member "${entry.path}" has unsupported type '${flag}'`);
    this.members++;
    // Only regular files carry data; another type's header size (normally 0) is skipped.
    const dataSize = type === "file" ? entry.size : rawSize;
    const sink = this.onEntry(entry);
    const pad = (BLOCK - (dataSize % BLOCK)) % BLOCK;
    if (dataSize === 0) {
      sink?.end();
      return;
    }
    this.body = { kind: "data", sink: type === "file" ? sink : null, remaining: dataSize, pad };
  }

  private finishMeta(body: Extract<Body, { kind: "meta" }>): void {
    this.body = null;
    const data = body.buf.subarray(0, body.buf.length - body.pad);
    if (body.flag === "x") this.pending = { ...this.pending, ...parsePax(data) };
    else if (body.flag === "L") this.pending.path = cstr(data);
    else if (body.flag === "K") this.pending.linkpath = cstr(data);
  }
}

function cstr(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end));
}

function str(block: Uint8Array, offset: number, length: number): string {
  return cstr(block.subarray(offset, offset + length));
}

function checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return num(block, 148, 8) === sum;
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function num(block: Uint8Array, offset: number, length: number): number {
  if (block[offset]! & 0x80) {
    let value = block[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i]!;
    return value;
  }
  const text = str(block, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new BangerError("invalid_content", `bad numeric field "${text}" in a tar header`);
  return Number.parseInt(text, 8);
}

/** pax records "<len> <key>=<value>\n"; values of xattr keys stay raw bytes. */
export function parsePax(data: Uint8Array): Pending {
  const out: Pending = {};
  const decoder = new TextDecoder();
  let pos = 0;
  while (pos < data.length && data[pos] !== 0) {
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? NaN : Number(decoder.decode(data.subarray(pos, space)));
    if (!Number.isInteger(len) || len <= space - pos || pos + len > data.length) {
      throw new BangerError("invalid_content", "malformed pax header in a tar stream");
    }
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    const key = decoder.decode(record.subarray(0, eq));
    const raw = record.subarray(eq + 1);
    applyPax(out, key, raw, decoder);
    pos += len;
  }
  return out;
}

function applyPax(out: Pending, key: string, raw: Uint8Array, decoder: TextDecoder): void {
  const value = () => decoder.decode(raw);
  const int = () => {
    const n = Number(value());
    if (!Number.isFinite(n) || n < 0) throw new BangerError("invalid_content", `bad pax ${key} value "${value()}"`);
    return Math.floor(n);
  };
  if (key === "path") out.path = value();
  else if (key === "linkpath") out.linkpath = value();
  else if (key === "size") out.size = int();
  else if (key === "uid") out.uid = int();
  else if (key === "gid") out.gid = int();
  else if (key === "mtime") out.mtime = int();
  else if (key.startsWith("SCHILY.xattr.")) (out.xattrs ??= {})[key.slice(13)] = raw.slice();
}
