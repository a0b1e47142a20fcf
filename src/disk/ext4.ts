// Build an ext4 image from a staged Tree without root and without mounting (F43):
// `mkfs.ext4 -d` copies the tree (content, links, the staged modes), then ONE batched
// `debugfs -w` script applies what the staging could not hold: real uid/gid, setuid and
// friends, device nodes, fifos, xattrs. Optionally `e2fsck -fn` checks the result.
import { closeSync, ftruncateSync, lstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";
import { exec, ExecError } from "../host/exec.ts";
import type { NodeMeta } from "../oci/tree.ts";
import { metadataScript, type StagedState } from "./debugfs-script.ts";

export const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const BLOCK = 4096;
/** mke2fs's default inode ratio for filesystems of this size. */
const BYTES_PER_INODE = 16384;

export interface TreeStats {
  /** Bytes the content occupies in 4 KiB blocks (files, dirs, long symlinks). */
  bytes: number;
  /** Inodes needed (hardlinked files count once). */
  inodes: number;
}

/** Pure over the metadata map. */
export function treeStats(nodes: ReadonlyMap<string, NodeMeta>): TreeStats {
  const seen = new Set<NodeMeta>();
  let bytes = 0;
  for (const meta of nodes.values()) {
    if (seen.has(meta)) continue;
    seen.add(meta);
    if (meta.type === "file") bytes += Math.ceil(meta.size / BLOCK) * BLOCK;
    else if (meta.type === "dir") bytes += BLOCK;
    else if (meta.type === "symlink" && (meta.target?.length ?? 0) >= 60) bytes += BLOCK;
  }
  return { bytes, inodes: seen.size };
}

/**
 * Pure: the image size. Default max(content x 1.25, 1 GiB) rounded up to a MiB; an
 * explicit size is used as is unless the content cannot fit (content + 5% for metadata).
 */
export function planSize(stats: TreeStats, requested: number | null, floor = GIB): number {
  const minimum = roundUp(Math.ceil(stats.bytes * 1.05) + 16 * MIB, MIB);
  if (requested !== null) {
    if (requested < minimum) {
      throw new BangerError("usage", `--size ${requested} bytes is too small: the image content needs at least ${minimum} bytes (${Math.ceil(minimum / MIB)} MiB)`);
    }
    return requested;
  }
  return roundUp(Math.max(Math.ceil(stats.bytes * 1.25), floor), MIB);
}

/** Pure: inode count to ask for when the default ratio would give too few. */
export function planInodes(stats: TreeStats, sizeBytes: number): number | null {
  const wanted = Math.ceil(stats.inodes * 1.25) + 1024;
  return sizeBytes / BYTES_PER_INODE >= wanted ? null : wanted;
}

export interface MkfsArgs {
  tree: string;
  file: string;
  label: string;
  sizeBytes: number;
  inodes: number | null;
}

/** Pure: the mkfs.ext4 argv (the image file already exists at its final size). */
export function mkfsArgv(a: MkfsArgs): string[] {
  return [
    "mkfs.ext4", "-F", "-q", "-L", a.label, "-E", "root_owner=0:0",
    ...(a.inodes ? ["-N", String(a.inodes)] : []),
    "-d", a.tree, "--", a.file, `${Math.floor(a.sizeBytes / 1024)}k`,
  ];
}

/** A staged directory plus the metadata its entries must get (an oci Tree, or a view of part of one). */
export interface StagedTree {
  readonly root: string;
  readonly nodes: ReadonlyMap<string, NodeMeta>;
  host(rel: string): string;
}

export interface BuildExt4Options {
  file: string;
  label: string;
  sizeBytes: number;
  /** Scratch space for the debugfs script and xattr values. */
  tmpDir: string;
  /** Run `e2fsck -fn` afterwards. */
  check?: boolean;
}

export async function buildExt4(tree: StagedTree, opts: BuildExt4Options): Promise<void> {
  const fd = openSync(opts.file, "w", 0o644);
  ftruncateSync(fd, opts.sizeBytes);
  closeSync(fd);
  const inodes = planInodes(treeStats(tree.nodes), opts.sizeBytes);
  try {
    await exec(mkfsArgv({ tree: tree.root, file: opts.file, label: opts.label, sizeBytes: opts.sizeBytes, inodes }), { timeoutMs: 1_800_000 });
  } catch (err) {
    if (err instanceof ExecError && /No space left|Could not allocate|too many|inodes/i.test(err.result.stderr)) {
      throw new BangerError("usage", `the image does not fit in ${opts.sizeBytes} bytes: ${err.message}; use a larger --size`);
    }
    throw err;
  }
  await applyMetadata(tree, opts.file, opts.tmpDir);
  if (opts.check) await fsck(opts.file);
}

/** What mkfs.ext4 -d copied for `rel`: the staged file's own lstat. */
function stagedState(tree: StagedTree, rel: string): StagedState {
  const meta = tree.nodes.get(rel)!;
  if (meta.type !== "file" && meta.type !== "dir" && meta.type !== "symlink") return null;
  // mkfs.ext4 -d does not copy the root dir's own mode or owner: always set them.
  if (rel === "") return null;
  const st = lstatSync(tree.host(rel));
  return { mode: st.mode & 0o177777, uid: st.uid, gid: st.gid };
}

async function applyMetadata(tree: StagedTree, file: string, tmpDir: string): Promise<void> {
  const dir = mkdtempSync(join(tmpDir, "debugfs-"));
  try {
    const plan = metadataScript(tree.nodes, (rel) => stagedState(tree, rel), dir);
    if (plan.commands === 0) return;
    for (const x of plan.xattrs) writeFileSync(x.file, x.value);
    const script = join(dir, "script");
    writeFileSync(script, plan.script);
    await runDebugfs(script, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BANNER = /^debugfs \d+\.\d+/;

/** Run a debugfs script; debugfs exits 0 even when commands fail, so stderr is the verdict. */
export async function runDebugfs(script: string, image: string, benign: readonly RegExp[] = []): Promise<void> {
  const r = await exec(["debugfs", "-w", "-f", script, "--", image], { timeoutMs: 1_800_000 });
  const problems = r.stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !BANNER.test(l) && !benign.some((re) => re.test(l)));
  if (problems.length > 0) {
    throw new BangerError("exec_failed", `debugfs failed on ${image}: ${problems.slice(0, 3).join("; ")}`, { stderr: r.stderr.slice(-4000) });
  }
}

/** `e2fsck -fn`: a read-only full check; any problem is an error. */
export async function fsck(image: string): Promise<void> {
  const r = await exec(["e2fsck", "-fn", "--", image], { allowFailure: true, timeoutMs: 1_800_000 });
  if (r.exitCode !== 0) {
    const why = (r.stdout + r.stderr).trim().split("\n").slice(-3).join("; ");
    throw new BangerError("exec_failed", `e2fsck found problems in ${image}: ${why}`, { stdout: r.stdout.slice(-4000) });
  }
}

function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}
