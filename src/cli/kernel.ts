// `banger kernel list|show|rm|import|pull` (F51), all with --json.
import { resolve } from "node:path";
import { defineCommand } from "citty";
import type { KernelInfo } from "../api/kernels.ts";
import { call, callWithProgress } from "./context.ts";
import { formatAge, formatBytes, printFields, printJson, printTable } from "./output.ts";

const json = { type: "boolean", description: "Output JSON" } as const;
const name = { type: "positional", required: true, description: "Kernel name (letters, digits, . - _)" } as const;
const force = { type: "boolean", description: "Replace a local kernel of the same name" } as const;

/** Progress on stderr, except for --json off a TTY (scripts read stdout only anyway). */
const quiet = (args: { json?: boolean }) => Boolean(args.json) && !process.stderr.isTTY;

const list = defineCommand({
  meta: { name: "list", alias: "ls", description: "List local kernels (--available: also the catalog)" },
  args: { available: { type: "boolean", alias: "a", description: "Also list catalog entries and whether each is local" }, json },
  async run({ args }) {
    const r = await call("kernel.list", { available: Boolean(args.available) });
    if (args.json) return printJson(r);
    printTable(
      ["NAME", "VERSION", "DISTRO", "ARCH", "SIZE", "SOURCE", "IMPORTED"],
      r.kernels.map((k) => [k.name, k.kernel_version, k.distro, k.arch, formatBytes(k.size_bytes), k.source, formatAge(k.imported_at)]),
    );
    if (!r.available) return;
    process.stdout.write("\n");
    printTable(
      ["AVAILABLE", "VERSION", "DISTRO", "ARCH", "LOCAL", "CATALOG"],
      r.available.map((e) => [e.name, e.kernel_version, e.distro, e.arch, e.local ? "yes" : "no", e.catalog]),
    );
    if (r.catalog_error) process.stderr.write(`warning: ${r.catalog_error}; showing the embedded catalog only\n`);
  },
});

export function kernelFields(k: KernelInfo): Record<string, unknown> {
  return {
    name: k.name,
    version: k.kernel_version,
    distro: k.distro,
    arch: k.arch,
    source: k.source,
    imported: k.imported_at,
    sha256: k.sha256,
    compression: k.compression,
    size: formatBytes(k.size_bytes),
    dir: k.dir,
    vmlinux: k.vmlinux,
    vmlinuz: k.vmlinuz,
    initrd: k.initrd,
    modules: k.modules,
  };
}

const show = defineCommand({
  meta: { name: "show", description: "Show one local kernel" },
  args: { name, json },
  async run({ args }) {
    const k = await call("kernel.show", { name: args.name });
    if (args.json) printJson(k);
    else printFields(kernelFields(k));
  },
});

const rm = defineCommand({
  meta: { name: "rm", alias: ["remove", "delete"], description: "Remove a local kernel (refused while an image uses it)" },
  args: { name, json },
  async run({ args }) {
    const r = await call("kernel.rm", { name: args.name });
    if (args.json) printJson(r);
    else process.stdout.write(`removed kernel ${r.removed}\n`);
  },
});

const importCmd = defineCommand({
  meta: { name: "import", description: "Import a kernel from a directory tree (--from / takes the host's own kernel)" },
  args: {
    name,
    from: { type: "string", required: true, description: "Directory with metadata.json, or boot/ and lib/modules/" },
    force,
    json,
  },
  async run({ args }) {
    const params = { name: args.name, from: resolve(args.from), force: Boolean(args.force) };
    const k = await callWithProgress("kernel.import", params, { quiet: quiet(args) });
    report(k, Boolean(args.json));
  },
});

const pull = defineCommand({
  meta: { name: "pull", description: "Download a kernel from the catalog (sha256-verified)" },
  args: { name, force, json },
  async run({ args }) {
    const k = await callWithProgress("kernel.pull", { name: args.name, force: Boolean(args.force) }, { quiet: quiet(args) });
    report(k, Boolean(args.json));
  },
});

function report(k: KernelInfo, asJson: boolean): void {
  if (asJson) return printJson(k);
  const extras = [k.initrd && "initrd", k.modules && "modules"].filter(Boolean).join(", ");
  process.stdout.write(`kernel ${k.name}: ${k.kernel_version} (${k.distro}/${k.arch})${extras ? ` with ${extras}` : ""}\n`);
}

export default defineCommand({
  meta: { name: "kernel", description: "Manage guest kernels" },
  subCommands: { list, show, rm, import: importCmd, pull },
});
