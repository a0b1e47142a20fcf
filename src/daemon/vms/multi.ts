// Multi-ref commands (F61): resolve every ref against ONE snapshot, dedupe, run the
// valid targets concurrently under their per-VM locks, report in first-seen order.
import type { TargetResult, VmInfo } from "../../api/vms.ts";
import { refError, resolveRef } from "../../store/refs.ts";
import type { VmRow } from "../../store/schema.ts";
import { getVm, listVms } from "../../store/vms.ts";
import type { VmContext } from "./context.ts";

export async function forEachVm(
  ctx: VmContext,
  refs: string[],
  action: (row: VmRow) => Promise<VmInfo | null>,
): Promise<{ results: TargetResult[] }> {
  const snapshot = listVms(ctx.deps.db);
  const seen = new Set<string>();
  const jobs: Promise<TargetResult>[] = [];
  for (const ref of refs) {
    const r = resolveRef(snapshot, ref);
    if (r.kind !== "found") {
      jobs.push(Promise.resolve({ ref, ok: false, error: refError(r, "VM").message }));
      continue;
    }
    if (seen.has(r.item.id)) continue;
    seen.add(r.item.id);
    jobs.push(
      ctx.locks.run(r.item.id, async () => {
        // Re-read under the lock: an earlier queued operation may have changed the row.
        const row = getVm(ctx.deps.db, r.item.id);
        if (!row) return { ref, ok: false, error: `VM ${r.item.name} was deleted meanwhile` };
        const vm = await action(row);
        return { ref, ok: true, ...(vm ? { vm } : {}) };
      }).catch((err: Error) => ({ ref, ok: false, error: err.message })),
    );
  }
  return { results: await Promise.all(jobs) };
}
