// Boot a VM whose disks exist (create and start share this): network, VMM launch,
// agent and ssh readiness, DNS. A failure unwinds every step it took, newest first.
import { mkdirSync } from "node:fs";
import { BangerError } from "../../api/errors.ts";
import type { ProgressSink } from "../../api/progress.ts";
import { getImage } from "../../store/images.ts";
import { getIpForVm } from "../../store/ips.ts";
import type { VmRow } from "../../store/schema.ts";
import { updateVm } from "../../store/vms.ts";
import { nowIso } from "../../store/ids.ts";
import { CleanupStack } from "../../util/cleanup-stack.ts";
import { vmFiles, type VmContext } from "./context.ts";
import { waitForAgent, waitForSsh } from "./readiness.ts";
import type { StageClock } from "./timed.ts";

export async function bootVm(ctx: VmContext, row: VmRow, clock: StageClock, sink: ProgressSink): Promise<void> {
  const d = ctx.deps;
  const ip = getIpForVm(d.db, row.id);
  if (!ip) throw new BangerError("internal", `${row.name} has no IP allocation`);
  const dir = d.paths.vmDir(row.id);
  const files = vmFiles(dir);
  const driver = ctx.driverOf(row);
  const stack = new CleanupStack();
  const log = d.log.child({ vm: row.name });
  try {
    const image = getImage(d.db, row.imageId);
    if (!image) throw new BangerError("not_found", `image ${row.imageId} of ${row.name} no longer exists`);
    const boot = await clock.run("resolve_kernel", "resolving kernel", () => d.images.bootFiles(image, sink));
    const tap = await clock.run("network", `network: tap on ${d.network.bridge}${row.nat ? " + NAT" : ""}`, async () => {
      await d.network.ensureBridge();
      const t = await d.network.acquireTap(row.id);
      stack.push(`release tap ${t}`, () => d.network.releaseTap(t));
      if (row.nat) {
        await d.network.addNat(row.id, ip);
        stack.push("remove NAT rules", () => d.network.removeNat(row.id));
      }
      return t;
    }, (t) => t);
    mkdirSync(d.paths.vmRuntimeDir(row.id), { recursive: true, mode: 0o700 });
    const cmdline = d.guestCmdline({ ip, prefix: d.network.prefix, gateway: d.network.gateway, hostname: row.name });
    const handle = await clock.run("launch_vmm", `launching ${driver.name}`, () =>
      driver.launch({
        vmId: row.id, name: row.name, vcpu: row.vcpu, memoryMib: row.memoryMib, boot, cmdline,
        rootDisk: files.root, workDisk: files.work, tap, mac: row.mac, guestCid: row.guestCid,
        vmDir: dir, logPath: files.log, consoleLogPath: files.console,
      }),
    );
    stack.push("kill the VMM", () => driver.kill(handle, "KILL"));
    ctx.handles.set(row.id, { driver: driver.name, vmm: handle, tap, ip, nat: row.nat, started_at: nowIso() });
    stack.push("drop handles", () => ctx.handles.delete(row.id));
    const deadline = Date.now() + d.bootTimeoutMs;
    await clock.run("wait_agent", "waiting for the guest agent (/healthz)", () => waitForAgent(driver, handle, deadline, files.console));
    await clock.run("wait_ssh", `waiting for sshd on ${ip}:22`, () => waitForSsh(ip, deadline, () => driver.isAlive(handle), files.console));
    d.dns.set(row.name, ip, row.id);
    updateVm(d.db, row.id, { desiredState: "running", lastStartedAt: nowIso(), lastError: null });
    stack.commit();
    log.info("vm booted", { ip, tap, timings: clock.timings });
  } catch (err) {
    await stack.unwind(log);
    updateVm(d.db, row.id, { lastError: (err as Error).message });
    throw err;
  }
}
