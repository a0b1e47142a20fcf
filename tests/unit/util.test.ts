import { expect, test } from "bun:test";
import { CleanupStack } from "../../src/util/cleanup-stack.ts";
import { KeyedMutex } from "../../src/util/keyed-mutex.ts";
import { silentLogger } from "../../src/log.ts";

test("cleanup stack unwinds newest first and keeps going past a failing step", async () => {
  const order: string[] = [];
  const s = new CleanupStack();
  s.push("a", () => void order.push("a"));
  s.push("b", () => {
    throw new Error("b broke");
  });
  s.push("c", async () => void order.push("c"));
  const failures = await s.unwind(silentLogger);
  expect(order).toEqual(["c", "a"]);
  expect(failures).toEqual(["b: b broke"]);
  s.push("d", () => void order.push("d"));
  s.commit();
  await s.unwind(silentLogger);
  expect(order).toEqual(["c", "a"]);
});

test("keyed mutex serializes one key and runs different keys in parallel", async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const job = (key: string, id: string, ms: number) =>
    m.run(key, async () => {
      log.push(`${id}+`);
      await Bun.sleep(ms);
      log.push(`${id}-`);
    });
  await Promise.all([job("vm1", "a", 30), job("vm1", "b", 1), job("vm2", "c", 5)]);
  expect(log.indexOf("a-")).toBeLessThan(log.indexOf("b+"));
  expect(log.indexOf("c+")).toBeLessThan(log.indexOf("a-"));
  expect(m.busy("vm1")).toBe(false);
  await expect(m.run("vm1", async () => { throw new Error("x"); })).rejects.toThrow("x");
  expect(await m.run("vm1", async () => 7)).toBe(7);
});
