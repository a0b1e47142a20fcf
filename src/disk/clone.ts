// Copy-on-write disk clones: a reflink (FICLONE via `cp --reflink=always`) where the
// filesystem supports it, else a sparse copy. The strategy is reported so create
// timings show which one ran.
import { exec } from "../host/exec.ts";

export type CloneStrategy = "reflink" | "sparse-copy";

export interface CloneResult {
  strategy: CloneStrategy;
  ms: number;
}

export async function cloneDisk(src: string, dst: string): Promise<CloneResult> {
  const started = performance.now();
  const reflink = await exec(["cp", "--reflink=always", "--", src, dst], { allowFailure: true, timeoutMs: 600_000 });
  if (reflink.exitCode === 0) return { strategy: "reflink", ms: Math.round(performance.now() - started) };
  await exec(["cp", "--sparse=always", "--", src, dst], { timeoutMs: 600_000 });
  return { strategy: "sparse-copy", ms: Math.round(performance.now() - started) };
}

/** Grow an ext4 image file to `bytes` (never shrinks), then the filesystem inside it. */
export async function growExt4(file: string, bytes: number): Promise<void> {
  const size = Bun.file(file).size;
  if (bytes <= size) return;
  await exec(["truncate", "-s", String(bytes), "--", file]);
  // resize2fs insists on a recent clean fsck of an unmounted image.
  await exec(["e2fsck", "-fy", file], { allowFailure: true, timeoutMs: 600_000 }).then((r) => {
    if (r.exitCode > 2) throw new Error(`e2fsck ${file} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  });
  await exec(["resize2fs", file], { timeoutMs: 600_000 });
}
