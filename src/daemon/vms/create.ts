// vm create (F63): staged, streamed, timed. resolve image (auto-pull) -> allocate
// identity/IP -> root disk clone -> work disk -> boot. A failure unwinds all of it.
import { mkdirSync, rmSync } from "node:fs";
import { BangerError } from "../../api/errors.ts";
import type { ParsedParams } from "../../api/methods.ts";
import type { ProgressSink } from "../../api/progress.ts";
import type { CreateResult } from "../../api/vms.ts";
import { formatSpec as formatSizes } from "../../config/vm-defaults.ts";
import { cloneDisk } from "../../disk/clone.ts";
import { allocateIp } from "../../store/ips.ts";
import { deleteVm, getVm, getVmByName, insertVm } from "../../store/vms.ts";
import { CleanupStack } from "../../util/cleanup-stack.ts";
import { bootVm } from "./boot.ts";
import { vmFiles, type VmContext, type VmSizes } from "./context.ts";
import { generateName } from "./names.ts";
import { StageClock } from "./timed.ts";

export function formatSpec(s: VmSizes): string {
  return formatSizes({ vcpu: s.vcpu, memoryMib: s.memory_mib, diskSizeBytes: s.disk_size_bytes });
}

export async function createVm(ctx: VmContext, p: ParsedParams<"vm.create">, sink: ProgressSink): Promise<CreateResult> {
  const d = ctx.deps;
  const defaults = d.vmDefaults();
  const sizes: VmSizes = {
    vcpu: p.vcpu ?? defaults.vcpu,
    memory_mib: p.memory_mib ?? defaults.memory_mib,
    disk_size_bytes: p.disk_size_bytes ?? defaults.disk_size_bytes,
  };
  if (p.name && getVmByName(d.db, p.name)) throw new BangerError("conflict", `a VM named "${p.name}" already exists`);
  const { driver, reason } = await d.selectDriver(p.vmm ?? d.defaultVmm);
  sink.notice("info", `${formatSpec(sizes)} · ${driver.name}`);
  d.log.info("vmm selected", { vmm: driver.name, reason });
  const clock = new StageClock(sink);
  const image = await clock.run("resolve_image", "resolving image", () => d.images.resolveForVm(p.image, sink), (i) => i.name);
  const stack = new CleanupStack();
  try {
    const row = insertVm(d.db, {
      name: p.name ?? generateName((n) => getVmByName(d.db, n) !== undefined),
      imageId: image.id, vmm: driver.name, vcpu: sizes.vcpu, memoryMib: sizes.memory_mib,
      diskSizeBytes: sizes.disk_size_bytes, nat: p.nat,
    });
    stack.push("delete the VM record", () => void deleteVm(d.db, row.id));
    const ip = allocateIp(d.db, row.id, d.network.subnet, [d.network.gateway]);
    const dir = d.paths.vmDir(row.id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    stack.push("remove the VM dir", () => rmSync(dir, { recursive: true, force: true }));
    const files = vmFiles(dir);
    await clock.run("root_disk", "cloning the root disk", () => cloneDisk(image.rootfsPath, files.root), (r) => r.strategy);
    await clock.run("work_disk", "preparing the work disk", async () =>
      d.prepareWorkDisk(
        { seed: image.workSeedPath, target: files.work, sizeBytes: sizes.disk_size_bytes, authorizedKey: await d.ssh.publicKey() },
        (msg) => sink.notice("warn", msg),
      ),
    );
    if (!p.no_start) {
      await ctx.locks.run(row.id, async () => {
        ctx.transitions.set(row.id, "starting");
        try {
          await bootVm(ctx, row, clock, sink);
        } finally {
          ctx.transitions.delete(row.id);
        }
      });
    }
    stack.commit();
    sink.stage("ready", `${row.name} ready at ${ip}`);
    d.log.info("vm created", { vm: row.name, id: row.id, timings: clock.timings, total_ms: clock.total() });
    return { vm: ctx.info(getVm(d.db, row.id)!), timings: clock.timings, spec: formatSpec(sizes) };
  } catch (err) {
    await stack.unwind(d.log);
    throw err;
  }
}
