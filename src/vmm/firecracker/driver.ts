// Firecracker driver: spawn `firecracker --api-sock S --id ID`, wait for its API,
// configure the VM over REST (requests.ts), InstanceStart. The agent is reached over
// hybrid vsock; stop = agent /shutdown -> SendCtrlAltDel -> SIGKILL, with guest-halt
// detection because Firecracker on x86 survives a guest poweroff.
import { AGENT_VSOCK_PORT } from "../../api/guest.ts";
import { BangerError } from "../../api/errors.ts";
import { AgentClient } from "../../guest/agent-client.ts";
import { type Logger, silentLogger } from "../../log.ts";
import type { ByteStream } from "../byte-stream.ts";
import type { Availability, DriverInfo, LaunchSpec, ProcessStats, StopOptions, StopResult, VmmDriver, VmmHandle } from "../driver.ts";
import { attachHandle } from "../handle.ts";
import type { KvmStatus } from "../kvm-probe.ts";
import { checkSpec, earlyExitError, removeStale, resolveBinary, touch } from "../launch-util.ts";
import { isVmmAlive, signalVmm, spawnVmm, type SpawnedVmm, vmmStats } from "../process.ts";
import { runStagedStop, type Stage } from "../staged-stop.ts";
import { FirecrackerApi } from "./api.ts";
import { haltDetector, processCpu } from "./halt.ts";
import { configureRequests, firecrackerArgv, firecrackerId, INSTANCE_START, SEND_CTRL_ALT_DEL } from "./requests.ts";
import { connectHybridVsock } from "./vsock.ts";

const INSTALL_HINT = "install Firecracker (https://github.com/firecracker-microvm/firecracker/releases) or set firecracker_bin";
const API_READY_TIMEOUT_MS = 10_000;

export interface FirecrackerOptions {
  binary: string;
  kvm: () => Promise<KvmStatus>;
  log?: Logger;
}

export class FirecrackerDriver implements VmmDriver {
  readonly info: DriverInfo;
  private readonly log: Logger;

  constructor(private readonly opts: FirecrackerOptions) {
    this.log = (opts.log ?? silentLogger).child({ vmm: "firecracker" });
    this.info = {
      name: "firecracker",
      binary: opts.binary,
      features: {
        agentTransport: "hybrid-vsock",
        gracefulStop: "ctrl-alt-del",
        needsElfKernel: true,
        guestPoweroff: "reboot",
        concurrentAgentConnections: true,
      },
    };
  }

  async available(): Promise<Availability> {
    const binaryPath = Bun.which(this.opts.binary) ?? undefined;
    const kvm = await this.opts.kvm();
    if (!binaryPath) return { ok: false, reason: `${this.opts.binary} not found`, kvm: kvm.usable };
    if (!kvm.usable) return { ok: false, reason: kvm.reason, binaryPath, kvm: false };
    return { ok: true, reason: `${binaryPath} found and ${kvm.reason}`, binaryPath, kvm: true };
  }

  async launch(spec: LaunchSpec): Promise<VmmHandle> {
    checkSpec(spec, 32);
    const binary = resolveBinary(this.opts.binary, INSTALL_HINT);
    const log = this.log.child({ vm: spec.vmId });
    // Firecracker refuses to bind an existing API socket, and PUT /vsock an existing uds_path.
    removeStale([spec.sockets.api, spec.sockets.vsock]);
    touch(spec.logPath);
    const id = firecrackerId(spec.vmId);
    const argv = firecrackerArgv(binary, spec.sockets.api, id);
    const proc = spawnVmm(argv, spec.consoleLogPath, spec.consoleLogPath);
    const handle: VmmHandle = {
      driver: "firecracker", vmId: spec.vmId, pid: proc.pid, argv0: binary, marker: ["--id", id],
      sockets: { api: spec.sockets.api, vsock: spec.sockets.vsock },
      logPath: spec.logPath, consoleLogPath: spec.consoleLogPath, startedAt: new Date().toISOString(),
    };
    log.info("firecracker spawned", { pid: proc.pid, argv });
    try {
      const api = new FirecrackerApi(spec.sockets.api, spec.logPath);
      await waitForApi(api, proc, spec);
      for (const req of configureRequests(spec)) await api.send(req);
      await api.send(INSTANCE_START);
      log.info("firecracker instance started", { pid: proc.pid });
      return handle;
    } catch (err) {
      proc.kill("SIGKILL");
      await proc.exited;
      removeStale([spec.sockets.api, spec.sockets.vsock]);
      throw err;
    }
  }

  connectAgent(handle: VmmHandle, timeoutMs: number): Promise<ByteStream> {
    return connectHybridVsock(vsockPath(handle), AGENT_VSOCK_PORT, timeoutMs);
  }

  async stop(handle: VmmHandle, opts: StopOptions): Promise<StopResult> {
    const log = (opts.log ?? this.log).child({ vm: handle.vmId, pid: handle.pid });
    const agent = new AgentClient((ms) => this.connectAgent(handle, ms));
    const api = new FirecrackerApi(handle.sockets.api ?? "", handle.logPath);
    const stages: Stage[] = [
      {
        stage: "agent-shutdown", what: "agent POST /shutdown", forced: false,
        request: async (left) => void (await agent.shutdown(Math.max(500, Math.min(3000, left / 4)))),
        waitMs: (left) => left / 2,
      },
      {
        stage: "ctrl-alt-del", what: "SendCtrlAltDel", forced: false,
        request: async () => void (await api.send(SEND_CTRL_ALT_DEL, 3000)),
        waitMs: (left) => left,
      },
    ];
    const halted = haltDetector({ connect: (ms) => this.connectAgent(handle, ms), cpuSeconds: processCpu(handle), now: Date.now });
    return runStagedStop({
      handle, timeoutMs: opts.timeoutMs, stages, halted, log,
      cleanup: () => removeStale([handle.sockets.api, handle.sockets.vsock]),
    });
  }

  kill(handle: VmmHandle, signal: NodeJS.Signals = "SIGKILL"): void {
    signalVmm(handle, signal);
  }

  isAlive(handle: VmmHandle): boolean {
    return isVmmAlive(handle);
  }

  attach(raw: unknown): VmmHandle | null {
    return attachHandle(raw, "firecracker");
  }

  stats(handle: VmmHandle): ProcessStats | null {
    return vmmStats(handle);
  }
}

function vsockPath(handle: VmmHandle): string {
  if (!handle.sockets.vsock) throw new BangerError("internal", `firecracker handle of ${handle.vmId} has no vsock socket`);
  return handle.sockets.vsock;
}

/** Poll GET / until the API answers "Not started"; fail fast when the process dies. */
async function waitForApi(api: FirecrackerApi, proc: SpawnedVmm, spec: LaunchSpec): Promise<void> {
  const state: { exit?: number | null } = {};
  void proc.exited.then((c) => (state.exit = c));
  const deadline = Date.now() + API_READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    if ("exit" in state) throw earlyExitError("firecracker", state.exit ?? null, [spec.consoleLogPath, spec.logPath]);
    try {
      const info = await api.describe(500);
      if (info.state === "Not started") return;
      last = `unexpected state ${JSON.stringify(info.state)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await Bun.sleep(20);
  }
  if ("exit" in state) throw earlyExitError("firecracker", state.exit ?? null, [spec.consoleLogPath, spec.logPath]);
  throw new BangerError("unavailable", `firecracker API on ${spec.sockets.api} not ready in ${API_READY_TIMEOUT_MS} ms (${last}); see ${spec.consoleLogPath}`, {
    log_path: spec.consoleLogPath,
  });
}
