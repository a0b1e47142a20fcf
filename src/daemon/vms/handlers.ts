// vm.* RPC handlers: resolve refs, take the per-VM lock, call the operation.
import { BangerError } from "../../api/errors.ts";
import { expectFound } from "../../store/refs.ts";
import type { VmRow } from "../../store/schema.ts";
import { findVm, listVms } from "../../store/vms.ts";
import type { Handlers } from "../server.ts";
import type { VmContext } from "./context.ts";
import { createVm } from "./create.ts";
import { gcVms } from "./gc.ts";
import { deleteOne, killOne, setOne, startOne, stopOne } from "./lifecycle.ts";
import { forEachVm } from "./multi.ts";
import { vmHealth, vmLogs, vmPorts, vmStats } from "./observe.ts";

export function vmHandlers(ctx: VmContext): Handlers {
  const one = (ref: string): VmRow => expectFound(findVm(ctx.deps.db, ref), "VM");
  return {
    "vm.create": (p, c) => createVm(ctx, p, c.progress),
    "vm.start": (p, c) => forEachVm(ctx, p.refs, (row) => startOne(ctx, row, c.progress)),
    "vm.stop": (p, c) => forEachVm(ctx, p.refs, (row) => stopOne(ctx, row, c.progress, p.timeout_s && p.timeout_s * 1000)),
    "vm.restart": (p, c) =>
      forEachVm(ctx, p.refs, async (row) => {
        await stopOne(ctx, row, c.progress);
        return startOne(ctx, row, c.progress);
      }),
    "vm.kill": async (p) => forEachVm(ctx, p.refs, async (row) => killOne(ctx, row, p.signal)),
    "vm.delete": (p, c) => forEachVm(ctx, p.refs, (row) => deleteOne(ctx, row, c.progress, p.force)),
    "vm.set": async (p) => forEachVm(ctx, p.refs, (row) => setOne(ctx, row, p)),
    "vm.list": async (p) => {
      const vms = listVms(ctx.deps.db).map((row) => ctx.info(row));
      return { vms: p.all ? vms : vms.filter((v) => v.state !== "stopped") };
    },
    "vm.show": async (p) => {
      const row = one(p.ref);
      const detail = await ctx.driverOf(row).available();
      return { ...ctx.info(row), vmm_detail: detail.reason };
    },
    "vm.logs": async (p) => vmLogs(ctx, one(p.ref), p.lines, p.console),
    "vm.stats": async (p) => {
      const rows = p.refs.length ? p.refs.map(one) : listVms(ctx.deps.db).filter((r) => ctx.isRunning(r));
      return { stats: await Promise.all(rows.map((r) => vmStats(ctx, r))) };
    },
    "vm.health": async (p) => vmHealth(ctx, one(p.ref)),
    "vm.ports": async (p) => vmPorts(ctx, one(p.ref)),
    "vm.ssh_info": async (p) => {
      const row = one(p.ref);
      const vm = ctx.info(row);
      if (!vm.ip) throw new BangerError("conflict", `${row.name} has no IP`);
      await ctx.deps.ssh.publicKey(); // make sure the key pair exists
      return { vm, user: "root", host: vm.ip, key_path: ctx.deps.ssh.keyPath(), known_hosts: ctx.deps.ssh.knownHostsPath() };
    },
    "vm.gc": async (p) => gcVms(ctx, p.dry_run),
  };
}
