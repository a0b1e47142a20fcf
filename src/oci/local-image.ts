// Resolving an image from local documents (an OCI layout's index.json, or a docker save
// manifest.json) to a manifest, config and layers in the blob cache. For docker save's
// legacy format, which has no manifest blob, one is synthesized (Docker schema2) and
// stored, so the image has a manifest digest like any other and prune can follow it.
import { statSync } from "node:fs";
import * as v from "valibot";
import { BangerError } from "../api/errors.ts";
import type { BlobCache } from "./blob-cache.ts";
import { sniffCompression } from "./decompress.ts";
import { MEDIA, parseConfig, parseManifest, parsePlatform, selectPlatform, type Descriptor, type ImageIndex, type ImageManifest } from "./manifest.ts";
import { checkPlatform, type FetchedImage } from "./pull.ts";

export interface LocalSource {
  /** A small top-level document (index.json, manifest.json), or null. */
  doc(name: string): Uint8Array | null;
  /** Make the blob at member path available in the cache (verified); returns its digest. */
  blob(member: string, expected: string | null): Promise<string>;
}

type Resolved = Omit<FetchedImage, "ref" | "release">;
type Pin = (digests: string[]) => void;

const DockerSave = v.array(
  v.object({ Config: v.string(), Layers: v.array(v.string()), RepoTags: v.optional(v.nullable(v.array(v.string()))) }),
);

export async function resolveLocal(source: LocalSource, cache: BlobCache, platform: string, label: string, pin: Pin): Promise<Resolved> {
  const index = source.doc("index.json");
  if (index) return resolveOci(source, cache, platform, label, pin, index);
  const manifest = source.doc("manifest.json");
  if (manifest) return resolveDockerSave(source, cache, platform, label, pin, manifest);
  throw new BangerError("usage", `${label} has neither index.json nor manifest.json`);
}

const blobMember = (digest: string) => `blobs/sha256/${digest.slice(7)}`;

async function blobBytes(source: LocalSource, cache: BlobCache, digest: string, pin: Pin): Promise<Uint8Array> {
  await source.blob(blobMember(digest), digest);
  pin([digest]);
  const bytes = await cache.readVerified(digest);
  if (!bytes) throw new BangerError("invalid_content", `blob ${digest} failed verification`);
  return bytes;
}

async function resolveOci(source: LocalSource, cache: BlobCache, platform: string, label: string, pin: Pin, indexBytes: Uint8Array): Promise<Resolved> {
  let parsed = parseManifest(indexBytes, null, `${label}: index.json`);
  let digest = "";
  for (let depth = 0; parsed.kind === "index"; depth++) {
    if (depth > 3) throw new BangerError("invalid_content", `${label}: indexes nest too deeply`);
    const chosen = chooseEntry(parsed.index, platform, label);
    digest = chosen.digest;
    parsed = parseManifest(await blobBytes(source, cache, digest, pin), null, `${label}: manifest ${digest}`);
  }
  return fetchParts(source, cache, platform, label, pin, parsed.manifest, digest);
}

/** One entry: the only one, else the one for our platform. */
function chooseEntry(index: ImageIndex, platform: string, label: string): Descriptor {
  if (index.manifests.length === 1) return index.manifests[0]!;
  if (index.manifests.length === 0) throw new BangerError("invalid_content", `${label}: the index lists no image`);
  if (index.manifests.some((m) => m.platform)) return selectPlatform(index, parsePlatform(platform), label);
  const names = index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"] ?? m.digest.slice(0, 19));
  throw new BangerError("usage", `${label} holds ${index.manifests.length} images (${names.join(", ")}); import one at a time`);
}

async function fetchParts(source: LocalSource, cache: BlobCache, platform: string, label: string, pin: Pin, manifest: ImageManifest, digest: string): Promise<Resolved> {
  const config = parseConfig(await blobBytes(source, cache, manifest.config.digest, pin), `${label}: config`);
  checkPlatform(config, platform, label);
  const layers = [];
  for (const l of manifest.layers) {
    await source.blob(blobMember(l.digest), l.digest);
    pin([l.digest]);
    layers.push({ digest: l.digest, size: l.size, mediaType: l.mediaType, path: cache.path(l.digest) });
  }
  return { manifestDigest: digest, configDigest: manifest.config.digest, config, layers };
}

async function resolveDockerSave(source: LocalSource, cache: BlobCache, platform: string, label: string, pin: Pin, doc: Uint8Array): Promise<Resolved> {
  let entries;
  try {
    entries = v.parse(DockerSave, JSON.parse(new TextDecoder().decode(doc)));
  } catch {
    throw new BangerError("invalid_content", `${label}: manifest.json is not a docker save manifest`);
  }
  if (entries.length !== 1) throw new BangerError("usage", `${label} holds ${entries.length} images; save and import one at a time`);
  const entry = entries[0]!;
  const configDigest = await source.blob(entry.Config, null);
  pin([configDigest]);
  const layers: Descriptor[] = [];
  for (const member of entry.Layers) {
    const digest = await source.blob(member, null);
    pin([digest]);
    layers.push(await describeLayer(cache, digest));
  }
  const configBytes = (await cache.readVerified(configDigest))!;
  const config = parseConfig(configBytes, `${label}: ${entry.Config}`);
  checkPlatform(config, platform, label);
  checkDiffIds(config.rootfs?.diff_ids ?? [], layers, label);
  const manifest = synthesizeDockerManifest({ mediaType: MEDIA.dockerConfig, digest: configDigest, size: configBytes.length }, layers);
  const manifestDigest = cache.putBytes(manifest);
  pin([manifestDigest]);
  const parsed = parseManifest(manifest, null, `${label}: manifest`) as { kind: "manifest"; manifest: ImageManifest };
  return {
    manifestDigest,
    configDigest,
    config,
    layers: parsed.manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, path: cache.path(l.digest) })),
  };
}

async function describeLayer(cache: BlobCache, digest: string): Promise<Descriptor> {
  const path = cache.path(digest);
  const kind = sniffCompression(await Bun.file(path).slice(0, 4).bytes());
  const mediaType = kind === "gzip" ? MEDIA.dockerLayerGzip : kind === "zstd" ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
  return { mediaType, digest, size: statSync(path).size };
}

/** Uncompressed layers must hash to the config's diff_ids: docker save's own integrity check. */
function checkDiffIds(diffIds: readonly string[], layers: readonly Descriptor[], label: string): void {
  if (diffIds.length !== layers.length) {
    throw new BangerError("invalid_content", `${label}: config lists ${diffIds.length} layer(s) but manifest.json has ${layers.length}`);
  }
  layers.forEach((l, i) => {
    if (l.mediaType === MEDIA.ociLayer && diffIds[i] !== l.digest) {
      throw new BangerError("invalid_content", `${label}: layer ${i + 1} hashes to ${l.digest}, but the config says ${diffIds[i]}`);
    }
  });
}

/** Pure: a Docker schema2 manifest document for a config and layers. */
export function synthesizeDockerManifest(config: Descriptor, layers: readonly Descriptor[]): Uint8Array {
  const doc = { schemaVersion: 2, mediaType: MEDIA.dockerManifest, config, layers };
  return new TextEncoder().encode(JSON.stringify(doc));
}
