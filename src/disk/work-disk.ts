// Build a VM's work disk without root or mount: clone the image's work-seed (or make an
// empty ext4), grow it, then apply the plan with one batched `debugfs -w` script.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";
import { exec } from "../host/exec.ts";
import { cloneDisk, growExt4 } from "./clone.ts";
import type { WorkPlan } from "./work-plan.ts";

export async function buildWorkDisk(seed: string | null, target: string, sizeBytes: number, plan: WorkPlan, tmpDir: string): Promise<void> {
  if (seed) {
    await cloneDisk(seed, target);
    await growExt4(target, sizeBytes);
  } else {
    await exec(["truncate", "-s", String(sizeBytes), "--", target]);
    await exec(["mkfs.ext4", "-q", "-F", "-L", "work", "-E", "root_owner=0:0", target]);
  }
  await applyPlan(target, plan, tmpDir);
}

/**
 * Pure: the debugfs script for a plan; `textFile(i)` names the temp file of text content i.
 * Directories in `existing` are not re-created: debugfs 1.47 leaks an inode (a corrupt
 * filesystem) when `mkdir` meets an existing directory below the root.
 */
export function planScript(plan: WorkPlan, textFile: (i: number) => string, existing: ReadonlySet<string> = new Set()): string {
  const lines: string[] = [];
  for (const d of plan.dirs) {
    if (!existing.has(d.path)) lines.push(`mkdir ${q(d.path)}`);
    lines.push(`sif ${q(d.path)} mode 0${(0o40000 | d.mode).toString(8)}`);
    lines.push(`sif ${q(d.path)} uid 0`, `sif ${q(d.path)} gid 0`);
  }
  plan.files.forEach((f, i) => {
    const src = "text" in f.content ? textFile(i) : f.content.hostFile;
    lines.push(`rm ${q(f.path)}`, `write ${q(src)} ${q(f.path)}`);
    lines.push(`sif ${q(f.path)} mode 0${(0o100000 | f.mode).toString(8)}`, `sif ${q(f.path)} uid 0`, `sif ${q(f.path)} gid 0`);
  });
  return lines.join("\n") + "\n";
}

// Expected noise: mkdir of a dir the seed already has, rm of a file that is not there.
const BENIGN = [/directory already exists/, /^mkdir: Ext2 directory already exists/, /File not found by ext2_lookup/, /^debugfs \d/];

async function applyPlan(image: string, plan: WorkPlan, tmpDir: string): Promise<void> {
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmpDir, "workdisk-"));
  try {
    const textFile = (i: number) => join(dir, `f${i}`);
    plan.files.forEach((f, i) => {
      if ("text" in f.content) writeFileSync(textFile(i), f.content.text, { mode: 0o600 });
    });
    const script = join(dir, "script");
    writeFileSync(script, planScript(plan, textFile, await existingDirs(image, plan.dirs.map((d) => d.path))));
    const r = await exec(["debugfs", "-w", "-f", script, image], { timeoutMs: 300_000 });
    const problems = r.stderr.split("\n").filter((l) => l.trim() && !BENIGN.some((re) => re.test(l.trim())));
    if (problems.length > 0) throw new BangerError("exec_failed", `writing the work disk failed: ${problems.slice(0, 3).join("; ")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Which of `dirs` already exist in the image (one read-only debugfs call each; few). */
async function existingDirs(image: string, dirs: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const d of dirs) {
    const r = await exec(["debugfs", "-R", `stat ${q(d)}`, image], { allowFailure: true });
    if (/Type: directory/.test(r.stdout)) found.add(d);
  }
  return found;
}

/** debugfs quoting: paths with spaces or quotes are double-quoted. */
function q(path: string): string {
  if (/["\n]/.test(path)) throw new BangerError("usage", `unsupported character in path ${JSON.stringify(path)}`);
  return /\s/.test(path) ? `"${path}"` : path;
}
