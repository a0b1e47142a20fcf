// Kernel names become directory names under the kernels dir, so they are restricted to
// a safe alphabet (F50) and may not collide with the staging/trash names next to them.
import { BangerError } from "../api/errors.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_LENGTH = 64;
/** Suffixes of the transient directories that live beside published kernels. */
export const RESERVED_SUFFIXES = [".staging", ".old"] as const;

/** Returns the name or throws a usage error that says what is allowed. */
export function validateKernelName(name: string): string {
  if (name.length > MAX_LENGTH) {
    throw new BangerError("usage", `kernel name "${name.slice(0, 20)}…" is longer than ${MAX_LENGTH} characters`);
  }
  if (!NAME.test(name)) {
    throw new BangerError(
      "usage",
      `invalid kernel name "${name}": use letters, digits, ".", "-" and "_" only, starting with a letter or digit`,
    );
  }
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) throw new BangerError("usage", `invalid kernel name "${name}": the suffix "${suffix}" is reserved`);
  return name;
}

export function isValidKernelName(name: string): boolean {
  try {
    validateKernelName(name);
    return true;
  } catch {
    return false;
  }
}
