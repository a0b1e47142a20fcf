// What goes onto a VM's work disk (mounted at /root in the guest) besides the image's
// own /root: the managed key, the host's git identity and [[file_sync]] entries (F32,
// F63). Pure planning over host reads; writing happens in work-disk.ts.
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { DEFAULT_FILE_MODE, type FileSyncEntry } from "../config/file-sync.ts";

/** A path on the work disk: "/.ssh/authorized_keys" is /root/.ssh/authorized_keys in the guest. */
export interface PlannedFile {
  path: string;
  mode: number;
  content: { text: string } | { hostFile: string };
}

export interface WorkPlan {
  dirs: { path: string; mode: number }[];
  files: PlannedFile[];
  warnings: string[];
}

export interface GitIdentity {
  name?: string;
  email?: string;
}

export function gitconfigText(id: GitIdentity): string | null {
  if (!id.name && !id.email) return null;
  const lines = ["[user]"];
  if (id.name) lines.push(`\tname = ${id.name}`);
  if (id.email) lines.push(`\temail = ${id.email}`);
  return lines.join("\n") + "\n";
}

export function planWorkDisk(input: { authorizedKey: string; git: GitIdentity; fileSync: FileSyncEntry[] }): WorkPlan {
  const plan: WorkPlan = { dirs: [{ path: "/.ssh", mode: 0o700 }], files: [], warnings: [] };
  plan.files.push({ path: "/.ssh/authorized_keys", mode: 0o600, content: { text: input.authorizedKey.trim() + "\n" } });
  const gitconfig = gitconfigText(input.git);
  if (gitconfig) plan.files.push({ path: "/.gitconfig", mode: 0o644, content: { text: gitconfig } });
  input.fileSync.forEach((entry, i) => addSyncEntry(plan, entry, i));
  return plan;
}

function addSyncEntry(plan: WorkPlan, entry: FileSyncEntry, index: number): void {
  let st;
  try {
    st = statSync(entry.host);
  } catch {
    plan.warnings.push(`file_sync[${index}]: ${entry.host} does not exist; skipped`);
    return;
  }
  const target = entry.guest.replace(/^\/root/, "") || "/";
  addParents(plan, target);
  if (st.isDirectory()) addTree(plan, entry.host, target);
  else plan.files.push({ path: target, mode: entry.mode ?? DEFAULT_FILE_MODE, content: { hostFile: entry.host } });
}

/** Directories are copied recursively; each file keeps its own mode (F32). */
function addTree(plan: WorkPlan, hostDir: string, diskDir: string): void {
  plan.dirs.push({ path: diskDir, mode: statSync(hostDir).mode & 0o7777 });
  for (const name of readdirSync(hostDir).sort()) {
    const host = join(hostDir, name);
    const disk = posix.join(diskDir, name);
    const st = lstatSync(host);
    if (st.isDirectory()) addTree(plan, host, disk);
    else if (st.isFile()) plan.files.push({ path: disk, mode: st.mode & 0o7777, content: { hostFile: host } });
    else plan.warnings.push(`file_sync: ${host} is not a regular file or directory; skipped`);
  }
}

function addParents(plan: WorkPlan, target: string): void {
  const parts = target.split("/").filter(Boolean).slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const dir = "/" + parts.slice(0, i).join("/");
    if (!plan.dirs.some((d) => d.path === dir)) plan.dirs.push({ path: dir, mode: 0o755 });
  }
}
