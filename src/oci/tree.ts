// The staged root tree of an image under construction: real files and directories on
// disk (written without preserving ownership), plus a metadata map that holds what the
// guest must see for every entry (type, uid, gid, full mode with setuid/setgid/sticky,
// symlink target, device numbers, xattrs). Device nodes and fifos exist only in the map;
// the ext4 step creates them with debugfs. The map is the truth about the tree's shape:
// every disk operation goes through here, parents are checked to be real directories in
// the map (never a symlink), and final components are created with O_EXCL|O_NOFOLLOW, so
// nothing is ever written outside the staging dir.
import { chmodSync, closeSync, constants, copyFileSync, futimesSync, linkSync, mkdirSync, openSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeSync } from "node:fs";
import { join, posix } from "node:path";
import { BangerError } from "../api/errors.ts";

export type NodeType = "file" | "dir" | "symlink" | "char" | "block" | "fifo";

export interface NodeMeta {
  type: NodeType;
  /** Permission and special bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files: content bytes. */
  size: number;
  target?: string;
  devMajor?: number;
  devMinor?: number;
  xattrs?: Record<string, Uint8Array> | null;
}

export interface FileSink {
  data(chunk: Uint8Array): void;
  end(): void;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const ROOT_META: NodeMeta = { type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0 };

export function unsafe(message: string): BangerError {
  return new BangerError("invalid_content", message);
}

export class Tree {
  readonly nodes = new Map<string, NodeMeta>();
  private readonly children = new Map<string, Set<string>>();
  /** Paths added or changed by the layer being applied (see beginLayer). */
  private layer = new Set<string>();

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    this.nodes.set("", { ...ROOT_META });
    this.children.set("", new Set());
  }

  /** Host path of a tree path. */
  host(rel: string): string {
    return rel === "" ? this.root : join(this.root, rel);
  }

  get(rel: string): NodeMeta | undefined {
    return this.nodes.get(rel);
  }

  childNames(rel: string): string[] {
    return [...(this.children.get(rel) ?? [])];
  }

  beginLayer(): void {
    this.layer = new Set();
  }

  inLayer(rel: string): boolean {
    return this.layer.has(rel);
  }

  /**
   * Make sure every ancestor of `rel` is a real directory, creating missing ones
   * (0755 root:root, as container runtimes do). A symlink ancestor is a write-through
   * attempt and is refused, naming `member`.
   */
  ensureParents(rel: string, member: string): void {
    const parent = posix.dirname(rel);
    if (parent === "." || this.nodes.get(parent)?.type === "dir") return;
    let prefix = "";
    for (const part of parent.split("/")) {
      const path = prefix ? `${prefix}/${part}` : part;
      const node = this.nodes.get(path);
      if (!node) this.mkdirNode(path, { ...ROOT_META });
      else if (node.type === "symlink") throw unsafe(`layer member "${member}" would be written through the symlink "/${path}"`);
      else if (node.type !== "dir") throw unsafe(`layer member "${member}" is below "/${path}", which is not a directory`);
      prefix = path;
    }
  }

  /** Like ensureParents but creates nothing: false when an ancestor is missing. */
  parentsExist(rel: string, member: string): boolean {
    const parent = posix.dirname(rel);
    if (parent === ".") return true;
    let prefix = "";
    for (const part of parent.split("/")) {
      prefix = prefix ? `${prefix}/${part}` : part;
      const node = this.nodes.get(prefix);
      if (!node) return false;
      if (node.type === "symlink") throw unsafe(`layer member "${member}" reaches through the symlink "/${prefix}"`);
      if (node.type !== "dir") return false;
    }
    return true;
  }

  addDir(rel: string, meta: NodeMeta): void {
    const existing = this.nodes.get(rel);
    if (existing?.type === "dir") {
      this.nodes.set(rel, meta);
      this.layer.add(rel);
      return;
    }
    if (existing) this.remove(rel);
    this.mkdirNode(rel, meta);
  }

  /** Create a regular file; the returned sink receives its content. */
  addFile(rel: string, meta: NodeMeta, mtime: number): FileSink {
    this.replace(rel);
    // Owner read/write on disk so mkfs.ext4 -d can read it as any user; the real mode is in the map.
    const fd = openSync(this.host(rel), CREATE, (meta.mode & 0o777) | 0o600);
    this.link(rel, meta);
    return {
      data(chunk) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      },
      end() {
        futimesSync(fd, mtime, mtime);
        closeSync(fd);
      },
    };
  }

  /** Create a regular file with the content of a host file (copy_file_range/reflink when possible). */
  addFileFrom(rel: string, meta: NodeMeta, hostFile: string): void {
    this.replace(rel);
    // COPYFILE_EXCL: O_EXCL on the destination, so an entry there is never followed.
    copyFileSync(hostFile, this.host(rel), constants.COPYFILE_EXCL);
    chmodSync(this.host(rel), (meta.mode & 0o777) | 0o600);
    this.link(rel, meta);
  }

  addSymlink(rel: string, meta: NodeMeta): void {
    this.replace(rel);
    symlinkSync(meta.target!, this.host(rel));
    this.link(rel, meta);
  }

  /** A second name for the regular file at `targetRel`; both share one metadata record. */
  addHardlink(rel: string, targetRel: string, member: string): void {
    const target = this.nodes.get(targetRel);
    if (!target || target.type !== "file" || targetRel === rel || !this.parentsExist(targetRel, member)) {
      throw unsafe(`layer member "${member}" is a hardlink to "${targetRel}", which is not a regular file in the image`);
    }
    this.replace(rel);
    linkSync(this.host(targetRel), this.host(rel));
    this.link(rel, target);
  }

  /** Device nodes and fifos live in the map only. */
  addSpecial(rel: string, meta: NodeMeta): void {
    this.replace(rel);
    this.link(rel, meta);
  }

  /** Remove `rel` and everything below it, from the map and from disk. */
  remove(rel: string): void {
    const node = this.nodes.get(rel);
    if (!node || rel === "") return;
    if (node.type === "dir") {
      for (const child of this.childNames(rel)) this.remove(`${rel}/${child}`);
      rmdirSync(this.host(rel));
      this.children.delete(rel);
    } else if (node.type === "file" || node.type === "symlink") {
      unlinkSync(this.host(rel));
    }
    this.nodes.delete(rel);
    this.children.get(parentOf(rel))?.delete(posix.basename(rel));
  }

  /** Remove everything on disk (the caller gives up on this tree). */
  destroy(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private replace(rel: string): void {
    if (rel === "") throw unsafe("a layer member replaces the root directory with a non-directory");
    if (this.nodes.has(rel)) this.remove(rel);
  }

  private mkdirNode(rel: string, meta: NodeMeta): void {
    mkdirSync(this.host(rel), { mode: (meta.mode & 0o777) | 0o700 });
    this.children.set(rel, new Set());
    this.link(rel, meta);
  }

  private link(rel: string, meta: NodeMeta): void {
    this.nodes.set(rel, meta);
    this.children.get(parentOf(rel))!.add(posix.basename(rel));
    this.layer.add(rel);
  }
}

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/** Member path -> tree path ("./usr/bin/" -> "usr/bin"); absolute and `..` paths are refused. */
export function memberPath(path: string): string {
  if (path.includes("\0")) throw unsafe(`layer member path ${JSON.stringify(path)} contains a NUL byte`);
  if (path.startsWith("/")) throw unsafe(`layer member "${path}" has an absolute path`);
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw unsafe(`layer member "${path}" contains ".."`);
  return parts.join("/");
}

/** A relative symlink target must not climb above the root from the link's directory. */
export function relativeTargetEscapes(linkRel: string, target: string): boolean {
  if (target.startsWith("/")) return false;
  let depth = parentOf(linkRel) === "" ? 0 : parentOf(linkRel).split("/").length;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    depth += part === ".." ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}
