// Pull an image from a registry into the blob cache: resolve the reference (an index is
// narrowed to the configured platform), then fetch the config and the layers (bounded
// concurrency, per-layer byte progress). Blobs already cached are re-verified and reused.
// The result names every blob in cache order; its pins keep them safe from a concurrent
// `image cache prune` until the caller releases them.
import { BangerError } from "../api/errors.ts";
import type { ProgressSink } from "../api/progress.ts";
import type { Logger } from "../log.ts";
import { loadCredentials } from "./auth.ts";
import type { BlobCache } from "./blob-cache.ts";
import { parseConfig, parseManifest, parsePlatform, selectPlatform, type Descriptor, type ImageConfig, type ImageManifest } from "./manifest.ts";
import { formatRef, manifestReference, parseRef, type ImageRef } from "./ref.ts";
import { RegistryClient } from "./registry.ts";
import type { RetryPolicy } from "./retry.ts";

export interface PullDeps {
  cache: BlobCache;
  insecureRegistries: readonly string[];
  /** "linux/amd64" (config `platform`). */
  platform: string;
  /** ~/.docker/config.json (see dockerConfigPath). */
  dockerConfig: string;
  log: Logger;
  sink: ProgressSink;
  /** Parallel layer downloads; default 3. */
  concurrency?: number;
  retry?: RetryPolicy;
}

export interface LayerBlob {
  digest: string;
  size: number;
  mediaType: string;
  path: string;
}

/** Everything needed to build a rootfs, all in the cache. */
export interface FetchedImage {
  ref: string;
  manifestDigest: string;
  configDigest: string;
  config: ImageConfig;
  layers: LayerBlob[];
  /** Unpin the blobs (call once the image is registered or the build failed). */
  release: () => void;
}

export async function pullImage(input: string, deps: PullDeps): Promise<FetchedImage> {
  const ref = parseRef(input);
  const shown = formatRef(ref);
  const client = new RegistryClient({
    ref,
    insecureRegistries: deps.insecureRegistries,
    credentials: loadCredentials(ref.registry, deps.dockerConfig),
    log: deps.log,
    retry: deps.retry,
  });
  deps.sink.stage("resolve", `resolving ${shown}`);
  const { manifest, digest } = await resolveManifest(client, ref, deps.platform, deps.cache);
  const release = deps.cache.pin([digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
  try {
    const config = await fetchConfig(client, manifest.config, deps, shown);
    deps.sink.stage("download", `downloading ${manifest.layers.length} layer(s) of ${shown}`);
    const layers = await mapLimit(manifest.layers, deps.concurrency ?? 3, (l) => ensureLayer(client, l, deps));
    return { ref: shown, manifestDigest: digest, configDigest: manifest.config.digest, config, layers, release };
  } catch (err) {
    release();
    throw err;
  }
}

async function resolveManifest(client: RegistryClient, ref: ImageRef, platform: string, cache: BlobCache) {
  const what = formatRef(ref);
  let fetched = await client.manifest(manifestReference(ref));
  let parsed = parseManifest(fetched.bytes, fetched.contentType, `manifest of ${what}`);
  if (parsed.kind === "index") {
    const chosen = selectPlatform(parsed.index, parsePlatform(platform), what);
    fetched = await client.manifest(chosen.digest);
    parsed = parseManifest(fetched.bytes, fetched.contentType, `manifest ${chosen.digest} of ${what}`);
    if (parsed.kind !== "manifest") throw new BangerError("invalid_content", `${what}: platform entry ${chosen.digest} is another index`);
  }
  // Kept in the cache so prune can tell which layers registered images still use.
  cache.putBytes(fetched.bytes);
  return { manifest: parsed.manifest as ImageManifest, digest: fetched.digest };
}

async function fetchConfig(client: RegistryClient, desc: Descriptor, deps: PullDeps, shown: string): Promise<ImageConfig> {
  let bytes = await deps.cache.readVerified(desc.digest);
  if (!bytes) {
    await download(client, desc, deps, false);
    bytes = (await deps.cache.readVerified(desc.digest))!;
  }
  const config = parseConfig(bytes, `config of ${shown}`);
  checkPlatform(config, deps.platform, shown);
  return config;
}

/** A single-platform manifest must still be for the platform we run. */
export function checkPlatform(config: ImageConfig, platform: string, shown: string): void {
  const want = parsePlatform(platform);
  if (config.os && config.architecture && (config.os !== want.os || config.architecture !== want.architecture)) {
    throw new BangerError("usage", `${shown} is a ${config.os}/${config.architecture} image; this host needs ${want.os}/${want.architecture}`);
  }
}

async function ensureLayer(client: RegistryClient, desc: Descriptor, deps: PullDeps): Promise<LayerBlob> {
  const layer = { digest: desc.digest, size: desc.size, mediaType: desc.mediaType, path: deps.cache.path(desc.digest) };
  if (await deps.cache.verify(desc.digest, desc.size)) {
    deps.sink.bytes(desc.digest, desc.size, desc.size, true);
    return layer;
  }
  await download(client, desc, deps, true);
  return layer;
}

async function download(client: RegistryClient, desc: Descriptor, deps: PullDeps, progress: boolean): Promise<void> {
  const writer = deps.cache.writer(desc.digest, desc.size);
  const onBytes = (done: number) => progress && deps.sink.bytes(desc.digest, done, desc.size);
  try {
    await client.blob(desc.digest, desc.size, writer, onBytes);
  } catch (err) {
    writer.abort();
    throw err;
  }
  if (progress) deps.sink.bytes(desc.digest, desc.size, desc.size, true);
}

/** Map with at most `limit` calls in flight; the first failure rejects (others finish quietly). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== null) throw failed;
  return results;
}
