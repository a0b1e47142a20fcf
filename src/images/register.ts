// `image register` (F46): adopt an existing ext4 rootfs. It is cloned (reflink or sparse
// copy) into the staging dir so the user's file is never modified, checked with e2fsck,
// given banger's guest files and the kernel's modules with one debugfs script, and its
// /root becomes the work-seed. Explicit kernel files are copied next to it.
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { ProgressSink } from "../api/progress.ts";
import { cloneDisk } from "../disk/clone.ts";
import { dumpDir, editImage, listNames, readImageFile, resolveInImage } from "../disk/image-edit.ts";
import { buildExt4, fsck, planSize, treeStats, type StagedTree } from "../disk/ext4.ts";
import { parseOsRelease, type OsRelease } from "../disk/inject.ts";
import { WORK_SEED_FLOOR, WORK_SEED_LABEL } from "../disk/work-seed.ts";
import type { NodeMeta } from "../oci/tree.ts";
import { ROOTFS_FILE, WORK_SEED_FILE, type InjectionSet } from "./build.ts";

export interface RegisterInput {
  rootfs: string;
  staging: string;
  injection: InjectionSet;
  modulesDir: string | null;
  kernel: { kernel: string; initrd: string | null } | null;
  tmpDir: string;
  sink: ProgressSink;
}

export interface RegisteredFiles {
  rootfs: string;
  rootfsSizeBytes: number;
  workSeed: string;
  kernel: string | null;
  initrd: string | null;
  os: OsRelease;
}

export async function registerFiles(input: RegisterInput): Promise<RegisteredFiles> {
  const { sink, staging } = input;
  mustBeFile(input.rootfs, "--rootfs");
  const rootfs = join(staging, ROOTFS_FILE);
  sink.stage("copy", `copying ${input.rootfs}`);
  await cloneDisk(input.rootfs, rootfs);
  await fsck(rootfs).catch((err) => {
    throw new BangerError("usage", `${input.rootfs} is not a clean ext4 filesystem: ${(err as Error).message}`);
  });
  sink.stage("inject", "injecting the guest agent, guest files and kernel modules");
  await editImage(rootfs, await planEdit(rootfs, input), input.tmpDir);
  await fsck(rootfs);
  const os = parseOsRelease((await readImageFile(rootfs, "/etc/os-release")) ?? (await readImageFile(rootfs, "/usr/lib/os-release")) ?? "");
  sink.stage("work_seed", "building the work-seed from /root");
  const workSeed = join(staging, WORK_SEED_FILE);
  await seedFromImage(rootfs, workSeed, input.tmpDir);
  const kernel = input.kernel ? copyInto(input.kernel.kernel, join(staging, "kernel")) : null;
  const initrd = input.kernel?.initrd ? copyInto(input.kernel.initrd, join(staging, "initrd.img")) : null;
  return { rootfs, rootfsSizeBytes: statSync(rootfs).size, workSeed, kernel, initrd, os };
}

export function mustBeFile(path: string, flag: string): void {
  if (!existsSync(path) || !statSync(path).isFile()) throw new BangerError("usage", `${flag} ${path} is not a file`);
}

export function mustBeDir(path: string, flag: string): void {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new BangerError("usage", `${flag} ${path} is not a directory`);
}

function copyInto(src: string, dest: string): string {
  copyFileSync(src, dest);
  return dest;
}

async function planEdit(image: string, input: RegisterInput) {
  const remove: string[] = [];
  for (const glob of input.injection.stripGlobs) {
    const slash = glob.lastIndexOf("/");
    const dir = await resolveInImage(image, glob.slice(0, slash) || "/");
    const re = new RegExp(`^${glob.slice(slash + 1).split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    for (const name of await listNames(image, dir)) if (re.test(name)) remove.push(`${dir === "/" ? "" : dir}/${name}`);
  }
  const files = [];
  for (const f of input.injection.files) files.push({ ...f, guestPath: await resolveInImage(image, f.guestPath, false) });
  const modules = input.modulesDir ? { hostDir: input.modulesDir, target: await resolveInImage(image, "/lib/modules") } : null;
  return { remove, files, modules };
}

/** The work-seed from the image's /root, dumped out with debugfs (entries become root-owned). */
async function seedFromImage(image: string, file: string, tmpDir: string): Promise<void> {
  const dir = mkdtempSync(join(tmpDir, "seed-"));
  try {
    const home = join(dir, "root");
    if (!(await dumpDir(image, await resolveInImage(image, "/root"), dir))) mkdirSync(home);
    const nodes = new Map<string, NodeMeta>();
    walk(home, "", nodes);
    nodes.set("", { type: "dir", mode: 0o700, uid: 0, gid: 0, size: 0 });
    const view: StagedTree = { root: home, nodes, host: (rel) => (rel === "" ? home : join(home, rel)) };
    const sizeBytes = planSize(treeStats(nodes), null, WORK_SEED_FLOOR);
    await buildExt4(view, { file, label: WORK_SEED_LABEL, sizeBytes, tmpDir, check: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function walk(host: string, rel: string, nodes: Map<string, NodeMeta>): void {
  for (const name of readdirSync(host)) {
    const path = join(host, name);
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path);
    const type = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : null;
    if (!type) continue;
    nodes.set(r, { type, mode: st.mode & 0o7777, uid: 0, gid: 0, size: st.size });
    if (type === "dir") walk(path, r, nodes);
  }
}
