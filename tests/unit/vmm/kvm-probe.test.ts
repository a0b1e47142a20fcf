import { describe, expect, test } from "bun:test";
import { judgeProbe, kvmStatus, PROBE_MAX_MS, precheck } from "../../../src/vmm/kvm-probe.ts";

describe("judgeProbe", () => {
  test("a fast loop means usable", () => {
    expect(judgeProbe({ stage: "done", iterations: 100_000, ms: 0.08 }, false)).toEqual({ usable: true, reason: "KVM runs guest code (0.08 ms probe loop)" });
  });

  test("a slow loop (the nested-without-acceleration host) is unusable, with the measured speed", () => {
    const v = judgeProbe({ stage: "done", iterations: 100_000, ms: 260.9 }, false);
    expect(v.usable).toBe(false);
    expect(v.reason).toContain("~2609 ns per loop iteration");
    expect(judgeProbe({ stage: "done", iterations: 100_000, ms: PROBE_MAX_MS + 1 }, false).usable).toBe(false);
  });

  test("failures name the step", () => {
    expect(judgeProbe({ stage: "open", errno: 13 }, false).reason).toContain("kvm group");
    expect(judgeProbe({ stage: "open", errno: 2 }, false).reason).toContain("ENOENT");
    expect(judgeProbe({ stage: "api_version", value: 11 }, false).reason).toContain("API version 11");
    expect(judgeProbe({ stage: "create_vm", errno: 16 }, false).reason).toContain("another hypervisor");
    expect(judgeProbe({ stage: "loop_exit", exit_reason: 8 }, false).reason).toContain("exit reason 8");
    expect(judgeProbe(null, true).reason).toContain("did not finish");
    expect(judgeProbe(null, false).usable).toBe(false);
  });
});

test("precheck: a missing device needs no child process", () => {
  expect(precheck("/dev/does-not-exist-kvm")?.reason).toContain("does not exist");
});

test("the real probe answers quickly, consistently, and is cached per process", async () => {
  const started = Date.now();
  const first = kvmStatus();
  const v = await first;
  expect(Date.now() - started).toBeLessThan(6000);
  expect(kvmStatus()).toBe(first);
  expect(v.reason.length).toBeGreaterThan(10);
  if (v.usable) expect(v.reason).toMatch(/^KVM runs guest code/);
  console.log(`KVM probe on this host: ${JSON.stringify(v)}`);
});
