// ImagesPort for the VM service: find the image a VM asks for (pulling the default or a
// catalog image when it is not local, F47), and the kernel files it boots with (pulling
// a missing catalog kernel, F51).
import { BangerError } from "../../api/errors.ts";
import type { ProgressSink } from "../../api/progress.ts";
import type { KernelProvider } from "../../kernels/service.ts";
import type { Db } from "../../store/db.ts";
import { findImage } from "../../store/images.ts";
import type { ImageRow } from "../../store/schema.ts";
import type { BootFiles, ImagesPort } from "../vms/ports.ts";

/** Pulls an image by catalog name or registry ref and registers it. */
export type ImagePuller = (ref: string, sink: ProgressSink) => Promise<ImageRow>;

export function imagesPort(db: Db, kernels: KernelProvider, defaultImage: string, pull: ImagePuller): ImagesPort {
  return {
    async resolveForVm(ref, sink) {
      const wanted = ref ?? defaultImage;
      const found = findImage(db, wanted);
      if (found.kind === "found") return found.item;
      if (found.kind === "ambiguous") throw new BangerError("ambiguous", `image "${wanted}" matches several images; use a longer id`);
      sink.stage("pull_image", `image ${wanted} is not local: pulling it`);
      try {
        return await pull(wanted, sink);
      } catch (err) {
        const e = err as BangerError;
        throw new BangerError(e.code ?? "not_found", `image "${wanted}" is not local and could not be pulled: ${e.message}`, e.details);
      }
    },
    async bootFiles(image, sink): Promise<BootFiles> {
      if (image.kernelName) {
        const k = await kernels.ensureKernel(image.kernelName, sink);
        return { vmlinux: k.vmlinux, ...(k.vmlinuz ? { vmlinuz: k.vmlinuz } : {}), ...(k.initrd ? { initrd: k.initrd } : {}) };
      }
      if (image.kernelPath) {
        return { vmlinux: image.kernelPath, vmlinuz: image.kernelPath, ...(image.initrdPath ? { initrd: image.initrdPath } : {}) };
      }
      throw new BangerError("precondition", `image ${image.name} has no kernel; re-register it with --kernel-ref or --kernel`);
    },
  };
}
