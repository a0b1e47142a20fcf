import { expect, test } from "bun:test";
import { haltDetector } from "../../../src/vmm/firecracker/halt.ts";
import type { ByteStream } from "../../../src/vmm/byte-stream.ts";

function probe(agentUp: () => boolean, cpu: () => number) {
  let now = 0;
  const stream: ByteStream = { write: async () => {}, read: async () => null, close: () => {} };
  return {
    tick: (ms: number) => void (now += ms),
    probe: {
      now: () => now,
      cpuSeconds: cpu,
      connect: async () => {
        if (agentUp()) return stream;
        throw new Error("EOF before OK");
      },
    },
  };
}

test("agent gone and the VMM idle for two probes -> halted", async () => {
  const p = probe(() => false, () => 5);
  const halted = haltDetector(p.probe, 1000);
  const answers: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    p.tick(1000);
    answers.push(await halted());
  }
  expect(answers).toEqual([false, false, true, true]);
});

test("probes are rate-limited", async () => {
  const p = probe(() => false, () => 5);
  const halted = haltDetector(p.probe, 1000);
  p.tick(1000);
  await halted();
  p.tick(1000);
  await halted();
  p.tick(100);
  expect(await halted()).toBe(false); // too soon: not a probe
  p.tick(900);
  expect(await halted()).toBe(true);
});

test("a busy VMM (guest still shutting down) or a live agent is not halted", async () => {
  let cpu = 0;
  const busy = probe(() => false, () => (cpu += 0.5));
  const h1 = haltDetector(busy.probe, 1000);
  for (let i = 0; i < 5; i++) {
    busy.tick(1000);
    expect(await h1()).toBe(false);
  }
  const up = probe(() => true, () => 5);
  const h2 = haltDetector(up.probe, 1000);
  for (let i = 0; i < 5; i++) {
    up.tick(1000);
    expect(await h2()).toBe(false);
  }
});
