import { expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import { isValidKernelName, validateKernelName } from "../../../src/kernels/names.ts";

test("letters, digits, dot, dash and underscore are accepted", () => {
  for (const name of ["debian-cloud-6.1", "k1", "my_kernel.v2", "6.1.0-56-cloud-amd64", "A"]) {
    expect(validateKernelName(name)).toBe(name);
  }
});

test("anything else is a usage error that says what is allowed", () => {
  for (const name of ["", "a/b", "../x", ".hidden", "-flag", "with space", "ünï", "a\0b", "x;rm"]) {
    const err = (() => {
      try {
        validateKernelName(name);
      } catch (e) {
        return e;
      }
    })() as BangerError;
    expect(err).toBeInstanceOf(BangerError);
    expect(err.code).toBe("usage");
    expect(err.message).toContain("letters, digits");
    expect(isValidKernelName(name)).toBe(false);
  }
});

test("names that collide with staging or trash dirs are reserved", () => {
  expect(() => validateKernelName("foo.staging")).toThrow(/reserved/);
  expect(() => validateKernelName("foo.old")).toThrow(/reserved/);
  expect(() => validateKernelName("x".repeat(65))).toThrow(/longer than 64/);
});
