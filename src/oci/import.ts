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
  const docs = new Map<string, Uint8Array>();
  const blobs = new Map<string, string>();
  let open: BlobWriter | null = null;
  const tar = new TarStream((e): EntrySink | null => {
    if (e.type !== "file") return null;
    const name = memberPath(e.path);
    if (DOCS.has(name)) return collectDoc(name, e.size, docs);
    const writer = deps.cache.writer(digestFromMember(name), e.size);
    open = writer;
    return {
      data: (chunk) => writer.write(chunk),
      end: () => {
        open = null;
        blobs.set(name, writer.commit());
      },
    };
  });
  deps.sink.stage("read", `reading ${basename(file)}`);
  const total = statSync(file).size;
  let last = 0;
  const onRead = (n: number) => {
    if (Date.now() - last < 200) return;
    last = Date.now();
    deps.sink.bytes(basename(file), n, total);
  };
  try {
    await feed(file, tar, onRead);
  } catch (err) {
    (open as BlobWriter | null)?.abort();
    throw err;
  }
  deps.sink.bytes(basename(file), total, total, true);
  if (!docs.has("index.json") && !docs.has("manifest.json")) {
    throw new BangerError("usage", `${file} is neither an oci-archive (no index.json) nor a docker save tar (no manifest.json)`);
  }
  return {
    doc: (name) => docs.get(name) ?? null,
    async blob(member, expected) {
      const digest = blobs.get(memberPath(member)) ?? (expected && deps.cache.has(expected) ? expected : null);
      if (!digest) throw new BangerError("invalid_content", `${file}: blob ${member} is not in the archive`);
      if (expected && digest !== expected) throw new BangerError("invalid_content", `${file}: ${member} hashes to ${digest}, not ${expected}`);
      return digest;
    },
  };
}

async function feed(file: string, tar: TarStream, onRead: (n: number) => void): Promise<void> {
  for await (const chunk of await openDecompressed(file, onRead)) tar.write(chunk);
  tar.end();
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
