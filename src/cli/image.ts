// `banger image list|show|delete|pull|import|register|cache prune` (F40-F47), all with --json.
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { BangerError } from "../api/errors.ts";
import type { CachePruneResult, ImageInfo } from "../api/images.ts";
import { parseSize } from "../config/size.ts";
import { call, callWithProgress } from "./context.ts";
import { formatAge, formatBytes, printFields, printJson, printTable } from "./output.ts";

const json = { type: "boolean", description: "Output JSON" } as const;
const ref = { type: "positional", required: true, description: "Image name, id or unique id prefix" } as const;
const create = {
  name: { type: "string", description: "Local image name (letters, digits, . - _)" },
  size: { type: "string", description: "Root filesystem size, e.g. 4G (default: content x 1.25, at least 1 GiB)" },
  kernel: { type: "string", description: "Kernel from the local catalog (default: the catalog entry's or the default kernel)" },
  json,
} as const;

/** Progress on stderr, except for --json off a TTY. */
const quiet = (args: { json?: boolean }) => Boolean(args.json) && !process.stderr.isTTY;

function kernelOf(i: ImageInfo): string | null {
  return i.kernel_name ?? (i.kernel_path ? i.kernel_path.split("/").pop()! : null);
}

const list = defineCommand({
  meta: { name: "list", alias: "ls", description: "List local images (--available: also the image catalog)" },
  args: { available: { type: "boolean", alias: "a", description: "Also list catalog images and whether each is local" }, json },
  async run({ args }) {
    const r = await call("image.list", {});
    const catalog = args.available ? await call("image.catalog", {}) : null;
    if (args.json) return printJson(catalog ? { ...r, available: catalog.images, catalog_error: catalog.catalog_error } : r);
    printTable(
      ["NAME", "ID", "ROOTFS SIZE", "KERNEL", "CREATED"],
      r.images.map((i) => [i.name, i.id, formatBytes(i.rootfs_size_bytes), kernelOf(i), formatAge(i.created_at)]),
    );
    if (!catalog) return;
    process.stdout.write("\n");
    printTable(["AVAILABLE", "REF", "KERNEL", "LOCAL"], catalog.images.map((e) => [e.name, e.ref, e.kernel, e.local ? "yes" : "no"]));
    if (catalog.catalog_error) process.stderr.write(`warning: ${catalog.catalog_error}; showing the embedded catalog only\n`);
  },
});

export function imageFields(i: ImageInfo): Record<string, unknown> {
  return {
    name: i.name,
    id: i.id,
    source: i.source,
    ref: i.ref,
    os: [i.os_id, i.os_like && `(like ${i.os_like})`].filter(Boolean).join(" ") || null,
    kernel: kernelOf(i),
    "rootfs size": formatBytes(i.rootfs_size_bytes),
    rootfs: i.rootfs_path,
    "work seed": i.work_seed_path,
    initrd: i.initrd_path,
    modules: i.modules_path,
    manifest: i.manifest_digest,
    config: i.config_digest,
    created: i.created_at,
  };
}

const show = defineCommand({
  meta: { name: "show", description: "Show one image" },
  args: { ref, json },
  async run({ args }) {
    const i = await call("image.show", { ref: args.ref });
    if (args.json) printJson(i);
    else printFields(imageFields(i));
  },
});

const del = defineCommand({
  meta: { name: "delete", alias: ["rm", "remove"], description: "Delete an image (refused while a VM uses it)" },
  args: { ref, json },
  async run({ args }) {
    const r = await call("image.delete", { ref: args.ref });
    if (args.json) printJson(r);
    else process.stdout.write(`deleted image ${r.deleted.name} (${r.deleted.id})\n`);
  },
});

function createParams(args: { name?: string; size?: string; kernel?: string }) {
  return {
    ...(args.name ? { name: args.name } : {}),
    ...(args.size ? { size_bytes: parseSize(args.size) } : {}),
    ...(args.kernel ? { kernel: args.kernel } : {}),
  };
}

const pull = defineCommand({
  meta: { name: "pull", description: "Pull an image from an OCI/Docker registry (or a catalog name) and build its rootfs" },
  args: { ref: { type: "positional", required: true, description: "Registry reference (debian:bookworm, ghcr.io/o/r@sha256:...) or catalog name" }, ...create },
  async run({ args }) {
    const i = await callWithProgress("image.pull", { ref: args.ref, ...createParams(args) }, { quiet: quiet(args) });
    report(i, Boolean(args.json));
  },
});

const importCmd = defineCommand({
  meta: { name: "import", description: "Import an OCI layout dir, oci-archive tar or docker save tar" },
  args: { path: { type: "positional", required: true, description: "Directory or tar file" }, ...create },
  async run({ args }) {
    const i = await callWithProgress("image.import", { path: resolve(args.path), ...createParams(args) }, { quiet: quiet(args) });
    report(i, Boolean(args.json));
  },
});

const register = defineCommand({
  meta: { name: "register", description: "Register an existing ext4 rootfs with a catalog kernel or kernel files" },
  args: {
    name: { type: "positional", required: true, description: "Image name (letters, digits, . - _)" },
    rootfs: { type: "string", required: true, description: "ext4 root filesystem image (copied; yours is not modified)" },
    "kernel-ref": { type: "string", description: "Kernel from the local catalog (exclusive with --kernel/--initrd/--modules)" },
    kernel: { type: "string", description: "Kernel image file" },
    initrd: { type: "string", description: "Initrd file (with --kernel)" },
    modules: { type: "string", description: "Modules dir holding <version>/ (with --kernel)" },
    json,
  },
  async run({ args }) {
    const direct = [args.kernel, args.initrd, args.modules].some((x) => x !== undefined);
    if (args["kernel-ref"] !== undefined && direct) {
      throw new BangerError("usage", "--kernel-ref and --kernel/--initrd/--modules are mutually exclusive");
    }
    if (args["kernel-ref"] === undefined && args.kernel === undefined) {
      throw new BangerError("usage", "a kernel is required: --kernel-ref NAME or --kernel FILE [--initrd FILE] [--modules DIR]");
    }
    const params = {
      name: args.name,
      rootfs: resolve(args.rootfs),
      ...(args["kernel-ref"] ? { kernel_ref: args["kernel-ref"] } : {}),
      ...(args.kernel ? { kernel: resolve(args.kernel) } : {}),
      ...(args.initrd ? { initrd: resolve(args.initrd) } : {}),
      ...(args.modules ? { modules: resolve(args.modules) } : {}),
    };
    const i = await callWithProgress("image.register", params, { quiet: quiet(args) });
    report(i, Boolean(args.json));
  },
});

/** "freed 1.2 GiB across 47 blob(s) in DIR" (or "would free ..." with --dry-run). */
export function pruneLine(r: CachePruneResult): string {
  return `${r.dry_run ? "would free" : "freed"} ${formatBytes(r.freed_bytes)} across ${r.blobs} blob(s) in ${r.dir}`;
}

const prune = defineCommand({
  meta: { name: "prune", description: "Remove cached blobs no registered image uses" },
  args: { "dry-run": { type: "boolean", description: "Only report what would be freed" }, json },
  async run({ args }) {
    const r = await call("image.cache.prune", { dry_run: Boolean(args["dry-run"]) });
    if (args.json) printJson(r);
    else process.stdout.write(pruneLine(r) + "\n");
  },
});

const cache = defineCommand({
  meta: { name: "cache", description: "Manage the OCI blob cache" },
  subCommands: { prune },
});

function report(i: ImageInfo, asJson: boolean): void {
  if (asJson) return printJson(i);
  const os = i.os_id ? ` ${i.os_id}` : "";
  process.stdout.write(`image ${i.name} (${i.id}):${os} rootfs ${formatBytes(i.rootfs_size_bytes)}, kernel ${kernelOf(i) ?? "-"}\n`);
}

export default defineCommand({
  meta: { name: "image", description: "Manage images (pull, import, register, list, delete, cache)" },
  subCommands: { list, show, delete: del, pull, import: importCmd, register, cache },
});
