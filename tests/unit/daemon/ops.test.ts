import { expect, test } from "bun:test";
import { OperationRegistry } from "../../../src/daemon/ops.ts";

test("operations: in flight until finished, finished ones kept and trimmed", () => {
  const ops = new OperationRegistry();
  const a = ops.start("image.pull", "debian");
  a.stage("download");
  expect(ops.inFlight()).toBe(1);
  expect(ops.list(false)).toMatchObject([{ kind: "image.pull", target: "debian", stage: "download", done: false }]);
  a.finish("network down");
  expect(ops.inFlight()).toBe(0);
  expect(ops.list()[0]).toMatchObject({ done: true, error: "network down" });
  expect(ops.list(false)).toEqual([]);
  for (let i = 0; i < 60; i++) ops.start("x", null).finish();
  expect(ops.list().length).toBe(50);
});
