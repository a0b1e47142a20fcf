// The image service: pull/import/register images (each staged under <id>.staging, published
// by one rename, registered last: a failure anywhere leaves nothing behind), list/show/
// delete them, prune the blob cache, and ensure() for the VM service's auto-pull (F47).
// One operation per image name at a time; ensure() callers share a running pull.
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { BangerError } from "../api/errors.ts";
import type { CachePruneResult, ImageCatalogEntry } from "../api/images.ts";
import type { KernelInfo } from "../api/kernels.ts";
import { nullSink, type ProgressSink } from "../api/progress.ts";
import type { Paths } from "../config/paths.ts";
import type { KernelProvider } from "../kernels/service.ts";
import type { Logger } from "../log.ts";
import { BlobCache } from "../oci/blob-cache.ts";
import { importImage } from "../oci/import.ts";
import { pullImage, type FetchedImage } from "../oci/pull.ts";
import { defaultImageName, parseRef } from "../oci/ref.ts";
import type { Db } from "../store/db.ts";
import { deleteImage, findImage, getImageByName, insertImage, listImages, type NewImage } from "../store/images.ts";
import { newImageId } from "../store/ids.ts";
import { expectFound } from "../store/refs.ts";
import type { ImageRow } from "../store/schema.ts";
import { buildImageFiles, type InjectionSet } from "./build.ts";
import { loadImageCatalog } from "./catalog.ts";
import { referencedBlobs } from "./cache-refs.ts";
import { validateImageName } from "./names.ts";
import { mustBeDir, mustBeFile, registerFiles } from "./register.ts";

export interface ImageServiceDeps {
  paths: Paths;
  db: Db;
  log: Logger;
  kernels: KernelProvider;
  insecureRegistries: readonly string[];
  /** "linux/amd64" (config `platform`). */
  platform: string;
  imageCatalogUrl: string | null;
  /** The guest files every image gets (agent, assets) and the globs removed from it. */
  injection: () => Promise<InjectionSet>;
  /** ~/.docker/config.json or $DOCKER_CONFIG/config.json. */
  dockerConfig: string;
}

export interface CreateOptions {
  name?: string;
  sizeBytes?: number;
  kernel?: string;
}

export interface RegisterOptions {
  name: string;
  rootfs: string;
  kernelRef?: string;
  kernel?: string;
  initrd?: string;
  modules?: string;
}

interface Target {
  ref: string;
  name: string;
  kernel: string;
}

export class ImageService {
  readonly cache: BlobCache;
  private readonly running = new Map<string, Promise<ImageRow>>();

  constructor(private readonly deps: ImageServiceDeps) {
    this.cache = new BlobCache(deps.paths.ociDir);
  }

  list(): ImageRow[] {
    return listImages(this.deps.db);
  }

  show(ref: string): ImageRow {
    return expectFound(findImage(this.deps.db, ref), "image");
  }

  async delete(ref: string): Promise<ImageRow> {
    const row = this.show(ref);
    if (this.running.has(row.name)) throw new BangerError("conflict", `image "${row.name}" is busy`);
    deleteImage(this.deps.db, row.id); // refused with the VMs' names while any use it
    removeDir(this.deps.paths.imageDir(row.id));
    this.deps.log.info("image deleted", { id: row.id, name: row.name });
    return row;
  }

  async catalog(): Promise<{ images: (ImageCatalogEntry & { local: boolean })[]; catalog_error: string | null }> {
    const { catalog, error } = await loadImageCatalog(this.deps.imageCatalogUrl);
    const names = new Set(this.list().map((i) => i.name));
    return { images: catalog.entries.map((e) => ({ ...e, local: names.has(e.name) })), catalog_error: error };
  }

  /** A registry reference, or a catalog name (pulled under that name with the entry's kernel). */
  async pull(input: string, opts: CreateOptions = {}, sink: ProgressSink = nullSink): Promise<ImageRow> {
    return this.pullTarget(await this.target(input, opts), opts, sink);
  }

  /** Synchronously claims the name (no await before exclusive), so ensure() can share it. */
  private pullTarget(target: Target, opts: CreateOptions, sink: ProgressSink): Promise<ImageRow> {
    return this.exclusive(target.name, () =>
      this.create("pull", target, opts, sink, () =>
        pullImage(target.ref, {
          cache: this.cache,
          insecureRegistries: this.deps.insecureRegistries,
          platform: this.deps.platform,
          dockerConfig: this.deps.dockerConfig,
          log: this.deps.log,
          sink,
        }),
      ),
    );
  }

  async import(path: string, opts: CreateOptions = {}, sink: ProgressSink = nullSink): Promise<ImageRow> {
    const { catalog } = await loadImageCatalog(this.deps.imageCatalogUrl);
    const base = path.replace(/\/+$/, "").split("/").pop()!.replace(/\.(tar|tgz|tar\.gz|tar\.zst|oci)$/, "");
    const name = opts.name ?? base.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
    const target = { ref: path, name, kernel: opts.kernel ?? catalog.defaultKernel };
    return this.exclusive(name, () =>
      this.create("import", target, opts, sink, () => importImage(path, { cache: this.cache, platform: this.deps.platform, sink })),
    );
  }

  /** The image `ref` names (name, id, prefix, catalog name or registry ref), pulled when missing. */
  async ensure(ref: string, sink: ProgressSink = nullSink): Promise<ImageRow> {
    const found = findImage(this.deps.db, ref);
    if (found.kind === "found") return found.item;
    const target = await this.target(ref, {});
    const byName = getImageByName(this.deps.db, target.name);
    if (byName) return byName;
    return this.running.get(target.name) ?? this.pullTarget(target, {}, sink);
  }

  async register(opts: RegisterOptions, sink: ProgressSink = nullSink): Promise<ImageRow> {
    validateImageName(opts.name);
    const direct = opts.kernel !== undefined || opts.initrd !== undefined || opts.modules !== undefined;
    if (opts.kernelRef !== undefined && direct) {
      throw new BangerError("usage", "--kernel-ref and --kernel/--initrd/--modules are mutually exclusive");
    }
    if (opts.kernelRef === undefined && opts.kernel === undefined) {
      throw new BangerError("usage", "a kernel is required: --kernel-ref NAME or --kernel FILE [--initrd FILE] [--modules DIR]");
    }
    mustBeFile(opts.rootfs, "--rootfs");
    if (opts.kernel) mustBeFile(opts.kernel, "--kernel");
    if (opts.initrd) mustBeFile(opts.initrd, "--initrd");
    if (opts.modules) mustBeDir(opts.modules, "--modules");
    return this.exclusive(opts.name, async () => {
      this.refuseExisting(opts.name);
      const k = opts.kernelRef ? await this.deps.kernels.ensureKernel(opts.kernelRef, sink) : null;
      return this.publish(opts.name, sink, async (staging) => {
        const files = await registerFiles({
          rootfs: opts.rootfs, staging, injection: await this.deps.injection(), tmpDir: this.tmpDir(), sink,
          modulesDir: k ? k.modules : (opts.modules ?? null),
          kernel: opts.kernel ? { kernel: opts.kernel, initrd: opts.initrd ?? null } : null,
        });
        return {
          source: "register", ref: null, manifestDigest: null, configDigest: null,
          rootfsSizeBytes: files.rootfsSizeBytes, osId: files.os.id, osLike: files.os.idLike,
          kernelName: k?.name ?? null, kernelPath: files.kernel, initrdPath: files.initrd, modulesPath: k ? null : (opts.modules ?? null),
        };
      });
    });
  }

  /** Remove every cached blob no registered image (nor a running pull) references. */
  async pruneCache(dryRun: boolean): Promise<CachePruneResult> {
    const keep = await referencedBlobs(this.cache, this.list());
    const result = this.cache.prune(keep, dryRun);
    this.deps.log.info("blob cache pruned", { ...result });
    return result;
  }

  /** Leftover staging dirs of a crashed daemon; called at start. */
  sweepStale(): void {
    removeStaging(this.deps.paths.imagesDir);
  }

  private async target(input: string, opts: CreateOptions): Promise<Target> {
    const { catalog } = await loadImageCatalog(this.deps.imageCatalogUrl);
    const entry = catalog.entries.find((e) => e.name === input);
    if (entry) return { ref: entry.ref, name: opts.name ?? entry.name, kernel: opts.kernel ?? entry.kernel };
    return { ref: input, name: opts.name ?? defaultImageName(parseRef(input)), kernel: opts.kernel ?? catalog.defaultKernel };
  }

  private async create(source: "pull" | "import", t: Target, opts: CreateOptions, sink: ProgressSink, fetch: () => Promise<FetchedImage>): Promise<ImageRow> {
    validateImageName(t.name);
    this.refuseExisting(t.name);
    const kernel: KernelInfo = await this.deps.kernels.ensureKernel(t.kernel, sink);
    const image = await fetch();
    try {
      return await this.publish(t.name, sink, async (staging) => {
        const built = await buildImageFiles({
          staging, layers: image.layers, injection: await this.deps.injection(), modulesDir: kernel.modules,
          sizeBytes: opts.sizeBytes ?? null, tmpDir: this.tmpDir(), sink,
        });
        return {
          source, ref: image.ref, manifestDigest: image.manifestDigest, configDigest: image.configDigest,
          rootfsSizeBytes: built.rootfsSizeBytes, osId: built.os.id, osLike: built.os.idLike,
          kernelName: kernel.name, kernelPath: null, initrdPath: null, modulesPath: null,
        };
      });
    } finally {
      image.release();
    }
  }

  /** Stage under a fresh id, publish by rename, insert the row; undo everything on failure. */
  private async publish(name: string, sink: ProgressSink, fill: (staging: string) => Promise<Omit<NewImage, "name" | "rootfsPath" | "workSeedPath">>): Promise<ImageRow> {
    const { paths } = this.deps;
    const id = newImageId();
    const staging = paths.imageStaging(id);
    mkdirSync(paths.imagesDir, { recursive: true, mode: 0o700 });
    mkdirSync(staging, { mode: 0o755 });
    let fields;
    try {
      fields = await fill(staging);
      sink.stage("register", `registering image ${name}`);
      renameSync(staging, paths.imageDir(id));
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    const dir = paths.imageDir(id);
    const relocate = (p: string | null) => (p ? p.replace(staging, dir) : null);
    try {
      const row = insertImage(this.deps.db, {
        ...fields, name, rootfsPath: `${dir}/rootfs.ext4`, workSeedPath: `${dir}/work-seed.ext4`,
        kernelPath: relocate(fields.kernelPath ?? null), initrdPath: relocate(fields.initrdPath ?? null),
      }, id);
      this.deps.log.info("image registered", { id, name, source: row.source, ref: row.ref });
      return row;
    } catch (err) {
      removeDir(dir);
      throw err;
    }
  }

  private refuseExisting(name: string): void {
    if (getImageByName(this.deps.db, name)) throw new BangerError("conflict", `an image named "${name}" already exists`, { name });
  }

  private exclusive(name: string, fn: () => Promise<ImageRow>): Promise<ImageRow> {
    if (this.running.has(name)) {
      return Promise.reject(new BangerError("conflict", `image "${name}" is busy: another pull, import or register is running`));
    }
    const run = fn().finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  private tmpDir(): string {
    mkdirSync(this.deps.paths.tmpDir, { recursive: true, mode: 0o700 });
    return this.deps.paths.tmpDir;
  }
}

/** Unpublish by rename, then delete: a half-deleted image dir never looks complete. */
function removeDir(dir: string): void {
  const aside = `${dir}.deleting-${process.pid}`;
  try {
    renameSync(dir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
}

function removeStaging(imagesDir: string): void {
  let names: string[];
  try {
    names = readdirSync(imagesDir);
  } catch {
    return;
  }
  for (const n of names) if (/\.(staging|deleting-\d+)$/.test(n)) rmSync(`${imagesDir}/${n}`, { recursive: true, force: true });
}
