// Firecracker on x86 keeps running after the guest powers off ("the guest has no way of
// requesting a power-off", FAQ). A stop that asked the guest to shut down must notice
// that state and kill the process instead of waiting out the whole grace window.
// Halted = the agent no longer answers AND the VMM burns no CPU for two probes in a row:
// the agent alone is not enough (it dies early in a systemd shutdown while the guest
// is still syncing disks), and idle alone is not either (an idle guest is idle).
import type { ByteStream } from "../byte-stream.ts";
import type { VmmHandle } from "../driver.ts";
import { procStat } from "../process.ts";

/** CPU seconds per wall second under which the VMM counts as idle (halted vCPUs). */
const IDLE_CPU_RATIO = 0.02;

export interface HaltProbe {
  connect(timeoutMs: number): Promise<ByteStream>;
  cpuSeconds(): number | null;
  now(): number;
}

export function processCpu(handle: VmmHandle): () => number | null {
  return () => procStat(handle.pid)?.cpuSeconds ?? null;
}

/**
 * A `halted()` check for runStagedStop. It probes at most every `intervalMs` (the stop
 * loop polls faster) and answers true after two consecutive "agent gone + idle" probes.
 */
export function haltDetector(probe: HaltProbe, intervalMs = 1000): () => Promise<boolean> {
  let lastAt = 0;
  let lastCpu: number | null = null;
  let strikes = 0;
  return async () => {
    const now = probe.now();
    if (now - lastAt < intervalMs) return false;
    const cpu = probe.cpuSeconds();
    const idle = cpu !== null && lastCpu !== null && (cpu - lastCpu) / Math.max(0.001, (now - lastAt) / 1000) < IDLE_CPU_RATIO;
    lastAt = now;
    lastCpu = cpu;
    let agentGone = false;
    try {
      (await probe.connect(Math.min(500, intervalMs))).close();
    } catch {
      agentGone = true;
    }
    strikes = agentGone && idle ? strikes + 1 : 0;
    return strikes >= 2;
  };
}
