// Store rows -> the API's ImageInfo (snake_case, stable `--json` field names).
import type { ImageInfo } from "../api/images.ts";
import type { ImageRow } from "../store/schema.ts";

export function imageInfo(row: ImageRow): ImageInfo {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    ref: row.ref,
    manifest_digest: row.manifestDigest,
    config_digest: row.configDigest,
    rootfs_path: row.rootfsPath,
    rootfs_size_bytes: row.rootfsSizeBytes,
    work_seed_path: row.workSeedPath,
    kernel_name: row.kernelName,
    kernel_path: row.kernelPath,
    initrd_path: row.initrdPath,
    modules_path: row.modulesPath,
    os_id: row.osId,
    os_like: row.osLike,
    created_at: row.createdAt,
  };
}
