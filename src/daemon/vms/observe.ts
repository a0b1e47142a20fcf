// Read-side operations on one VM: logs, stats, health, ports, ssh info.
import { existsSync, readFileSync } from "node:fs";
import { BangerError } from "../../api/errors.ts";
import type { PortInfo, VmStats } from "../../api/vms.ts";
import type { VmRow } from "../../store/schema.ts";
import { vmFiles, type VmContext } from "./context.ts";
import { describePorts } from "./ports-probe.ts";

export function vmLogs(ctx: VmContext, row: VmRow, lines: number, consoleLog: boolean): { path: string; text: string } {
  const files = vmFiles(ctx.deps.paths.vmDir(row.id));
  const path = consoleLog ? files.console : files.log;
  if (!existsSync(path)) return { path, text: "" };
  const all = readFileSync(path, "utf8").split("\n");
  return { path, text: all.slice(-lines - 1).join("\n") };
}

function runningHandle(ctx: VmContext, row: VmRow) {
  const h = ctx.handles.get(row.id);
  if (!h || !ctx.isRunning(row)) throw new BangerError("conflict", `${row.name} is not running`);
  return h;
}

export async function vmHealth(ctx: VmContext, row: VmRow) {
  try {
    const h = runningHandle(ctx, row);
    const agent = await ctx.driverOf(row).agent(h.vmm).healthz(5000);
    return { vm: row.name, healthy: true, agent, error: null };
  } catch (err) {
    return { vm: row.name, healthy: false, agent: null, error: (err as Error).message };
  }
}

export async function vmPorts(ctx: VmContext, row: VmRow): Promise<{ vm: string; ports: PortInfo[] }> {
  const h = runningHandle(ctx, row);
  const sockets = await ctx.driverOf(row).agent(h.vmm).ports();
  return { vm: row.name, ports: await describePorts(sockets, row.name, h.ip) };
}

export async function vmStats(ctx: VmContext, row: VmRow): Promise<VmStats> {
  const base: VmStats = {
    id: row.id, name: row.name, state: ctx.state(row), cpu_percent: null, vmm_rss_bytes: null,
    guest_mem_total_bytes: null, guest_mem_used_bytes: null, disk_root_used_bytes: null,
    disk_root_total_bytes: null, disk_work_used_bytes: null, disk_work_total_bytes: null, load1: null,
  };
  const h = ctx.handles.get(row.id);
  if (!h || !ctx.isRunning(row)) return base;
  const proc = ctx.driverOf(row).processStats(h.vmm);
  if (proc) {
    base.vmm_rss_bytes = proc.rssBytes;
    const now = performance.now();
    const prev = ctx.cpuSamples.get(row.id);
    // CPU% over the interval since the last sample (first sample: since VMM start).
    const startedMs = Date.parse(h.started_at);
    const [dt, dc] = prev ? [now - prev.at, proc.cpuSeconds - prev.cpu] : [Date.now() - startedMs, proc.cpuSeconds];
    base.cpu_percent = dt > 0 ? Math.round((dc * 1000 * 1000) / dt) / 10 : null;
    ctx.cpuSamples.set(row.id, { at: now, cpu: proc.cpuSeconds });
  }
  const info = await ctx.driverOf(row).agent(h.vmm).sysinfo().catch(() => null);
  if (info) Object.assign(base, sysinfoFields(info));
  return base;
}

/** Map the agent's /sysinfo JSON onto the stats fields, tolerating missing parts. */
export function sysinfoFields(s: Record<string, any>): Partial<VmStats> {
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const total = num(s.memory?.total_bytes);
  const avail = num(s.memory?.available_bytes);
  const disks: any[] = Array.isArray(s.disks) ? s.disks : [];
  const disk = (path: string) => disks.find((d) => d?.path === path);
  const root = disk("/");
  const work = disk("/root");
  return {
    guest_mem_total_bytes: total,
    guest_mem_used_bytes: total !== null && avail !== null ? total - avail : null,
    disk_root_used_bytes: num(root?.used_bytes), disk_root_total_bytes: num(root?.total_bytes),
    disk_work_used_bytes: num(work?.used_bytes), disk_work_total_bytes: num(work?.total_bytes),
    load1: num(s.load?.["1m"]),
  };
}
