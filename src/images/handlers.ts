// image.* RPC handlers: thin adapters from validated params to the image service.
import type { Handlers } from "../daemon/server.ts";
import type { ImageService } from "./service.ts";
import { imageInfo } from "./view.ts";

export function imageHandlers(images: ImageService): Handlers {
  return {
    "image.list": async () => ({ images: images.list().map(imageInfo) }),
    "image.show": async (p) => imageInfo(images.show(p.ref)),
    "image.delete": async (p) => {
      const row = await images.delete(p.ref);
      return { deleted: { id: row.id, name: row.name } };
    },
    "image.pull": async (p, ctx) =>
      imageInfo(await images.pull(p.ref, { name: p.name, sizeBytes: p.size_bytes, kernel: p.kernel }, ctx.progress)),
    "image.import": async (p, ctx) =>
      imageInfo(await images.import(p.path, { name: p.name, sizeBytes: p.size_bytes, kernel: p.kernel }, ctx.progress)),
    "image.register": async (p, ctx) =>
      imageInfo(
        await images.register(
          { name: p.name, rootfs: p.rootfs, kernelRef: p.kernel_ref, kernel: p.kernel, initrd: p.initrd, modules: p.modules },
          ctx.progress,
        ),
      ),
    "image.catalog": () => images.catalog(),
    "image.cache.prune": (p) => images.pruneCache(p.dry_run),
  };
}
