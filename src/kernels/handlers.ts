// kernel.* RPC handlers: thin adapters from validated params to the kernel service.
import type { Handlers } from "../daemon/server.ts";
import type { KernelService } from "./service.ts";

export function kernelHandlers(kernels: KernelService): Handlers {
  return {
    "kernel.list": (p) => kernels.list(p.available),
    "kernel.show": async (p) => kernels.show(p.name),
    "kernel.rm": (p) => kernels.rm(p.name),
    "kernel.import": (p, ctx) => kernels.import(p.name, p.from, { force: p.force, sink: ctx.progress }),
    "kernel.pull": (p, ctx) => kernels.pull(p.name, { force: p.force, sink: ctx.progress }),
  };
}
