// vm gc: find host leftovers no VM owns (taps, NAT rules, VM dirs, DNS records,
// handles files) and remove them unless --dry-run.
import { existsSync, readdirSync, rmSync } from "node:fs";
import type { GcReport } from "../../api/vms.ts";
import { listVms } from "../../store/vms.ts";
import type { VmContext } from "./context.ts";

export async function gcVms(ctx: VmContext, dryRun: boolean): Promise<GcReport> {
  const d = ctx.deps;
  const rows = listVms(d.db);
  const ids = new Set(rows.map((r) => r.id));
  const running = rows.filter((r) => ctx.isRunning(r));
  const liveTaps = new Set(running.map((r) => ctx.handles.get(r.id)!.tap));
  const found: GcReport["found"] = [];
  const note = async (kind: GcReport["found"][number]["kind"], name: string, remove: () => Promise<void> | void) => {
    if (!dryRun) await remove();
    found.push({ kind, name, removed: !dryRun });
  };
  const audit = await d.network.audit();
  for (const tap of audit.taps) if (!liveTaps.has(tap)) await note("tap", tap, () => d.network.releaseTap(tap));
  const natOwners = new Set(running.filter((r) => r.nat).map((r) => r.id));
  for (const id of audit.natVmIds) if (!natOwners.has(id)) await note("nat_rule", id, () => d.network.removeNat(id));
  const runningNames = new Set(running.map((r) => r.name));
  for (const name of d.dns.names()) if (!runningNames.has(name)) await note("dns_record", name, () => d.dns.remove(name));
  if (existsSync(d.paths.vmsDir)) {
    for (const entry of readdirSync(d.paths.vmsDir)) {
      const dir = d.paths.vmDir(entry);
      if (!ids.has(entry)) await note("vm_dir", dir, () => rmSync(dir, { recursive: true, force: true }));
      else if (!running.some((r) => r.id === entry) && existsSync(ctx.handles.file(entry))) {
        await note("handles_file", ctx.handles.file(entry), () => ctx.handles.delete(entry));
      }
    }
  }
  return { dry_run: dryRun, found };
}
