import { expect, test } from "bun:test";
import { compareKernelVersions, newestVersion } from "../../../src/kernels/version.ts";

test("numeric runs compare as numbers", () => {
  expect(compareKernelVersions("6.1.0-9-cloud-amd64", "6.1.0-10-cloud-amd64")).toBeLessThan(0);
  expect(compareKernelVersions("6.10.0", "6.9.12")).toBeGreaterThan(0);
  expect(compareKernelVersions("6.1.0-2-amd64", "6.1.0-2-amd64")).toBe(0);
  expect(compareKernelVersions("6.1", "6.1.1")).toBeLessThan(0);
});

test("newest of a set, null for none", () => {
  expect(newestVersion(["6.1.0-1-x", "6.1.0-12-x", "6.1.0-2-x", "5.10.0-30-x"])).toBe("6.1.0-12-x");
  expect(newestVersion([])).toBeNull();
});
