// Small pieces both drivers' launch paths share: input checks, stale socket removal,
// finding the binary, and errors that point at the log files.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { BangerError } from "../api/errors.ts";
import type { LaunchSpec } from "./driver.ts";

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const TAP = /^[A-Za-z0-9._-]{1,15}$/;

/** Validate what no VMM would explain well itself (missing files, bad sizes, bad names). */
export function checkSpec(spec: LaunchSpec, maxVcpu: number): void {
  const bad = (field: string, why: string): never => {
    throw new BangerError("invalid_params", `launch ${spec.vmId}: ${field} ${why}`, { field });
  };
  if (!Number.isInteger(spec.vcpu) || spec.vcpu < 1 || spec.vcpu > maxVcpu) bad("vcpu", `must be 1..${maxVcpu} (got ${spec.vcpu})`);
  if (!Number.isInteger(spec.memoryMib) || spec.memoryMib < 16) bad("memoryMib", `must be at least 16 (got ${spec.memoryMib})`);
  if (!MAC.test(spec.mac)) bad("mac", `is not a MAC address (got ${JSON.stringify(spec.mac)})`);
  if (!TAP.test(spec.tap)) bad("tap", `is not an interface name (got ${JSON.stringify(spec.tap)})`);
  if (!Number.isInteger(spec.guestCid) || spec.guestCid < 3 || spec.guestCid >= 2 ** 32) bad("guestCid", `must be 3..2^32-1 (got ${spec.guestCid})`);
  const files: Array<[string, string | undefined]> = [
    ["kernel", spec.kernel.vmlinux],
    ["initrd", spec.kernel.initrd],
    ["root disk", spec.rootDisk],
    ["work disk", spec.workDisk],
  ];
  for (const [label, path] of files) {
    if (path !== undefined && !existsSync(path)) {
      throw new BangerError("not_found", `launch ${spec.vmId}: ${label} ${path} does not exist`, { path });
    }
  }
}

/** Resolve a command name or path to an executable; precondition error with a hint otherwise. */
export function resolveBinary(binary: string, hint: string): string {
  const found = Bun.which(binary);
  if (!found) throw new BangerError("precondition", `${binary} not found: ${hint}`, { binary });
  return found;
}

/** Remove sockets left by an earlier boot (VMMs refuse to bind over them). */
export function removeStale(paths: Array<string | undefined>): void {
  for (const p of paths) if (p) rmSync(p, { force: true });
}

/** Create (or keep) a log file so that its path in an error always exists. */
export function touch(path: string): void {
  if (!existsSync(path)) writeFileSync(path, "", { mode: 0o600 });
}

export function tailFile(path: string, lines = 8): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** The VMM process died before it was ready: say how, show the log's tail, name the files. */
export function earlyExitError(name: string, code: number | null, logs: string[]): BangerError {
  const tails = logs.map((p) => tailFile(p, 6)).filter(Boolean).join("\n");
  const how = code === null ? "was killed" : `exited with code ${code}`;
  return new BangerError("exec_failed", `${name} ${how} during startup; see ${logs.join(" and ")}${tails ? `:\n${tails}` : ""}`, {
    exit_code: code,
    log_path: logs[0],
    logs,
  });
}
