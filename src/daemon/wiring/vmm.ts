// VmmPort over a real VMM driver: socket paths from Paths, the agent client over the
// driver's agent channel, and handle validation on every use.
import type { Paths } from "../../config/paths.ts";
import { AgentClient } from "../../guest/agent-client.ts";
import type { Logger } from "../../log.ts";
import type { VmmDriver, VmmHandle } from "../../vmm/driver.ts";
import type { AgentApi, LaunchRequest, VmmPort } from "../vms/ports.ts";

export function vmmPort(driver: VmmDriver, paths: Paths, log: Logger): VmmPort {
  const h = (raw: unknown) => raw as VmmHandle;
  const agent = (raw: unknown): AgentApi => {
    const client = new AgentClient((ms) => driver.connectAgent(h(raw), ms));
    return {
      healthz: async (ms) => ({ ...(await client.healthz(ms)) }),
      ports: async () =>
        (await client.ports()).map((p) => ({
          proto: p.proto, address: p.address, port: p.port, pid: p.pid, process: p.process, cmdline: p.cmdline,
        })),
      sysinfo: async () => ({ ...(await client.sysinfo()) }),
    };
  };
  return {
    name: driver.info.name,
    launch: (req: LaunchRequest) =>
      driver.launch({
        vmId: req.vmId, vcpu: req.vcpu, memoryMib: req.memoryMib, kernel: req.boot, cmdline: req.cmdline,
        rootDisk: req.rootDisk, workDisk: req.workDisk, tap: req.tap, mac: req.mac, guestCid: req.guestCid,
        sockets: {
          api: paths.vmSocket(req.vmId, "api"),
          qmp: paths.vmSocket(req.vmId, "qmp"),
          agent: paths.vmSocket(req.vmId, "agent"),
          vsock: paths.vmSocket(req.vmId, "vsock"),
        },
        logPath: req.logPath,
        consoleLogPath: req.consoleLogPath,
      }),
    isAlive: (raw) => driver.attach(raw) !== null && driver.isAlive(h(raw)),
    pid: (raw) => h(raw).pid,
    agent,
    stop: async (raw, timeoutMs) => {
      const r = await driver.stop(h(raw), { timeoutMs, log });
      return { forced: r.forced };
    },
    kill: (raw, signal) => driver.kill(h(raw), signal as NodeJS.Signals),
    processStats: (raw) => driver.stats(h(raw)),
    available: async () => {
      const a = await driver.available();
      return { ok: a.ok, reason: a.reason };
    },
  };
}
