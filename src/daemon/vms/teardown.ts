// Stopping a VM and giving back everything it held on the host: tap, NAT rules, DNS
// record, handles file. Safe to call for a VM whose process is already gone.
import type { VmRow } from "../../store/schema.ts";
import { updateVm } from "../../store/vms.ts";
import type { VmContext } from "./context.ts";

export async function stopVm(ctx: VmContext, row: VmRow, timeoutMs: number): Promise<{ forced: boolean }> {
  const h = ctx.handles.get(row.id);
  const driver = ctx.driverOf(row);
  let forced = false;
  if (h && driver.isAlive(h.vmm)) forced = (await driver.stop(h.vmm, timeoutMs)).forced;
  await releaseHost(ctx, row);
  updateVm(ctx.deps.db, row.id, { desiredState: "stopped" });
  ctx.deps.log.info("vm stopped", { vm: row.name, forced });
  return { forced };
}

/** Release host resources of a VM that is not running (any more). */
export async function releaseHost(ctx: VmContext, row: VmRow): Promise<void> {
  const d = ctx.deps;
  const h = ctx.handles.get(row.id) ?? ctx.handles.readFile(row.id);
  d.dns.remove(row.name);
  const errors: string[] = [];
  if (h?.tap) await d.network.releaseTap(h.tap).catch((e) => errors.push(`tap ${h.tap}: ${e.message}`));
  if (h?.nat || row.nat) await d.network.removeNat(row.id).catch((e) => errors.push(`NAT: ${e.message}`));
  ctx.handles.delete(row.id);
  if (errors.length > 0) d.log.warn("host cleanup incomplete", { vm: row.name, errors });
}
