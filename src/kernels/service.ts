// The kernel service: list/show/rm the local catalog, import from a directory tree, pull
// catalog bundles, and ensureKernel() for the image and VM services. Every mutation of a
// name holds that name's lock; a pull already running for a name is shared by ensureKernel
// callers. Failures remove the staging dir and the downloaded file: nothing half-made.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { AvailableKernel, KernelInfo, KernelListResult } from "../api/kernels.ts";
import { nullSink, type ProgressSink } from "../api/progress.ts";
import type { Paths } from "../config/paths.ts";
import type { Logger } from "../log.ts";
import { assembleKernel } from "./assemble.ts";
import { extractBundle } from "./bundle.ts";
import { embeddedCatalog, fetchCatalog, mergeCatalogs, type CatalogEntry } from "./catalog.ts";
import { discoverKernel } from "./discovery.ts";
import { downloadTo } from "./download.ts";
import { KernelLayout } from "./layout.ts";
import { validateKernelName } from "./names.ts";

/** Bundle downloads in the shared tmp dir are named `kernel-<name>-...`. */
const DOWNLOAD_PREFIX = "kernel-";

export interface KernelServiceDeps {
  paths: Paths;
  /** Config `kernel_catalog_url`: a JSON catalog whose entries win over the embedded ones. */
  catalogUrl: string | null;
  log: Logger;
  /**
   * Names of the images that reference a kernel; `rm` refuses while any do. Supplied by
   * the composition root (the image service), called at rm time only.
   */
  kernelUsers?: (name: string) => string[] | Promise<string[]>;
}

/** What the image and VM services need from kernels. */
export interface KernelProvider {
  /** The local kernel, pulled from the catalog first when it is missing. */
  ensureKernel(name: string, sink?: ProgressSink): Promise<KernelInfo>;
  get(name: string): KernelInfo | null;
}

export class KernelService implements KernelProvider {
  private readonly layout: KernelLayout;
  private readonly busy = new Set<string>();
  private readonly pulls = new Map<string, Promise<KernelInfo>>();

  constructor(private readonly deps: KernelServiceDeps) {
    this.layout = new KernelLayout(deps.paths);
  }

  /**
   * Remove what a daemon killed mid-build left: staging/trash dirs and partial bundle
   * downloads. Call once at daemon start, before serving (no operation can be running).
   */
  sweepStale(): void {
    for (const dir of this.layout.staleDirs()) {
      this.deps.log.warn("removing a stale kernel build dir", { dir });
      rmSync(dir, { recursive: true, force: true });
    }
    const tmp = this.deps.paths.tmpDir;
    if (!existsSync(tmp)) return;
    for (const file of readdirSync(tmp).filter((f) => f.startsWith(DOWNLOAD_PREFIX))) rmSync(join(tmp, file), { force: true });
  }

  async list(available = false): Promise<KernelListResult> {
    const kernels = this.layout.names().flatMap((n) => this.layout.info(n) ?? []);
    if (!available) return { kernels };
    const { entries, error } = await this.catalog();
    const local = new Set(kernels.map((k) => k.name));
    const rows: AvailableKernel[] = entries.map((e) => ({ ...e, local: local.has(e.name) }));
    return { kernels, available: rows, catalog_error: error };
  }

  get(name: string): KernelInfo | null {
    return this.layout.info(name);
  }

  show(name: string): KernelInfo {
    validateKernelName(name);
    const info = this.layout.info(name);
    if (!info) throw new BangerError("not_found", `kernel "${name}" not found (see \`banger kernel list --available\`)`);
    return info;
  }

  async rm(name: string): Promise<{ removed: string }> {
    validateKernelName(name);
    return this.locked(name, async () => {
      this.show(name);
      const users = (await this.deps.kernelUsers?.(name)) ?? [];
      if (users.length > 0) {
        throw new BangerError("conflict", `kernel "${name}" is used by image(s) ${users.join(", ")}; delete them first`, { images: users });
      }
      this.layout.remove(name);
      this.deps.log.info("kernel removed", { name });
      return { removed: name };
    });
  }

  async import(name: string, from: string, opts: { force?: boolean; sink?: ProgressSink } = {}): Promise<KernelInfo> {
    validateKernelName(name);
    const sink = opts.sink ?? nullSink;
    const root = resolve(from);
    return this.locked(name, async () => {
      this.refuseExisting(name, opts.force);
      sink.stage("discover", `looking for a kernel under ${root}`);
      const source = discoverKernel(root);
      const label = source.version ? `${basename(source.images[0]!)} (${source.version})` : basename(source.images[0]!);
      sink.stage("assemble", `importing ${label}`);
      return this.build(name, !!opts.force, sink, async (staging) => {
        await assembleKernel(source, { ...this.assembleBase(name, staging, sink), transfer: "copy", sourceLabel: `import:${root}` });
      });
    });
  }

  async pull(name: string, opts: { force?: boolean; sink?: ProgressSink } = {}): Promise<KernelInfo> {
    validateKernelName(name);
    const sink = opts.sink ?? nullSink;
    return this.locked(name, () => {
      const run = this.pullLocked(name, !!opts.force, sink);
      this.pulls.set(name, run);
      return run.finally(() => this.pulls.delete(name));
    });
  }

  async ensureKernel(name: string, sink: ProgressSink = nullSink): Promise<KernelInfo> {
    validateKernelName(name);
    const local = this.layout.info(name);
    if (local) return local;
    const running = this.pulls.get(name);
    if (running) return running;
    sink.stage("pull_kernel", `kernel "${name}" is not local; pulling it`);
    return this.pull(name, { sink });
  }

  private async pullLocked(name: string, force: boolean, sink: ProgressSink): Promise<KernelInfo> {
    this.refuseExisting(name, force);
    sink.stage("resolve", `resolving kernel "${name}" in the catalog`);
    const entry = await this.catalogEntry(name);
    mkdirSync(this.deps.paths.tmpDir, { recursive: true, mode: 0o700 });
    const bundle = join(this.deps.paths.tmpDir, `${DOWNLOAD_PREFIX}${name}-${process.pid}-${Date.now().toString(36)}.tar.zst`);
    try {
      await this.fetchVerified(entry, bundle, sink);
      return await this.build(name, force, sink, async (staging) => {
        const root = join(staging, "bundle");
        mkdirSync(root);
        sink.stage("extract", `extracting ${basename(new URL(entry.url).pathname)}`);
        await extractBundle(bundle, root);
        const source = discoverKernel(root);
        sink.stage("assemble", `assembling kernel ${source.version ?? entry.kernel_version}`);
        await assembleKernel(source, {
          ...this.assembleBase(name, staging, sink),
          transfer: "move",
          sourceLabel: entry.url,
          hints: entry,
          bundleSha256: entry.sha256,
        });
        rmSync(root, { recursive: true, force: true });
      });
    } finally {
      rmSync(bundle, { force: true });
    }
  }

  private async fetchVerified(entry: CatalogEntry, file: string, sink: ProgressSink): Promise<void> {
    const item = basename(new URL(entry.url).pathname) || entry.name;
    sink.stage("download", `downloading ${entry.url}`);
    let got;
    try {
      got = await downloadTo(entry.url, file, { sink, item });
    } catch (err) {
      if (entry.catalog === "embedded" && err instanceof BangerError) {
        throw new BangerError(err.code, `${err.message} (set kernel_catalog_url to a catalog that serves "${entry.name}", or use \`banger kernel import\`)`);
      }
      throw err;
    }
    sink.stage("verify", `verifying sha256 of ${item}`);
    if (got.sha256 !== entry.sha256) {
      throw new BangerError("invalid_content", `sha256 mismatch for ${entry.url}: expected ${entry.sha256}, got ${got.sha256}`, {
        expected: entry.sha256,
        actual: got.sha256,
      });
    }
  }

  /** Stage, fill, publish; any failure removes the staging dir. */
  private async build(name: string, force: boolean, sink: ProgressSink, fill: (staging: string) => Promise<void>): Promise<KernelInfo> {
    const staging = this.layout.freshStaging(name);
    try {
      await fill(staging);
      sink.stage("publish", `publishing kernel "${name}"`);
      this.layout.publish(name, force);
    } catch (err) {
      this.layout.sweep(name);
      throw err;
    }
    const info = this.layout.info(name)!;
    this.deps.log.info("kernel published", { name, version: info.kernel_version, source: info.source });
    return info;
  }

  private assembleBase(name: string, staging: string, sink: ProgressSink) {
    return { name, staging, sink, scratchDir: staging };
  }

  private refuseExisting(name: string, force?: boolean): void {
    if (!force && this.layout.exists(name)) {
      throw new BangerError("conflict", `kernel "${name}" already exists (use --force to replace it)`);
    }
  }

  private async catalogEntry(name: string): Promise<CatalogEntry> {
    const { entries, error } = await this.catalog();
    if (error) throw new BangerError("unavailable", error);
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new BangerError("not_found", `kernel "${name}" is not in the kernel catalog (see \`banger kernel list --available\`)`);
    return entry;
  }

  private async catalog(): Promise<{ entries: CatalogEntry[]; error: string | null }> {
    const embedded = embeddedCatalog();
    if (!this.deps.catalogUrl) return { entries: mergeCatalogs(embedded, []), error: null };
    try {
      return { entries: mergeCatalogs(embedded, await fetchCatalog(this.deps.catalogUrl)), error: null };
    } catch (err) {
      this.deps.log.warn("kernel catalog unavailable", { url: this.deps.catalogUrl, error: (err as Error).message });
      return { entries: mergeCatalogs(embedded, []), error: (err as Error).message };
    }
  }

  private async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(name)) throw new BangerError("conflict", `kernel "${name}" is busy: another import, pull or rm is running`);
    this.busy.add(name);
    try {
      return await fn();
    } finally {
      this.busy.delete(name);
    }
  }
}
