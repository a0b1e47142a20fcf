// QEMU microvm driver: KVM when it really works (kvm-probe.ts), else TCG. Launch spawns
// QEMU (argv.ts) and waits until QMP answers query-status; the agent is on a virtio-serial
// port; stop = agent /shutdown -> QMP system_powerdown -> QMP quit -> SIGKILL.
import { dirname, join } from "node:path";
import { BangerError } from "../../api/errors.ts";
import { AgentClient } from "../../guest/agent-client.ts";
import { hostTscKhz } from "../../guest/cmdline.ts";
import { type Logger, silentLogger } from "../../log.ts";
import type { ByteStream } from "../byte-stream.ts";
import type { Availability, DriverInfo, LaunchSpec, ProcessStats, StopOptions, StopResult, VmmDriver, VmmHandle } from "../driver.ts";
import { attachHandle } from "../handle.ts";
import type { KvmStatus } from "../kvm-probe.ts";
import { checkSpec, earlyExitError, removeStale, resolveBinary, touch } from "../launch-util.ts";
import { isVmmAlive, signalVmm, spawnVmm, type SpawnedVmm, vmmStats } from "../process.ts";
import { runStagedStop, type Stage } from "../staged-stop.ts";
import { type Accel, qemuArgv, qemuKernelArgs, qemuName } from "./argv.ts";
import { QmpClient } from "./qmp.ts";
import { connectSerialChannel } from "./serial-channel.ts";

const INSTALL_HINT = "install qemu-system-x86 (apt-get install qemu-system-x86) or set qemu_bin";
const QMP_READY_TIMEOUT_MS = 15_000;
/** After `quit` QEMU exits at once; this only covers a host under load. */
const QUIT_WAIT_MS = 3000;

export interface QemuOptions {
  binary: string;
  kvm: () => Promise<KvmStatus>;
  log?: Logger;
  /** Host TSC kHz for TCG guests (default: read from the host). */
  tscKhz?: () => number | null;
}

export class QemuDriver implements VmmDriver {
  readonly info: DriverInfo;
  private readonly log: Logger;

  constructor(private readonly opts: QemuOptions) {
    this.log = (opts.log ?? silentLogger).child({ vmm: "qemu" });
    this.info = {
      name: "qemu",
      binary: opts.binary,
      features: {
        agentTransport: "virtio-serial",
        gracefulStop: "acpi-powerdown",
        needsElfKernel: false,
        guestPoweroff: "poweroff",
        concurrentAgentConnections: false,
      },
    };
  }

  async available(): Promise<Availability> {
    const binaryPath = Bun.which(this.opts.binary) ?? undefined;
    const kvm = await this.opts.kvm();
    if (!binaryPath) return { ok: false, reason: `${this.opts.binary} not found`, kvm: kvm.usable };
    const accel = kvm.usable ? `KVM acceleration (${kvm.reason})` : `TCG software emulation (${kvm.reason})`;
    return { ok: true, reason: `${binaryPath} found; ${accel}`, binaryPath, kvm: kvm.usable };
  }

  async launch(spec: LaunchSpec): Promise<VmmHandle> {
    checkSpec(spec, 64);
    const binary = resolveBinary(this.opts.binary, INSTALL_HINT);
    const accel: Accel = (await this.opts.kvm()).usable ? "kvm" : "tcg";
    const log = this.log.child({ vm: spec.vmId });
    const pidFile = join(dirname(spec.sockets.qmp), "qemu.pid");
    removeStale([spec.sockets.qmp, spec.sockets.agent, pidFile]);
    touch(spec.logPath);
    touch(spec.consoleLogPath);
    const tscKhz = accel === "tcg" ? (this.opts.tscKhz ?? hostTscKhz)() : null;
    const argv = qemuArgv({
      binary, vmId: spec.vmId, accel, vcpu: spec.vcpu, memoryMib: spec.memoryMib,
      // QEMU boots a bzImage directly; an ELF vmlinux only when it carries a PVH note.
      kernel: spec.kernel.vmlinuz ?? spec.kernel.vmlinux, initrd: spec.kernel.initrd,
      append: qemuKernelArgs(spec.cmdline, accel, tscKhz),
      rootDisk: spec.rootDisk, workDisk: spec.workDisk, tap: spec.tap, mac: spec.mac,
      agentSock: spec.sockets.agent, qmpSock: spec.sockets.qmp, consoleLog: spec.consoleLogPath, pidFile,
    });
    const proc = spawnVmm(argv, spec.logPath, spec.logPath);
    log.info("qemu spawned", { pid: proc.pid, accel, argv });
    try {
      await waitForQmp(proc, spec);
    } catch (err) {
      proc.kill("SIGKILL");
      await proc.exited;
      removeStale([spec.sockets.qmp, spec.sockets.agent, pidFile]);
      throw err;
    }
    return {
      driver: "qemu", vmId: spec.vmId, pid: proc.pid, argv0: binary, marker: ["-name", qemuName(spec.vmId)],
      sockets: { qmp: spec.sockets.qmp, agent: spec.sockets.agent },
      logPath: spec.logPath, consoleLogPath: spec.consoleLogPath, startedAt: new Date().toISOString(),
    };
  }

  connectAgent(handle: VmmHandle, timeoutMs: number): Promise<ByteStream> {
    if (!handle.sockets.agent) throw new BangerError("internal", `qemu handle of ${handle.vmId} has no agent socket`);
    return connectSerialChannel(handle.sockets.agent, timeoutMs);
  }

  async stop(handle: VmmHandle, opts: StopOptions): Promise<StopResult> {
    const log = (opts.log ?? this.log).child({ vm: handle.vmId, pid: handle.pid });
    const agent = new AgentClient((ms) => this.connectAgent(handle, ms));
    const qmp = (command: string) => async () => {
      const c = await QmpClient.connect(handle.sockets.qmp ?? "", 2000);
      try {
        await c.execute(command, undefined, 2000);
      } finally {
        c.close();
      }
    };
    const stages: Stage[] = [
      {
        stage: "agent-shutdown", what: "agent POST /shutdown", forced: false,
        request: async (left) => void (await agent.shutdown(Math.max(500, Math.min(3000, left / 4)))),
        waitMs: (left) => left / 2,
      },
      { stage: "acpi-powerdown", what: "QMP system_powerdown", forced: false, request: qmp("system_powerdown"), waitMs: (left) => left },
      { stage: "qmp-quit", what: "QMP quit", forced: true, request: qmp("quit"), waitMs: () => QUIT_WAIT_MS },
    ];
    const pidFile = handle.sockets.qmp ? join(dirname(handle.sockets.qmp), "qemu.pid") : undefined;
    return runStagedStop({
      handle, timeoutMs: opts.timeoutMs, stages, log,
      cleanup: () => removeStale([handle.sockets.qmp, handle.sockets.agent, pidFile]),
    });
  }

  kill(handle: VmmHandle, signal: NodeJS.Signals = "SIGKILL"): void {
    signalVmm(handle, signal);
  }

  isAlive(handle: VmmHandle): boolean {
    return isVmmAlive(handle);
  }

  attach(raw: unknown): VmmHandle | null {
    return attachHandle(raw, "qemu");
  }

  stats(handle: VmmHandle): ProcessStats | null {
    return vmmStats(handle);
  }
}

/** Poll the QMP socket until query-status answers; fail fast when QEMU exits (bad disk, tap, kernel). */
async function waitForQmp(proc: SpawnedVmm, spec: LaunchSpec): Promise<void> {
  const state: { exit?: number | null } = {};
  void proc.exited.then((c) => (state.exit = c));
  const deadline = Date.now() + QMP_READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    if ("exit" in state) throw earlyExitError("qemu", state.exit ?? null, [spec.logPath, spec.consoleLogPath]);
    try {
      const c = await QmpClient.connect(spec.sockets.qmp, 1000);
      try {
        const status = await c.execute<{ status: string }>("query-status", undefined, 2000);
        if (status.status === "running") return;
        last = `status ${status.status}`;
      } finally {
        c.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await Bun.sleep(50);
  }
  if ("exit" in state) throw earlyExitError("qemu", state.exit ?? null, [spec.logPath, spec.consoleLogPath]);
  throw new BangerError("unavailable", `qemu QMP on ${spec.sockets.qmp} not ready in ${QMP_READY_TIMEOUT_MS} ms (${last}); see ${spec.logPath}`, {
    log_path: spec.logPath,
  });
}
