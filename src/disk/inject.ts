// What banger adds to every image's staged tree before the ext4 build (F44): a given
// set of guest files (the agent, sshd drop-in, first-boot scripts), the kernel modules of
// the image's kernel at /lib/modules/<version>, and the removal of files that must be per
// VM (baked-in SSH host keys). Guest paths are resolved through the image's own symlinks
// (/lib -> usr/lib in merged-/usr distros), inside the tree only. Also reads the image's
// /etc/os-release for the image row.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { Tree } from "../oci/tree.ts";

export interface InjectFile {
  /** Absolute guest path. */
  guestPath: string;
  mode: number;
  uid: number;
  gid: number;
  contents: Uint8Array;
}

const MAX_HOPS = 40;

/**
 * Resolve an absolute guest path to a tree path, following the tree's symlinks like the
 * guest kernel would (absolute targets restart at the image root, `..` stops at it). The
 * final component is not followed; missing components are kept as they are.
 */
export function resolveInTree(tree: Tree, guestPath: string, followLast = false): string {
  const todo = guestPath.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === "..") {
      done.pop();
      continue;
    }
    const rel = [...done, part].join("/");
    const node = tree.get(rel);
    if (node?.type === "symlink" && (todo.length > 0 || followLast)) {
      if (++hops > MAX_HOPS) throw new BangerError("invalid_content", `too many symlinks resolving ${guestPath} in the image`);
      const target = node.target!;
      if (target.startsWith("/")) done.length = 0;
      todo.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    done.push(part);
  }
  return done.join("/");
}

/** Write `files` into the tree as root-owned entries, creating missing parents 0755. */
export function injectFiles(tree: Tree, files: readonly InjectFile[], now = Math.floor(Date.now() / 1000)): void {
  for (const f of files) {
    const rel = resolveInTree(tree, f.guestPath);
    if (rel === "") throw new BangerError("internal", `cannot inject a file at ${f.guestPath}`);
    tree.ensureParents(rel, f.guestPath);
    const sink = tree.addFile(rel, { type: "file", mode: f.mode, uid: f.uid, gid: f.gid, size: f.contents.length }, now);
    sink.data(f.contents);
    sink.end();
  }
}

/**
 * Copy a kernel's modules tree (a dir holding `<version>/`) to /lib/modules/<version>,
 * replacing whatever the image had for that version. Entries are root-owned and keep
 * their host modes; symlinks (build, source) are copied as links.
 */
export function injectModules(tree: Tree, modulesDir: string): string[] {
  const base = resolveInTree(tree, "/lib/modules", true);
  const versions = readdirSync(modulesDir).filter((v) => lstatSync(join(modulesDir, v)).isDirectory()).sort();
  for (const version of versions) {
    const rel = `${base}/${version}`;
    tree.ensureParents(rel, `/lib/modules/${version}`);
    tree.remove(rel);
    copyHostTree(tree, join(modulesDir, version), rel);
  }
  return versions;
}

function copyHostTree(tree: Tree, host: string, rel: string): void {
  const st = lstatSync(host);
  const meta = { mode: st.mode & 0o7777, uid: 0, gid: 0, size: 0 };
  if (st.isDirectory()) {
    tree.addDir(rel, { ...meta, type: "dir" });
    for (const name of readdirSync(host).sort()) copyHostTree(tree, join(host, name), `${rel}/${name}`);
  } else if (st.isSymbolicLink()) {
    tree.addSymlink(rel, { ...meta, type: "symlink", mode: 0o777, target: readlinkSync(host) });
  } else if (st.isFile()) {
    tree.addFileFrom(rel, { ...meta, type: "file", size: st.size }, host);
  }
}

/** Remove entries matching globs like "/etc/ssh/ssh_host_*" (a `*` in the last component only). */
export function stripGlobs(tree: Tree, globs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const glob of globs) {
    const dir = resolveInTree(tree, posix.dirname(glob), true);
    if (tree.get(dir)?.type !== "dir") continue;
    const re = new RegExp(`^${posix.basename(glob).split("*").map(escapeRe).join(".*")}$`);
    for (const name of tree.childNames(dir).filter((n) => re.test(n))) {
      const rel = dir ? `${dir}/${name}` : name;
      tree.remove(rel);
      removed.push(`/${rel}`);
    }
  }
  return removed;
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

export interface OsRelease {
  id: string | null;
  idLike: string | null;
}

/** Pure: ID and ID_LIKE from os-release text (quotes removed). */
export function parseOsRelease(text: string): OsRelease {
  const get = (key: string) => {
    const m = new RegExp(`^${key}=(.*)$`, "m").exec(text);
    if (!m) return null;
    const value = m[1]!.trim().replace(/^(["'])(.*)\1$/, "$2").trim();
    return value === "" ? null : value;
  };
  return { id: get("ID"), idLike: get("ID_LIKE") };
}

/** /etc/os-release (following the image's symlinks), else /usr/lib/os-release. */
export function readOsRelease(tree: Tree): OsRelease {
  for (const path of ["/etc/os-release", "/usr/lib/os-release"]) {
    const rel = resolveInTree(tree, path, true);
    if (tree.get(rel)?.type === "file") return parseOsRelease(readFileSync(tree.host(rel), "utf8"));
  }
  return { id: null, idLike: null };
}
