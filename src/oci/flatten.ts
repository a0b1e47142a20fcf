// Flatten image layers, oldest first, into a staged Tree (F42): whiteouts `.wh.<name>`
// delete what lower layers put there, an opaque marker `.wh..wh..opq` hides a directory's
// lower-layer contents, hardlinks, symlinks (absolute targets kept as is; relative ones
// that climb out of the root refused), device nodes and fifos recorded in the metadata.
// Each layer is decompressed (gzip/zstd/plain, sniffed from its first bytes) and parsed
// in one streaming pass. Any refusal names the offending member; the caller removes the
// staging dir.
import { BangerError } from "../api/errors.ts";
import { openDecompressed } from "./decompress.ts";
import { TarStream, type EntrySink, type TarEntry } from "./tar-stream.ts";
import { memberPath, parentOf, relativeTargetEscapes, Tree, unsafe, type NodeMeta } from "./tree.ts";

export interface FlattenLimits {
  /** Total bytes of file content across all layers (a decompression-bomb guard). */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_FLATTEN_LIMITS: FlattenLimits = { maxBytes: 64 * 1024 ** 3, maxEntries: 4_000_000 };

export interface LayerInput {
  digest: string;
  path: string;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** Apply `layers` in order onto `tree`; `onLayer` is called before each one. */
export async function flattenLayers(
  tree: Tree,
  layers: readonly LayerInput[],
  opts: { limits?: FlattenLimits; onLayer?: (index: number, layer: LayerInput) => void } = {},
): Promise<void> {
  const applier = new LayerApplier(tree, opts.limits ?? DEFAULT_FLATTEN_LIMITS);
  for (const [i, layer] of layers.entries()) {
    opts.onLayer?.(i, layer);
    await applyLayerFile(applier, layer);
  }
}

async function applyLayerFile(applier: LayerApplier, layer: LayerInput): Promise<void> {
  applier.begin();
  const tar = new TarStream((e) => applier.entry(e));
  try {
    for await (const chunk of await openDecompressed(layer.path)) tar.write(chunk);
    tar.end();
  } catch (err) {
    applier.abort();
    if (err instanceof BangerError) throw new BangerError(err.code, `layer ${layer.digest.slice(0, 19)}: ${err.message}`, err.details);
    throw new BangerError("invalid_content", `layer ${layer.digest.slice(0, 19)} cannot be read: ${(err as Error).message}`);
  }
}

/** Applies the members of one layer at a time to a tree. */
export class LayerApplier {
  private bytes = 0;
  private entries = 0;
  private open: EntrySink | null = null;

  constructor(
    readonly tree: Tree,
    private readonly limits: FlattenLimits = DEFAULT_FLATTEN_LIMITS,
  ) {}

  begin(): void {
    this.tree.beginLayer();
  }

  /** Close a file left open by a failed stream. */
  abort(): void {
    try {
      this.open?.end();
    } catch {
      // the fd may already be closed
    }
    this.open = null;
  }

  entry(e: TarEntry): EntrySink | null {
    if (++this.entries > this.limits.maxEntries) throw unsafe(`image has more than ${this.limits.maxEntries} entries`);
    const rel = memberPath(e.path);
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    if (base.startsWith(WHITEOUT)) {
      this.whiteout(rel, base, e.path);
      return null;
    }
    if (rel === "") {
      if (e.type !== "dir") throw unsafe(`layer member "${e.path}" replaces the root directory with a non-directory`);
      this.tree.addDir("", meta(e));
      return null;
    }
    this.tree.ensureParents(rel, e.path);
    return this.add(rel, e);
  }

  private add(rel: string, e: TarEntry): EntrySink | null {
    switch (e.type) {
      case "dir":
        this.tree.addDir(rel, meta(e));
        return null;
      case "symlink":
        if (e.linkpath === "") throw unsafe(`layer member "${e.path}" is a symlink with an empty target`);
        if (relativeTargetEscapes(rel, e.linkpath)) {
          throw unsafe(`layer member "${e.path}" is a symlink to "${e.linkpath}", which escapes the image root`);
        }
        this.tree.addSymlink(rel, { ...meta(e), target: e.linkpath });
        return null;
      case "hardlink":
        this.tree.addHardlink(rel, hardlinkTarget(e), e.path);
        return null;
      case "char":
      case "block":
      case "fifo":
        this.tree.addSpecial(rel, { ...meta(e), devMajor: e.devMajor, devMinor: e.devMinor });
        return null;
      case "file":
        return this.file(rel, e);
    }
  }

  private file(rel: string, e: TarEntry): EntrySink {
    this.bytes += e.size;
    if (this.bytes > this.limits.maxBytes) throw unsafe(`image content exceeds ${this.limits.maxBytes} bytes`);
    const sink = this.tree.addFile(rel, { ...meta(e), size: e.size }, e.mtime);
    this.open = sink;
    return {
      data: (chunk) => sink.data(chunk),
      end: () => {
        this.open = null;
        sink.end();
      },
    };
  }

  private whiteout(rel: string, base: string, member: string): void {
    const dir = parentOf(rel);
    if (!this.tree.parentsExist(rel, member)) return; // nothing below a missing dir to hide
    if (base === OPAQUE) {
      if (this.tree.get(dir)?.type === "dir") this.hideLower(dir);
      return;
    }
    if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return; // other AUFS metadata (.wh..wh.plnk)
    const name = base.slice(WHITEOUT.length);
    if (name === "" || name === "." || name === "..") throw unsafe(`layer member "${member}" is a malformed whiteout`);
    const target = dir ? `${dir}/${name}` : name;
    // A whiteout only hides what lower layers made, never its own layer's entries.
    if (!this.tree.inLayer(target)) this.tree.remove(target);
  }

  /** Opaque dir: drop every lower-layer entry below `dir`, keeping this layer's own. */
  private hideLower(dir: string): void {
    for (const name of this.tree.childNames(dir)) {
      const path = dir ? `${dir}/${name}` : name;
      const node = this.tree.get(path)!;
      if (node.type === "dir" && (this.tree.inLayer(path) || this.hasLayerDescendant(path))) this.hideLower(path);
      else if (!this.tree.inLayer(path)) this.tree.remove(path);
    }
  }

  private hasLayerDescendant(dir: string): boolean {
    return this.tree.childNames(dir).some((n) => {
      const p = `${dir}/${n}`;
      return this.tree.inLayer(p) || (this.tree.get(p)?.type === "dir" && this.hasLayerDescendant(p));
    });
  }
}

function meta(e: TarEntry): NodeMeta {
  const type = e.type === "hardlink" ? "file" : e.type;
  return { type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: 0, xattrs: e.xattrs };
}

function hardlinkTarget(e: TarEntry): string {
  try {
    return memberPath(e.linkpath);
  } catch {
    throw unsafe(`layer member "${e.path}" is a hardlink to "${e.linkpath}", which is outside the image`);
  }
}
