// Reading and editing an EXISTING ext4 image with debugfs, no mount (for `image register`):
// stat/ls/cat/rdump queries, guest-path resolution through the image's own symlinks, and
// one batched script that removes per-VM files, writes banger's guest files and copies a
// kernel modules tree in.
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { BangerError } from "../api/errors.ts";
import { exec } from "../host/exec.ts";
import { quote, writeFilesScript, type WriteFile } from "./debugfs-script.ts";
import { runDebugfs } from "./ext4.ts";
import type { InjectFile } from "./inject.ts";

/** Run one read-only debugfs request; stdout is the answer. */
export async function debugfsRequest(image: string, request: string): Promise<string> {
  const r = await exec(["debugfs", "-R", request, "--", image], { timeoutMs: 300_000 });
  return r.stdout;
}

export type InodeKind = { type: "dir" | "file" | "other" } | { type: "symlink"; target: string };

/** The kind of `path` in the image, or null when it does not exist. */
export async function statPath(image: string, path: string): Promise<InodeKind | null> {
  const out = await debugfsRequest(image, `stat ${quote(path)}`);
  const type = /Type:\s+(\S+)/.exec(out)?.[1];
  if (!type) return null;
  if (type === "symlink") {
    const target = /Fast link dest: "(.*)"/.exec(out)?.[1];
    if (target === undefined) throw new BangerError("invalid_content", `${path} in the image is a long symlink banger cannot follow`);
    return { type: "symlink", target };
  }
  return { type: type === "directory" ? "dir" : type === "regular" ? "file" : "other" };
}

/** Resolve a guest path through the image's symlinks (as the guest would), one stat per component. */
export async function resolveInImage(image: string, guestPath: string, followLast = true): Promise<string> {
  const todo = guestPath.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  for (let hops = 0; todo.length > 0; ) {
    const part = todo.shift()!;
    if (part === "..") {
      done.pop();
      continue;
    }
    const path = `/${[...done, part].join("/")}`;
    const kind = todo.length > 0 || followLast ? await statPath(image, path) : null;
    if (kind?.type === "symlink") {
      if (++hops > 40) throw new BangerError("invalid_content", `too many symlinks resolving ${guestPath} in the image`);
      if (kind.target.startsWith("/")) done.length = 0;
      todo.unshift(...kind.target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    done.push(part);
  }
  return `/${done.join("/")}`;
}

/** Names in a directory of the image (without . and ..). */
export async function listNames(image: string, dir: string): Promise<string[]> {
  const out = await debugfsRequest(image, `ls -p ${quote(dir)}`);
  return out
    .split("\n")
    .map((l) => l.split("/"))
    .filter((f) => f.length >= 7 && f[5] !== "." && f[5] !== ".." && f[5] !== "")
    .map((f) => f[5]!);
}

/** The content of a regular file in the image (following symlinks), or null. */
export async function readImageFile(image: string, guestPath: string): Promise<string | null> {
  const path = await resolveInImage(image, guestPath);
  const kind = await statPath(image, path);
  return kind?.type === "file" ? debugfsRequest(image, `cat ${quote(path)}`) : null;
}

export interface ImageEdit {
  /** Guest paths to remove. */
  remove: string[];
  files: InjectFile[];
  /** A kernel modules dir (holding `<version>/`) to copy to `modulesTarget`. */
  modules: { hostDir: string; target: string } | null;
}

const BENIGN = [/already exists/i, /File not found by ext2_lookup/, /^rm: /];

/** Apply an edit in one debugfs run. */
export async function editImage(image: string, edit: ImageEdit, tmpDir: string): Promise<void> {
  const dir = mkdtempSync(join(tmpDir, "edit-"));
  try {
    const writes: WriteFile[] = edit.files.map((f, i) => {
      const source = join(dir, `f${i}`);
      writeFileSync(source, f.contents);
      return { guestPath: f.guestPath, source, mode: f.mode, uid: f.uid, gid: f.gid };
    });
    const dirs = new Set<string>();
    for (const f of writes) for (const a of ancestors(f.guestPath)) dirs.add(a);
    if (edit.modules) for (const a of ancestors(`${edit.modules.target}/x`)) dirs.add(a);
    // debugfs 1.47 leaks an inode (corrupting the filesystem) when `mkdir` meets an
    // existing directory below the root: only missing directories are created.
    const existing = await existingDirs(image, [...dirs]);
    const lines = edit.remove.map((p) => `rm ${quote(p)}`);
    lines.push(writeFilesScript(writes, [...dirs].filter((d) => !existing.has(d))));
    if (edit.modules) lines.push(await modulesScript(image, edit.modules.hostDir, edit.modules.target, existing));
    const script = join(dir, "script");
    writeFileSync(script, lines.join("\n") + "\n");
    await runDebugfs(script, image, BENIGN);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "/a/b/c" -> ["/a", "/a/b"] */
function ancestors(path: string): string[] {
  const parts = path.split("/").filter(Boolean).slice(0, -1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

async function existingDirs(image: string, dirs: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const d of dirs) if ((await statPath(image, d))?.type === "dir") found.add(d);
  return found;
}

/**
 * Copy a host modules tree to `target` (e.g. /usr/lib/modules), root-owned, host modes
 * kept. A version the image already has is left as it is (it holds that kernel's modules,
 * and re-creating its directories would corrupt the filesystem, see editImage).
 */
export async function modulesScript(image: string, hostDir: string, target: string, existing: ReadonlySet<string>): Promise<string> {
  const lines = ancestors(`${target}/x`).filter((d) => !existing.has(d)).map((d) => `mkdir ${quote(d)}`);
  for (const version of readdirSync(hostDir).sort()) {
    const guest = posix.join(target, version);
    if (existing.has(target) && (await statPath(image, guest))) continue;
    copyLines(join(hostDir, version), guest, lines);
  }
  return lines.join("\n");
}

function copyLines(host: string, guest: string, lines: string[]): void {
  const st = lstatSync(host);
  const own = [`sif ${quote(guest)} uid 0`, `sif ${quote(guest)} gid 0`];
  if (st.isDirectory()) {
    lines.push(`mkdir ${quote(guest)}`, `sif ${quote(guest)} mode 0${(0o40000 | (st.mode & 0o7777)).toString(8)}`, ...own);
    for (const name of readdirSync(host).sort()) copyLines(join(host, name), `${guest}/${name}`, lines);
  } else if (st.isSymbolicLink()) {
    lines.push(`rm ${quote(guest)}`, `symlink ${quote(guest)} ${quote(readlinkSync(host))}`, ...own);
  } else if (st.isFile()) {
    lines.push(`rm ${quote(guest)}`, `write ${quote(host)} ${quote(guest)}`, `sif ${quote(guest)} mode 0${(0o100000 | (st.mode & 0o7777)).toString(8)}`, ...own);
  }
}

/** Copy the image's `dir` out to `dest` (created by debugfs); false when `dir` is not a directory. */
export async function dumpDir(image: string, dir: string, dest: string): Promise<boolean> {
  if ((await statPath(image, dir))?.type !== "dir") return false;
  await exec(["debugfs", "-R", `rdump ${quote(dir)} ${quote(dest)}`, "--", image], { timeoutMs: 600_000 });
  return true;
}
