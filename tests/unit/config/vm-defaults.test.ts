// F31: [vm_defaults] > host heuristics > built-in floor, with provenance per field.
import { describe, expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import {
  BUILTIN_VM_DEFAULTS,
  formatSpec,
  heuristicMemoryMib,
  heuristicVcpu,
  hostFacts,
  resolveVmDefaults,
  specValues,
  validateVmSize,
} from "../../../src/config/vm-defaults.ts";

const GiB = 1024 ** 3;

describe("heuristics", () => {
  test.each([
    [1, 0],
    [3, 0],
    [4, 1],
    [8, 2],
    [15, 3],
    [16, 4],
    [64, 4],
  ])("vcpu for %p cpus = %p", (cpus, vcpu) => {
    expect(heuristicVcpu(cpus)).toBe(vcpu);
  });

  test.each([
    [4 * GiB, 512],
    [8 * GiB, 1024],
    [10 * GiB, 1280],
    [11 * GiB, 1280], // 1408 MiB rounded down to a 256 MiB step
    [24 * GiB, 3072],
    [64 * GiB, 8192],
    [512 * GiB, 8192],
  ])("memory for %p bytes = %p MiB", (bytes, mib) => {
    expect(heuristicMemoryMib(bytes)).toBe(mib);
  });
});

describe("resolveVmDefaults", () => {
  test("a big host: heuristics, capped", () => {
    expect(resolveVmDefaults({}, { cpus: 32, memBytes: 128 * GiB })).toEqual({
      vcpu: { value: 4, source: "auto" },
      memoryMib: { value: 8192, source: "auto" },
      diskSizeBytes: { value: 8 * GiB, source: "builtin" },
    });
  });

  test("a small host: heuristics under the floor fall back to it", () => {
    expect(resolveVmDefaults({}, { cpus: 2, memBytes: 4 * GiB })).toEqual({
      vcpu: { value: 1, source: "builtin" },
      memoryMib: { value: 1024, source: "builtin" },
      diskSizeBytes: { value: 8 * GiB, source: "builtin" },
    });
  });

  test("config wins over heuristics, field by field", () => {
    const spec = resolveVmDefaults({ memoryMib: 512, diskSizeBytes: 20 * GiB }, { cpus: 8, memBytes: 24 * GiB });
    expect(spec).toEqual({
      vcpu: { value: 2, source: "auto" },
      memoryMib: { value: 512, source: "config" },
      diskSizeBytes: { value: 20 * GiB, source: "config" },
    });
    expect(specValues(spec)).toEqual({ vcpu: 2, memoryMib: 512, diskSizeBytes: 20 * GiB });
  });

  test("the builtin floor is 1 vcpu, 1024 MiB, 8 GiB", () => {
    expect(BUILTIN_VM_DEFAULTS).toEqual({ vcpu: 1, memoryMib: 1024, diskSizeBytes: 8 * GiB });
  });

  test("hostFacts reads this machine", () => {
    const facts = hostFacts();
    expect(facts.cpus).toBeGreaterThan(0);
    expect(facts.memBytes).toBeGreaterThan(0);
  });
});

describe("formatSpec", () => {
  test("the spec line", () => {
    expect(formatSpec({ vcpu: 4, memoryMib: 8192, diskSizeBytes: 8 * GiB })).toBe("spec: 4 vcpu · 8192 MiB · 8G disk");
    expect(formatSpec({ vcpu: 1, memoryMib: 1536, diskSizeBytes: 1536 * 1024 ** 2 })).toBe("spec: 1 vcpu · 1536 MiB · 1536M disk");
  });
});

describe("validateVmSize", () => {
  test("accepts positive integers and absent fields", () => {
    expect(() => validateVmSize({})).not.toThrow();
    expect(() => validateVmSize({ vcpu: 2, memoryMib: 1024, diskSizeBytes: GiB })).not.toThrow();
  });

  test.each([
    [{ vcpu: 0 }, "vcpu must be a positive integer (got 0)"],
    [{ vcpu: -1 }, "vcpu must be a positive integer (got -1)"],
    [{ vcpu: 1.5 }, "vcpu must be a positive integer (got 1.5)"],
    [{ memoryMib: 0 }, "memory (MiB) must be a positive integer (got 0)"],
    [{ memoryMib: -512 }, "memory (MiB) must be a positive integer (got -512)"],
    [{ diskSizeBytes: 0 }, "disk size (bytes) must be a positive integer (got 0)"],
  ])("rejects %p", (size, message) => {
    let err: unknown;
    try {
      validateVmSize(size);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BangerError);
    expect((err as BangerError).code).toBe("usage");
    expect((err as BangerError).message).toBe(message);
  });
});
