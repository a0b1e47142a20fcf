// The staged stop runner against real child processes standing in for a VMM.
import { afterEach, expect, test } from "bun:test";
import type { VmmHandle } from "../../../src/vmm/driver.ts";
import { runStagedStop, type Stage } from "../../../src/vmm/staged-stop.ts";
import { memoryLogger } from "./helpers.ts";

const procs: Bun.Subprocess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill("SIGKILL");
    await p.exited;
  }
});

/** A child that ignores SIGTERM (so only SIGKILL or our own exit ends it). */
async function fakeVmm(): Promise<VmmHandle> {
  const marker = `stop-test-${Math.random().toString(16).slice(2)}`;
  const p = Bun.spawn([process.execPath, "-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)", "--vm", marker], { stdout: "ignore", stderr: "ignore" });
  procs.push(p);
  await Bun.sleep(150);
  return { driver: "qemu", vmId: "t", pid: p.pid, argv0: process.execPath, marker: ["--vm", marker], sockets: {}, logPath: "", consoleLogPath: "", startedAt: "" };
}

const stage = (name: Stage["stage"], request: Stage["request"], waitMs = 300, forced = false): Stage => ({ stage: name, what: name, request, waitMs: () => waitMs, forced });

test("the first request that works ends it; cleanup runs", async () => {
  const h = await fakeVmm();
  const lines: string[] = [];
  let cleaned = 0;
  const r = await runStagedStop({
    handle: h, timeoutMs: 2000, log: memoryLogger(lines), cleanup: () => void cleaned++,
    stages: [
      stage("agent-shutdown", async () => {
        throw new Error("agent unreachable");
      }),
      stage("acpi-powerdown", async () => void process.kill(h.pid, "SIGKILL")),
      stage("qmp-quit", async () => {
        throw new Error("must not run");
      }),
    ],
  });
  expect(r.stage).toBe("acpi-powerdown");
  expect(r.forced).toBe(false);
  expect(cleaned).toBe(1);
  expect(lines).toEqual(["warn: stop: agent-shutdown failed (agent unreachable); trying the next step", "info: stop: acpi-powerdown sent"]);
});

test("nothing works: every fallback logged, then SIGKILL, forced", async () => {
  const h = await fakeVmm();
  const lines: string[] = [];
  const r = await runStagedStop({
    handle: h, timeoutMs: 600, log: memoryLogger(lines), cleanup: () => {},
    stages: [stage("agent-shutdown", async () => {}, 200), stage("ctrl-alt-del", async () => void process.kill(h.pid, "SIGTERM"), 200)],
  });
  expect(r).toMatchObject({ stage: "sigkill", forced: true, haltedThenKilled: false });
  expect(lines).toEqual([
    "info: stop: agent-shutdown sent",
    "warn: stop: still running 200 ms after agent-shutdown; trying the next step",
    "info: stop: ctrl-alt-del sent",
    "warn: stop: still running 200 ms after ctrl-alt-del; trying the next step",
    "warn: stop: grace window over; sending SIGKILL",
  ]);
});

test("a halted guest is killed at once, not after the grace window", async () => {
  const h = await fakeVmm();
  const lines: string[] = [];
  const started = Date.now();
  const r = await runStagedStop({
    handle: h, timeoutMs: 30_000, log: memoryLogger(lines), cleanup: () => {}, halted: async () => true,
    stages: [stage("agent-shutdown", async () => {}, 20_000)],
  });
  expect(r).toMatchObject({ stage: "agent-shutdown", forced: false, haltedThenKilled: true });
  expect(Date.now() - started).toBeLessThan(5000);
  expect(lines.at(-1)).toBe("info: stop: the guest halted but the VMM process stays up; killing it");
});

test("already gone: no requests at all", async () => {
  const h = await fakeVmm();
  process.kill(h.pid, "SIGKILL");
  await Bun.sleep(100);
  let asked = false;
  const r = await runStagedStop({
    handle: h, timeoutMs: 1000, log: memoryLogger([]), cleanup: () => {},
    stages: [stage("agent-shutdown", async () => void (asked = true))],
  });
  expect(r.stage).toBe("already-stopped");
  expect(asked).toBe(false);
});
