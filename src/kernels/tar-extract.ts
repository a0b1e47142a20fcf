// A streaming tar extractor that refuses anything that could write outside its root:
// absolute or `..` member paths, symlinks whose target leaves the root, hardlinks to
// anything but a file extracted earlier from the same archive, writes through a
// symlinked directory (a symlink member followed by a member under it), duplicate
// members, and every member type besides files, dirs, symlinks and hardlinks.
// Callers extract into a staging dir they delete on any error.
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, symlinkSync, writeSync } from "node:fs";
import { join, posix } from "node:path";
import { BangerError } from "../api/errors.ts";
import { BLOCK, isZeroBlock, parseHeader, parsePax, type PaxOverrides, type TarHeader } from "./tar-header.ts";

export interface TarLimits {
  /** Total bytes of file data. Guards against decompression bombs. */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxBytes: 8 * 1024 ** 3, maxEntries: 200_000 };

type Body =
  | { kind: "file"; fd: number; remaining: number; pad: number }
  | { kind: "meta"; header: TarHeader; data: Uint8Array; filled: number; pad: number }
  | { kind: "skip"; remaining: number };

const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class TarExtractor {
  private readonly block = new Uint8Array(BLOCK);
  private filled = 0;
  private body: Body | null = null;
  private zeroBlocks = 0;
  private pending: PaxOverrides = {};
  private readonly dirs = new Set<string>([""]);
  private readonly files = new Set<string>();
  private bytes = 0;
  private entries = 0;

  constructor(
    readonly root: string,
    private readonly limits: TarLimits = DEFAULT_TAR_LIMITS,
  ) {}

  /** Feed the next chunk of the (decompressed) archive. */
  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length && this.zeroBlocks < 2) {
      off = this.body ? this.feedBody(chunk, off) : this.feedHeader(chunk, off);
    }
  }

  /** The archive ended; throws when it stopped in the middle of a member. */
  end(): void {
    if (this.body || this.filled > 0) {
      this.close();
      throw new BangerError("invalid_content", "tar archive is truncated");
    }
  }

  /** Release an open file after an error. */
  close(): void {
    if (this.body?.kind === "file") closeSync(this.body.fd);
    this.body = null;
  }

  private feedHeader(chunk: Uint8Array, off: number): number {
    const n = Math.min(BLOCK - this.filled, chunk.length - off);
    this.block.set(chunk.subarray(off, off + n), this.filled);
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
      const n = Math.min(body.data.length - body.filled, chunk.length - off);
      body.data.set(chunk.subarray(off, off + n), body.filled);
      body.filled += n;
      if (body.filled === body.data.length) this.finishMeta(body);
      return off + n;
    }
    if (body.kind === "file" && body.remaining > 0) {
      const n = Math.min(body.remaining, chunk.length - off);
      writeSync(body.fd, chunk, off, n);
      body.remaining -= n;
      if (body.remaining === 0) {
        closeSync(body.fd);
        this.body = body.pad > 0 ? { kind: "skip", remaining: body.pad } : null;
      }
      return off + n;
    }
    const skip = body as Extract<Body, { kind: "skip" }>;
    const n = Math.min(skip.remaining, chunk.length - off);
    skip.remaining -= n;
    if (skip.remaining === 0) this.body = null;
    return off + n;
  }

  private onHeader(): void {
    if (isZeroBlock(this.block)) {
      this.zeroBlocks++;
      return;
    }
    if (this.zeroBlocks > 0) throw new BangerError("invalid_content", "tar archive has data after its end marker");
    const header = parseHeader(this.block);
    if (header.type === "pax" || header.type === "pax-global" || header.type.startsWith("gnu-long")) {
      if (header.size > 1024 * 1024) throw new BangerError("invalid_content", "tar metadata header is too large");
      const pad = padding(header.size);
      this.body = { kind: "meta", header, data: new Uint8Array(header.size + pad), filled: 0, pad };
      if (header.size + pad === 0) this.finishMeta(this.body);
      return;
    }
    // A pax `size` overrides the header's, so padding is computed after merging.
    const member = this.applyPending(header);
    this.startMember(member, padding(member.size));
  }

  private finishMeta(body: Extract<Body, { kind: "meta" }>): void {
    this.body = null;
    const data = body.data.subarray(0, body.data.length - body.pad);
    const text = () => new TextDecoder().decode(data).replace(/\0+$/, "");
    if (body.header.type === "pax") this.pending = { ...this.pending, ...parsePax(data) };
    else if (body.header.type === "gnu-longname") this.pending.path = text();
    else if (body.header.type === "gnu-longlink") this.pending.linkpath = text();
    // pax-global: nothing we honour
  }

  private applyPending(header: TarHeader): TarHeader {
    const merged = { ...header, ...this.pending };
    this.pending = {};
    return merged;
  }

  private startMember(h: TarHeader, pad: number): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new BangerError("invalid_content", `tar archive has more than ${this.limits.maxEntries} members`);
    }
    const rel = memberPath(h.path);
    const dataBlocks = h.size + pad;
    if (rel === "") return this.skipData(h, dataBlocks); // "./" itself
    if (h.type !== "file" && h.type !== "dir" && h.type !== "symlink" && h.type !== "hardlink") {
      throw new BangerError("invalid_content", `tar member "${h.path}" has unsupported ${h.type}: only files, directories and links are allowed`);
    }
    this.ensureParents(rel, h.path);
    if (h.type === "dir") return this.makeDir(rel, h, dataBlocks);
    this.refuseExisting(rel, h.path);
    if (h.type === "symlink") this.makeSymlink(rel, h);
    else if (h.type === "hardlink") this.makeHardlink(rel, h);
    else return this.openFile(rel, h, pad);
    this.skipData(h, dataBlocks);
  }

  private skipData(_h: TarHeader, bytes: number): void {
    this.body = bytes > 0 ? { kind: "skip", remaining: bytes } : null;
  }

  /** Every ancestor must be a real directory inside the root: never follow a symlink. */
  private ensureParents(rel: string, shown: string): void {
    const parts = rel.split("/").slice(0, -1);
    let prefix = "";
    for (const part of parts) {
      prefix = prefix ? `${prefix}/${part}` : part;
      if (this.dirs.has(prefix)) continue;
      const st = lstatOrNull(join(this.root, prefix));
      if (!st) mkdirSync(join(this.root, prefix), { mode: 0o755 });
      else if (st.isSymbolicLink()) {
        throw new BangerError("invalid_content", `tar member "${shown}" would be written through the symlink "${prefix}"`);
      } else if (!st.isDirectory()) {
        throw new BangerError("invalid_content", `tar member "${shown}" is below "${prefix}", which is not a directory`);
      }
      this.dirs.add(prefix);
    }
  }

  private refuseExisting(rel: string, shown: string): void {
    if (lstatOrNull(join(this.root, rel))) throw new BangerError("invalid_content", `tar member "${shown}" appears twice`);
  }

  private makeDir(rel: string, h: TarHeader, dataBlocks: number): void {
    const st = lstatOrNull(join(this.root, rel));
    if (st && !st.isDirectory()) throw new BangerError("invalid_content", `tar member "${h.path}/" replaces a non-directory`);
    if (!st) mkdirSync(join(this.root, rel), { mode: (h.mode & 0o777) | 0o700 });
    this.dirs.add(rel);
    this.skipData(h, dataBlocks);
  }

  private makeSymlink(rel: string, h: TarHeader): void {
    if (!symlinkStaysInside(rel, h.linkpath)) {
      throw new BangerError("invalid_content", `tar member "${h.path}" is a symlink to "${h.linkpath}", which leaves the archive`);
    }
    symlinkSync(h.linkpath, join(this.root, rel));
  }

  private makeHardlink(rel: string, h: TarHeader): void {
    const target = safeMemberPath(h.linkpath);
    if (target === null || !this.files.has(target)) {
      throw new BangerError("invalid_content", `tar member "${h.path}" is a hardlink to "${h.linkpath}", which is not a file earlier in the archive`);
    }
    linkSync(join(this.root, target), join(this.root, rel));
  }

  private openFile(rel: string, h: TarHeader, pad: number): void {
    this.bytes += h.size;
    if (this.bytes > this.limits.maxBytes) {
      throw new BangerError("invalid_content", `tar archive expands beyond ${this.limits.maxBytes} bytes`);
    }
    // Owner read/write always: the files are read back when the kernel is assembled.
    const fd = openSync(join(this.root, rel), OPEN_FLAGS, (h.mode & 0o777) | 0o600);
    this.files.add(rel);
    if (h.size > 0) {
      this.body = { kind: "file", fd, remaining: h.size, pad };
      return;
    }
    closeSync(fd);
    this.body = pad > 0 ? { kind: "skip", remaining: pad } : null;
  }
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Normalized relative member path; absolute paths and `..` are refused, not rewritten. */
export function memberPath(path: string): string {
  if (path.includes("\0")) throw new BangerError("invalid_content", "tar member path contains a NUL byte");
  if (path.startsWith("/")) throw new BangerError("invalid_content", `tar member "${path}" has an absolute path`);
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new BangerError("invalid_content", `tar member "${path}" contains ".."`);
  return parts.join("/");
}

function safeMemberPath(path: string): string | null {
  try {
    return memberPath(path);
  } catch {
    return null;
  }
}

/**
 * A symlink target is accepted when it is relative, has the form `../`* followed by plain
 * names (no `..` after a name, so no path can climb out through another symlink), and its
 * leading `..` do not climb above the archive root from the link's own directory.
 */
export function symlinkStaysInside(linkRel: string, target: string): boolean {
  if (target === "" || target.startsWith("/") || target.includes("\0")) return false;
  const parts = target.split("/").filter((p) => p !== "" && p !== ".");
  const ups = parts.findIndex((p) => p !== "..");
  const climb = ups < 0 ? parts.length : ups;
  if (parts.slice(climb).includes("..")) return false;
  const depth = posix.dirname(linkRel) === "." ? 0 : posix.dirname(linkRel).split("/").length;
  return climb <= depth;
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
