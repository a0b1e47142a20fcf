// `image import` (F41), the offline path: an OCI image layout directory, an oci-archive
// tar, or a `docker save` tar (its manifest.json format, legacy `<id>/layer.tar` members
// or the newer OCI-style ones), optionally gzip/zstd-compressed. An archive is read in ONE
// streaming pass: every blob goes through the blob cache's verifying writer (a member
// named blobs/sha256/<hex> must hash to <hex>), the small JSON documents stay in memory.
// The result is the same FetchedImage a registry pull gives.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { ProgressSink } from "../api/progress.ts";
import type { BlobCache, BlobWriter } from "./blob-cache.ts";
import { openDecompressed } from "./decompress.ts";
import { resolveLocal, type LocalSource } from "./local-image.ts";
import type { FetchedImage } from "./pull.ts";
import { TarStream, type EntrySink } from "./tar-stream.ts";
import { memberPath } from "./tree.ts";

export interface ImportDeps {
  cache: BlobCache;
  platform: string;
  sink: ProgressSink;
}

const DOCS = new Set(["index.json", "manifest.json", "oci-layout", "repositories"]);
const MAX_DOC_BYTES = 4 * 1024 * 1024;

export async function importImage(input: string, deps: ImportDeps): Promise<FetchedImage> {
  const path = resolve(input);
  if (!existsSync(path)) throw new BangerError("not_found", `${path} does not exist`);
  deps.cache.ensureLayout();
  const source = statSync(path).isDirectory() ? layoutDirSource(path, deps.cache) : await archiveSource(path, deps);
  const pins: Array<() => void> = [];
  try {
    const image = await resolveLocal(source, deps.cache, deps.platform, path, (digests) => pins.push(deps.cache.pin(digests)));
    return { ...image, ref: path, release: () => pins.forEach((p) => p()) };
  } catch (err) {
    pins.forEach((p) => p());
    throw err;
  }
}

/** An OCI layout directory: documents read from disk, blobs copied into the cache as needed. */
function layoutDirSource(dir: string, cache: BlobCache): LocalSource {
  const hasLayout = existsSync(join(dir, "oci-layout"));
  if (!hasLayout && !existsSync(join(dir, "manifest.json"))) {
    throw new BangerError("usage", `${dir} is neither an OCI image layout (no oci-layout file) nor an unpacked docker save`);
  }
  return {
    doc: (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : null),
    async blob(member, expected) {
      const file = join(dir, memberPath(member));
      if (expected && (await cache.verify(expected))) return expected;
      if (!existsSync(file)) throw new BangerError("invalid_content", `${dir}: blob ${member} is missing`);
      const writer = cache.writer(expected ?? digestFromMember(member));
      try {
        for await (const chunk of Bun.file(file).stream()) writer.write(chunk);
        return writer.commit();
      } catch (err) {
        writer.abort();
        throw err;
      }
    },
  };
}

/** An archive: one pass storing every blob in the cache; then lookups by member path. */
async function archiveSource(file: string, deps: ImportDeps): Promise<LocalSource> {
  const scan = new ArchiveScan(file, deps);
  await scan.run();
  if (!scan.docs.has("index.json") && !scan.docs.has("manifest.json")) {
    throw new BangerError("usage", `${file} is neither an oci-archive (no index.json) nor a docker save tar (no manifest.json)`);
  }
  return {
    doc: (name) => scan.docs.get(name) ?? null,
    async blob(member, expected) {
      const digest = scan.blobs.get(memberPath(member)) ?? (expected && deps.cache.has(expected) ? expected : null);
      if (!digest) throw new BangerError("invalid_content", `${file}: blob ${member} is not in the archive`);
      if (expected && digest !== expected) throw new BangerError("invalid_content", `${file}: ${member} hashes to ${digest}, not ${expected}`);
      return digest;
    },
  };
}

/** Reads an archive once: documents kept in memory, every other file stored as a verified blob. */
class ArchiveScan {
  readonly docs = new Map<string, Uint8Array>();
  /** member path -> digest */
  readonly blobs = new Map<string, string>();
  private open: BlobWriter | null = null;
  private lastReport = 0;

  constructor(
    private readonly file: string,
    private readonly deps: ImportDeps,
  ) {}

  async run(): Promise<void> {
    const item = basename(this.file);
    const total = statSync(this.file).size;
    this.deps.sink.stage("read", `reading ${item}`);
    const tar = new TarStream((e) => this.entry(e.type, e.path, e.size));
    try {
      for await (const chunk of await openDecompressed(this.file, (n) => this.progress(item, n, total))) tar.write(chunk);
      tar.end();
    } catch (err) {
      this.open?.abort();
      throw err;
    }
    this.deps.sink.bytes(item, total, total, true);
  }

  private entry(type: string, path: string, size: number): EntrySink | null {
    if (type !== "file") return null;
    const name = memberPath(path);
    if (DOCS.has(name)) return collectDoc(name, size, this.docs);
    const writer = this.deps.cache.writer(digestFromMember(name), size);
    this.open = writer;
    return {
      data: (chunk) => writer.write(chunk),
      end: () => {
        this.open = null;
        this.blobs.set(name, writer.commit());
      },
    };
  }

  private progress(item: string, done: number, total: number): void {
    if (Date.now() - this.lastReport < 200) return;
    this.lastReport = Date.now();
    this.deps.sink.bytes(item, done, total);
  }
}

function collectDoc(name: string, size: number, docs: Map<string, Uint8Array>): EntrySink {
  if (size > MAX_DOC_BYTES) throw new BangerError("invalid_content", `archive member ${name} is larger than 4 MiB`);
  const buf = new Uint8Array(size);
  let filled = 0;
  return {
    data(chunk) {
      buf.set(chunk, filled);
      filled += chunk.length;
    },
    end: () => void docs.set(name, buf),
  };
}

/** "blobs/sha256/<hex>" names its digest; other members (legacy docker save) are hashed as stored. */
export function digestFromMember(name: string): string | null {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  return m ? `sha256:${m[1]}` : null;
}
