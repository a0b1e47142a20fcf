// start / stop / restart / kill / delete / set on VMs already resolved and locked.
import { rmSync } from "node:fs";
import { BangerError } from "../../api/errors.ts";
import type { ProgressSink } from "../../api/progress.ts";
import type { VmInfo } from "../../api/vms.ts";
import { growExt4 } from "../../disk/clone.ts";
import type { VmRow } from "../../store/schema.ts";
import { deleteVm, getVm, updateVm } from "../../store/vms.ts";
import { bootVm } from "./boot.ts";
import { vmFiles, type VmContext } from "./context.ts";
import { stopVm } from "./teardown.ts";
import { StageClock } from "./timed.ts";

export async function startOne(ctx: VmContext, row: VmRow, sink: ProgressSink): Promise<VmInfo> {
  if (ctx.isRunning(row)) return ctx.info(row);
  ctx.transitions.set(row.id, "starting");
  try {
    await bootVm(ctx, row, new StageClock(prefixed(sink, row.name)), sink);
  } finally {
    ctx.transitions.delete(row.id);
  }
  return ctx.info(getVm(ctx.deps.db, row.id)!);
}

export async function stopOne(ctx: VmContext, row: VmRow, sink: ProgressSink, timeoutMs?: number): Promise<VmInfo> {
  sink.stage("stop", `${row.name}: stopping`);
  ctx.transitions.set(row.id, "stopping");
  try {
    const { forced } = await stopVm(ctx, row, timeoutMs ?? ctx.deps.stopTimeoutMs);
    if (forced) sink.notice("warn", `${row.name} did not shut down in time and was killed`);
  } finally {
    ctx.transitions.delete(row.id);
  }
  return ctx.info(getVm(ctx.deps.db, row.id)!);
}

export function killOne(ctx: VmContext, row: VmRow, signal: string): VmInfo {
  const h = ctx.handles.get(row.id);
  if (!h || !ctx.isRunning(row)) throw new BangerError("conflict", `${row.name} is not running`);
  ctx.driverOf(row).kill(h.vmm, signal.startsWith("SIG") ? signal : `SIG${signal}`);
  return ctx.info(row);
}

export async function deleteOne(ctx: VmContext, row: VmRow, sink: ProgressSink, force: boolean): Promise<VmInfo> {
  const info = ctx.info(row);
  if (ctx.isRunning(row)) {
    if (!force) throw new BangerError("conflict", `${row.name} is running; stop it first or use --force`);
    await stopVm(ctx, row, 5_000);
  } else {
    await stopVm(ctx, row, 0); // releases anything a crashed VM left behind
  }
  sink.stage("delete", `${row.name}: deleting`);
  rmSync(ctx.deps.paths.vmDir(row.id), { recursive: true, force: true });
  rmSync(ctx.deps.paths.vmRuntimeDir(row.id), { recursive: true, force: true });
  deleteVm(ctx.deps.db, row.id); // the IP allocation goes with it (ON DELETE CASCADE)
  return { ...info, state: "stopped", ip: null, tap: null, pid: null };
}

export async function setOne(
  ctx: VmContext,
  row: VmRow,
  p: { vcpu?: number; memory_mib?: number; disk_size_bytes?: number },
): Promise<VmInfo> {
  const running = ctx.isRunning(row);
  if ((p.vcpu !== undefined || p.memory_mib !== undefined) && running) {
    throw new BangerError("conflict", `${row.name} is running; vcpu and memory change only while stopped`);
  }
  if (p.disk_size_bytes !== undefined) {
    if (p.disk_size_bytes < row.diskSizeBytes) throw new BangerError("usage", `the work disk can only grow (now ${row.diskSizeBytes} bytes)`);
    if (running) throw new BangerError("conflict", `${row.name} is running; stop it to grow the work disk`);
    await growExt4(vmFiles(ctx.deps.paths.vmDir(row.id)).work, p.disk_size_bytes);
  }
  updateVm(ctx.deps.db, row.id, {
    ...(p.vcpu !== undefined ? { vcpu: p.vcpu } : {}),
    ...(p.memory_mib !== undefined ? { memoryMib: p.memory_mib } : {}),
    ...(p.disk_size_bytes !== undefined ? { diskSizeBytes: p.disk_size_bytes } : {}),
  });
  return ctx.info(getVm(ctx.deps.db, row.id)!);
}

function prefixed(sink: ProgressSink, name: string): ProgressSink {
  return { ...sink, stage: (stage, message) => sink.stage(stage, `${name}: ${message}`) };
}
