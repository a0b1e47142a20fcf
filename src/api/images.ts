// image.* methods: pull/import/register images, list/show/delete them, prune the blob
// cache (F40-F47).
import * as v from "valibot";
import { method } from "./define.ts";

/** One registered image; stable field names (also `--json`). */
export interface ImageInfo {
  id: string;
  name: string;
  source: "pull" | "import" | "register";
  /** The pulled reference, the imported path, or null for `image register`. */
  ref: string | null;
  manifest_digest: string | null;
  config_digest: string | null;
  rootfs_path: string;
  rootfs_size_bytes: number;
  work_seed_path: string | null;
  /** A kernel of the local catalog ... */
  kernel_name: string | null;
  /** ... or explicit files (image register --kernel/--initrd/--modules). */
  kernel_path: string | null;
  initrd_path: string | null;
  modules_path: string | null;
  /** ID and ID_LIKE from the image's /etc/os-release. */
  os_id: string | null;
  os_like: string | null;
  created_at: string;
}

/** An entry of the embedded image catalog (or `image_catalog_url`). */
export interface ImageCatalogEntry {
  /** Friendly name, also the local image name it is pulled as. */
  name: string;
  ref: string;
  kernel: string;
  description?: string;
}

export interface ImageListResult {
  images: ImageInfo[];
}

export interface CachePruneResult {
  freed_bytes: number;
  blobs: number;
  /** The OCI blob cache directory. */
  dir: string;
  dry_run: boolean;
}

/** Letters, digits, `.`, `-`, `_`; starting with a letter or digit. */
export const IMAGE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const imageName = v.pipe(
  v.string(),
  v.regex(IMAGE_NAME_RE, "image names are 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit"),
);
const ref = v.pipe(v.string(), v.minLength(1, "an image name or id is required"));
const sizeBytes = v.pipe(v.number(), v.integer("must be a whole number of bytes"), v.minValue(1, "must be positive"));
const absPath = (what: string) => v.pipe(v.string(), v.startsWith("/", `${what} must be an absolute path`));
const kernelName = v.pipe(v.string(), v.minLength(1, "a kernel name is required"));

export const imageMethods = {
  "image.list": method(v.strictObject({}))<ImageListResult>(),
  "image.show": method(v.strictObject({ ref }))<ImageInfo>(),
  /** Refused (conflict) while a VM uses the image. */
  "image.delete": method(v.strictObject({ ref }))<{ deleted: { id: string; name: string } }>(),
  /** Registry reference or catalog name; streams resolve/download/flatten/inject/ext4/work_seed stages. */
  "image.pull": method(
    v.strictObject({
      ref: v.pipe(v.string(), v.minLength(1, "an image reference is required")),
      name: v.optional(imageName),
      size_bytes: v.optional(sizeBytes),
      kernel: v.optional(kernelName),
    }),
    { stream: true },
  )<ImageInfo>(),
  /** OCI layout dir, oci-archive tar or docker save tar. */
  "image.import": method(
    v.strictObject({ path: absPath("path"), name: v.optional(imageName), size_bytes: v.optional(sizeBytes), kernel: v.optional(kernelName) }),
    { stream: true },
  )<ImageInfo>(),
  /** An existing ext4 rootfs plus a catalog kernel (kernel_ref) or kernel files; the two are exclusive. */
  "image.register": method(
    v.strictObject({
      name: imageName,
      rootfs: absPath("rootfs"),
      kernel_ref: v.optional(kernelName),
      kernel: v.optional(absPath("kernel")),
      initrd: v.optional(absPath("initrd")),
      modules: v.optional(absPath("modules")),
    }),
    { stream: true },
  )<ImageInfo>(),
  "image.catalog": method(v.strictObject({}))<{ images: (ImageCatalogEntry & { local: boolean })[]; catalog_error: string | null }>(),
  "image.cache.prune": method(v.strictObject({ dry_run: v.optional(v.boolean(), false) }))<CachePruneResult>(),
};
