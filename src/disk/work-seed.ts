// The work-seed (F45): a small ext4 holding the image's /root, built the same rootless way
// as the rootfs. Each new VM's work disk is a clone of it, grown, then personalized
// (src/disk/work-disk.ts). Its root directory is /root itself: 0700, root-owned.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { NodeMeta, Tree } from "../oci/tree.ts";
import { buildExt4, planSize, treeStats, type StagedTree } from "./ext4.ts";

export const WORK_SEED_LABEL = "work";
const MIB = 1024 ** 2;
/** Smallest seed: room for a journal and a few dotfiles; VMs grow their copy anyway. */
export const WORK_SEED_FLOOR = 64 * MIB;

const ROOT_HOME: NodeMeta = { type: "dir", mode: 0o700, uid: 0, gid: 0, size: 0 };

/** Pure: the part of `nodes` below `dir`, re-rooted, with the new root forced to 0700 root:root. */
export function subtreeNodes(nodes: ReadonlyMap<string, NodeMeta>, dir: string): Map<string, NodeMeta> {
  const out = new Map<string, NodeMeta>([["", { ...ROOT_HOME }]]);
  const prefix = `${dir}/`;
  for (const [rel, meta] of nodes) if (rel.startsWith(prefix)) out.set(rel.slice(prefix.length), meta);
  return out;
}

/** Build `file` from the tree's /root (an empty home when the image has none). */
export async function buildWorkSeed(tree: Tree, file: string, tmpDir: string, check = true): Promise<void> {
  const hasHome = tree.get("root")?.type === "dir";
  const empty = hasHome ? null : mkdtempSync(join(tmpDir, "empty-home-"));
  try {
    const root = empty ?? tree.host("root");
    const view: StagedTree = {
      root,
      nodes: hasHome ? subtreeNodes(tree.nodes, "root") : new Map([["", { ...ROOT_HOME }]]),
      host: (rel) => (rel === "" ? root : join(root, rel)),
    };
    if (empty) mkdirSync(empty, { recursive: true });
    const sizeBytes = planSize(treeStats(view.nodes), null, WORK_SEED_FLOOR);
    await buildExt4(view, { file, label: WORK_SEED_LABEL, sizeBytes, tmpDir, check });
  } finally {
    if (empty) rmSync(empty, { recursive: true, force: true });
  }
}
