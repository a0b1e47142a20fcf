// Startup reconcile (F21): re-adopt VMs whose VMM still runs (from handles.json), demote
// the rest to stopped and give back whatever host resources they held.
import { listVms, updateVm } from "../../store/vms.ts";
import type { VmContext } from "./context.ts";
import { releaseHost } from "./teardown.ts";

export interface ReconcileReport {
  adopted: string[];
  demoted: string[];
}

export async function reconcile(ctx: VmContext): Promise<ReconcileReport> {
  const d = ctx.deps;
  const report: ReconcileReport = { adopted: [], demoted: [] };
  for (const row of listVms(d.db)) {
    const h = ctx.handles.readFile(row.id);
    if (h && ctx.driverOf(row).isAlive(h.vmm)) {
      ctx.handles.adopt(row.id, h);
      d.dns.set(row.name, h.ip, row.id);
      report.adopted.push(row.name);
      continue;
    }
    if (h || row.desiredState === "running") {
      await releaseHost(ctx, row);
      updateVm(d.db, row.id, {
        desiredState: "stopped",
        lastError: h ? "the VMM process was gone when the daemon started; demoted to stopped" : row.lastError,
      });
      report.demoted.push(row.name);
    }
  }
  d.log.info("reconcile done", { ...report });
  return report;
}
