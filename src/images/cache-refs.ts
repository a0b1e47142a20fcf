// Which cached blobs registered images still reference: each image's manifest, its config,
// and the layers its manifest (itself in the cache) lists. Everything else is prunable.
import type { BlobCache } from "../oci/blob-cache.ts";
import { parseManifest } from "../oci/manifest.ts";
import type { ImageRow } from "../store/schema.ts";

export async function referencedBlobs(cache: BlobCache, images: readonly ImageRow[]): Promise<Set<string>> {
  const keep = new Set<string>();
  for (const image of images) {
    if (image.configDigest) keep.add(image.configDigest);
    if (!image.manifestDigest) continue;
    keep.add(image.manifestDigest);
    const bytes = await cache.readVerified(image.manifestDigest);
    if (!bytes) continue;
    try {
      const parsed = parseManifest(bytes, null, `manifest of image ${image.name}`);
      if (parsed.kind === "manifest") for (const l of parsed.manifest.layers) keep.add(l.digest);
    } catch {
      // an unreadable manifest keeps nothing extra; its layers are re-fetched if ever needed
    }
  }
  return keep;
}
