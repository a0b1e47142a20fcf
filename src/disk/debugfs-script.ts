// Pure builders of `debugfs -w` scripts: the metadata pass after `mkfs.ext4 -d` (uid, gid,
// full mode with setuid/setgid/sticky, device nodes and fifos, xattrs) and the commands that
// write files into an existing image. debugfs has no escape syntax but double quotes, in
// which `""` stands for one quote; a newline cannot be expressed at all.
import { BangerError } from "../api/errors.ts";
import type { NodeMeta, NodeType } from "../oci/tree.ts";

const TYPE_BITS: Record<NodeType, number> = {
  fifo: 0o010000,
  char: 0o020000,
  dir: 0o040000,
  block: 0o060000,
  file: 0o100000,
  symlink: 0o120000,
};

/** What mkfs.ext4 -d copied from the staged file (lstat), or null when nothing is on disk. */
export type StagedState = { mode: number; uid: number; gid: number } | null;

export interface XattrValue {
  /** Host file the caller writes `value` to before running the script. */
  file: string;
  value: Uint8Array;
}

export interface MetadataScript {
  script: string;
  xattrs: XattrValue[];
  /** Commands in the script (for logs and tests). */
  commands: number;
}

/** `"path"` with debugfs quoting; paths it cannot express are refused. */
export function quote(path: string): string {
  if (/[\n\r\0]/.test(path)) {
    throw new BangerError("invalid_content", `path ${JSON.stringify(path)} contains a newline or NUL, which ext4 tooling cannot write`);
  }
  return `"${path.replace(/"/g, '""')}"`;
}

/** Tree path ("" is the root) -> absolute guest path. */
export function guestPath(rel: string): string {
  return `/${rel}`;
}

export function fullMode(meta: NodeMeta): string {
  return `0${(TYPE_BITS[meta.type] | (meta.mode & 0o7777)).toString(8)}`;
}

/**
 * The metadata pass for a tree built with `mkfs.ext4 -d`: special files are created
 * (mknod from inside their parent, since debugfs mknod takes a bare name), then every
 * inode whose staged mode/uid/gid differ from the wanted ones is fixed with `sif`.
 * `staged(rel)` reports what mkfs copied; `xattrDir` is where xattr values go.
 */
export function metadataScript(
  nodes: ReadonlyMap<string, NodeMeta>,
  staged: (rel: string) => StagedState,
  xattrDir: string,
): MetadataScript {
  const lines: string[] = [];
  const xattrs: XattrValue[] = [];
  const paths = [...nodes.keys()].sort();
  for (const rel of paths) {
    const meta = nodes.get(rel)!;
    if (meta.type === "char" || meta.type === "block" || meta.type === "fifo") lines.push(...mknodLines(rel, meta));
  }
  for (const rel of paths) {
    const meta = nodes.get(rel)!;
    lines.push(...fixLines(rel, meta, staged(rel)));
    for (const [name, value] of Object.entries(meta.xattrs ?? {})) {
      const file = `${xattrDir}/xattr-${xattrs.length}`;
      xattrs.push({ file, value });
      lines.push(`ea_set -f ${quote(file)} ${quote(guestPath(rel))} ${quote(name)}`);
    }
  }
  return { script: lines.join("\n") + "\n", xattrs, commands: lines.length };
}

function mknodLines(rel: string, meta: NodeMeta): string[] {
  const slash = rel.lastIndexOf("/");
  const parent = slash < 0 ? "/" : guestPath(rel.slice(0, slash));
  const name = rel.slice(slash + 1);
  const spec = meta.type === "fifo" ? "p" : `${meta.type === "char" ? "c" : "b"} ${meta.devMajor ?? 0} ${meta.devMinor ?? 0}`;
  return [`cd ${quote(parent)}`, `mknod ${quote(name)} ${spec}`, "cd /"];
}

/** `sif` lines for what differs; special files always get all three. */
export function fixLines(rel: string, meta: NodeMeta, staged: StagedState): string[] {
  const path = quote(guestPath(rel));
  const want = Number.parseInt(fullMode(meta), 8);
  const out: string[] = [];
  if (!staged || staged.mode !== want) out.push(`sif ${path} mode ${fullMode(meta)}`);
  if (!staged || staged.uid !== meta.uid) out.push(`sif ${path} uid ${meta.uid}`);
  if (!staged || staged.gid !== meta.gid) out.push(`sif ${path} gid ${meta.gid}`);
  return out;
}

export interface WriteFile {
  /** Absolute guest path; its parent dirs are created when missing. */
  guestPath: string;
  /** Host file holding the content. */
  source: string;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Commands writing files into an existing image (for `image register`): parent dirs
 * created (debugfs makes them 0755 root:root; an existing one only makes it complain),
 * any old file removed, the new one written from inside its parent dir, then its owner
 * and mode set. Intermediate symlinks (/lib -> usr/lib) are followed by debugfs itself.
 */
export function writeFilesScript(files: readonly WriteFile[], dirs: readonly string[]): string {
  const lines: string[] = [];
  for (const d of dirs) lines.push(`mkdir ${quote(d)}`);
  for (const f of files) {
    const slash = f.guestPath.lastIndexOf("/");
    const parent = slash <= 0 ? "/" : f.guestPath.slice(0, slash);
    const name = f.guestPath.slice(slash + 1);
    const mode = `0${(0o100000 | (f.mode & 0o7777)).toString(8)}`;
    lines.push(`cd ${quote(parent)}`, `rm ${quote(name)}`, `write ${quote(f.source)} ${quote(name)}`, "cd /");
    lines.push(`sif ${quote(f.guestPath)} mode ${mode}`, `sif ${quote(f.guestPath)} uid ${f.uid}`, `sif ${quote(f.guestPath)} gid ${f.gid}`);
  }
  return lines.join("\n") + "\n";
}
