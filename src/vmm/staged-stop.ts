// Stop in stages (Lima shutdownQEMU): ask, wait, fall back to the next request, and
// SIGKILL at the end; every fallback is logged with why. Both drivers describe their
// stages and this runs them, so "never hangs" is implemented once.
import type { Logger } from "../log.ts";
import type { StopResult, StopStage, VmmHandle } from "./driver.ts";
import { isVmmAlive, signalVmm, waitGone } from "./process.ts";

export interface Stage {
  /** Reported in StopResult when this stage ends the VMM. */
  stage: StopStage;
  /** For the log, e.g. "agent POST /shutdown". */
  what: string;
  /** Send the request; throws when it could not be delivered (then the next stage runs at once). */
  request(remainingMs: number): Promise<void>;
  /** How long to wait for the VMM to go, given what is left of the grace window. */
  waitMs(remainingMs: number): number;
  /** True for stages past the graceful ones (the guest did not shut down by itself). */
  forced: boolean;
}

export interface StopPlan {
  handle: VmmHandle;
  timeoutMs: number;
  stages: Stage[];
  /** Optional: true when the guest has halted while the VMM process stays up. */
  halted?: () => Promise<boolean>;
  /** Remove sockets and other per-boot files once the process is gone. */
  cleanup(): void;
  log: Logger;
}

/** How long SIGKILL may take to be observed before we give up waiting (D-state I/O). */
const KILL_WAIT_MS = 5000;

export async function runStagedStop(plan: StopPlan): Promise<StopResult> {
  const started = Date.now();
  const { handle, log } = plan;
  const result = (stage: StopStage, forced: boolean, haltedThenKilled = false): StopResult => {
    plan.cleanup();
    return { stage, forced, haltedThenKilled, durationMs: Date.now() - started };
  };
  if (!isVmmAlive(handle)) return result("already-stopped", false);
  const deadline = started + plan.timeoutMs;
  for (const s of plan.stages) {
    const remaining = Math.max(0, deadline - Date.now());
    try {
      await s.request(remaining);
      log.info(`stop: ${s.what} sent`, { pid: handle.pid });
    } catch (err) {
      if (!isVmmAlive(handle)) return result(s.stage, s.forced);
      log.warn(`stop: ${s.what} failed (${(err as Error).message}); trying the next step`, { pid: handle.pid });
      continue;
    }
    const waitMs = s.waitMs(Math.max(0, deadline - Date.now()));
    const outcome = await waitGone(handle, waitMs, plan.halted);
    if (outcome === "exited") return result(s.stage, s.forced);
    if (outcome === "halted") {
      log.info("stop: the guest halted but the VMM process stays up; killing it", { pid: handle.pid });
      await killAndWait(handle, log);
      return result(s.stage, s.forced, true);
    }
    log.warn(`stop: still running ${waitMs} ms after ${s.what}; trying the next step`, { pid: handle.pid });
  }
  log.warn("stop: grace window over; sending SIGKILL", { pid: handle.pid, timeout_ms: plan.timeoutMs });
  await killAndWait(handle, log);
  return result("sigkill", true);
}

async function killAndWait(handle: VmmHandle, log: Logger): Promise<void> {
  signalVmm(handle, "SIGKILL");
  if ((await waitGone(handle, KILL_WAIT_MS)) !== "exited") {
    log.error("stop: VMM still present after SIGKILL (uninterruptible I/O?)", { pid: handle.pid });
  }
}
