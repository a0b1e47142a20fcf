// The rootfs pipeline shared by pull and import: flatten the cached layers into a staged
// tree, inject banger's guest files and the kernel's modules, read os-release, build the
// rootfs ext4 (checked with e2fsck) and the work-seed, then drop the tree. Everything is
// written inside the caller's staging dir; the caller publishes it or removes it.
import { join } from "node:path";
import type { ProgressSink } from "../api/progress.ts";
import { buildExt4, planSize, treeStats } from "../disk/ext4.ts";
import { injectFiles, injectModules, readOsRelease, stripGlobs, type InjectFile, type OsRelease } from "../disk/inject.ts";
import { buildWorkSeed } from "../disk/work-seed.ts";
import { flattenLayers, type LayerInput } from "../oci/flatten.ts";
import { Tree } from "../oci/tree.ts";

export interface InjectionSet {
  files: InjectFile[];
  stripGlobs: readonly string[];
}

export const ROOTFS_FILE = "rootfs.ext4";
export const WORK_SEED_FILE = "work-seed.ext4";

export interface BuildInput {
  staging: string;
  layers: readonly LayerInput[];
  injection: InjectionSet;
  /** The kernel's modules dir (holding `<version>/`), or null. */
  modulesDir: string | null;
  /** --size; null for the default rule. */
  sizeBytes: number | null;
  tmpDir: string;
  sink: ProgressSink;
}

export interface BuiltImage {
  rootfs: string;
  rootfsSizeBytes: number;
  workSeed: string;
  os: OsRelease;
}

export async function buildImageFiles(input: BuildInput): Promise<BuiltImage> {
  const { sink } = input;
  const tree = new Tree(join(input.staging, "tree"));
  try {
    const n = input.layers.length;
    await flattenLayers(tree, input.layers, {
      onLayer: (i, l) => sink.stage("flatten", `flattening layer ${i + 1}/${n} (${l.digest.slice(7, 19)})`),
    });
    sink.stage("inject", "injecting the guest agent, guest files and kernel modules");
    await yieldToEventLoop(); // let the stage line go out before the synchronous copy
    stripGlobs(tree, input.injection.stripGlobs);
    injectFiles(tree, input.injection.files);
    if (input.modulesDir) injectModules(tree, input.modulesDir);
    const os = readOsRelease(tree);
    const rootfs = join(input.staging, ROOTFS_FILE);
    const sizeBytes = planSize(treeStats(tree.nodes), input.sizeBytes);
    sink.stage("ext4", `building the ${Math.round(sizeBytes / 1024 ** 2)} MiB ext4 root filesystem`);
    await buildExt4(tree, { file: rootfs, label: "rootfs", sizeBytes, tmpDir: input.tmpDir, check: true });
    sink.stage("work_seed", "building the work-seed from /root");
    const workSeed = join(input.staging, WORK_SEED_FILE);
    await buildWorkSeed(tree, workSeed, input.tmpDir);
    return { rootfs, rootfsSizeBytes: sizeBytes, workSeed, os };
  } finally {
    tree.destroy();
  }
}

/** One macrotask: progress already enqueued is written to the client before blocking work. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
