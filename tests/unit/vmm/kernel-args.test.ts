import { expect, test } from "bun:test";
import { paramKey, withDriverArgs } from "../../../src/vmm/kernel-args.ts";

test("keys", () => {
  expect(paramKey("console=ttyS0")).toBe("console");
  expect(paramKey("quiet")).toBe("quiet");
  expect(paramKey("ro")).toBe(paramKey("rw"));
  expect(paramKey("a=b=c")).toBe("a");
});

test("driver args are appended only for keys the caller did not set", () => {
  expect(withDriverArgs("  console=ttyS1   ro ", ["console=ttyS0", "rw", "reboot=k", "reboot=t"])).toBe("console=ttyS1 ro reboot=k");
});
