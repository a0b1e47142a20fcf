// Handlers for daemon.* and doctor.run.
import type { DaemonStatus } from "../api/daemon.ts";
import { BUILD } from "../build-info.ts";
import type { Paths } from "../config/paths.ts";
import { runDoctor, type Check } from "./doctor.ts";
import type { OperationRegistry } from "./ops.ts";
import type { Handlers } from "./server.ts";

export interface DaemonHandlerDeps {
  paths: Paths;
  ops: OperationRegistry;
  startedAt: number;
  dnsListener: () => string | null;
  doctorChecks: () => Check[];
  requestShutdown: () => void;
}

export function daemonHandlers(d: DaemonHandlerDeps): Handlers {
  const uptime = () => Math.round((Date.now() - d.startedAt) / 1000);
  return {
    "daemon.ping": async () => ({ build: BUILD, pid: process.pid, uptime_s: uptime() }),
    "daemon.status": async (): Promise<DaemonStatus> => ({
      build: BUILD,
      pid: process.pid,
      uptime_s: uptime(),
      socket: d.paths.socket,
      log_path: d.paths.daemonLog,
      state_dir: d.paths.roots.state,
      cache_dir: d.paths.roots.cache,
      config_path: d.paths.configFile,
      dns_listener: d.dnsListener(),
      operations_in_flight: d.ops.inFlight(),
    }),
    "daemon.operations.list": async (p) => ({ operations: d.ops.list(p.include_done) }),
    "daemon.shutdown": async () => {
      // Answer first, then stop: the caller waits for the process to exit.
      setTimeout(d.requestShutdown, 10);
      return { stopping: true as const };
    },
    "doctor.run": async (_p, ctx) => runDoctor(d.doctorChecks(), ctx.progress),
  };
}
