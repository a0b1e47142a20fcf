// VMM processes: spawning (detached, output to the VM's log files), THE liveness check
// (pid + /proc cmdline, so a reused pid never passes for a VMM), /proc stats, waiting.
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { ProcessStats, VmmHandle } from "./driver.ts";

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux we target. */
const CLK_TCK = 100;

export interface SpawnedVmm {
  pid: number;
  /** Resolves with the exit code once the process is gone (this daemon's children only). */
  exited: Promise<number | null>;
  /** Signal our own child (safe before it exec'd and after it exited, unlike a bare pid). */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Spawn a long-lived VMM in its own session (setsid) so that the daemon's terminal or a
 * daemon restart does not take the VM down. stdout/stderr are appended to files, so a
 * previous boot's output is kept; the daemon does not wait for it (unref).
 */
export function spawnVmm(argv: string[], stdoutPath: string, stderrPath: string): SpawnedVmm {
  mkdirSync(dirname(stdoutPath), { recursive: true });
  mkdirSync(dirname(stderrPath), { recursive: true });
  const out = openSync(stdoutPath, "a", 0o600);
  const err = stderrPath === stdoutPath ? out : openSync(stderrPath, "a", 0o600);
  try {
    const proc = Bun.spawn(argv, { stdin: "ignore", stdout: out, stderr: err, detached: true });
    proc.unref();
    return { pid: proc.pid, exited: proc.exited.then((c) => c, () => null), kill: (sig) => proc.kill(sig) };
  } finally {
    closeSync(out);
    if (err !== out) closeSync(err);
  }
}

/** argv of a process from /proc, or null when it does not exist. */
export function readCmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const parts = raw.split("\0");
    if (parts.at(-1) === "") parts.pop();
    return parts;
  } catch {
    return null;
  }
}

/** Pure: does this argv belong to the VMM described by argv0 + marker pair? */
export function cmdlineMatches(argv: string[], argv0: string, marker: readonly [string, string]): boolean {
  if (argv.length === 0 || basename(argv[0]!) !== basename(argv0)) return false;
  for (let i = 0; i + 1 < argv.length; i++) {
    if (argv[i] === marker[0] && argv[i + 1] === marker[1]) return true;
  }
  return false;
}

export interface ProcStat {
  state: string;
  cpuSeconds: number;
}

/** Pure: state and utime+stime from /proc/<pid>/stat (comm may contain spaces and parens). */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // After "pid (comm) ": state is field 3, utime 14, stime 15 (1-based) -> indexes 0, 11, 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!fields[0] || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { state: fields[0], cpuSeconds: (utime + stime) / CLK_TCK };
}

/** Pure: VmRSS in bytes from /proc/<pid>/status (0 for a process without memory, e.g. a zombie). */
export function parseStatusRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export function procStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** THE liveness check shared by both drivers. A zombie counts as gone. */
export function isVmmAlive(h: Pick<VmmHandle, "pid" | "argv0" | "marker">): boolean {
  if (!Number.isInteger(h.pid) || h.pid <= 1) return false;
  const argv = readCmdline(h.pid);
  if (!argv || !cmdlineMatches(argv, h.argv0, h.marker)) return false;
  const st = procStat(h.pid);
  return st !== null && st.state !== "Z" && st.state !== "X";
}

export function vmmStats(h: VmmHandle): ProcessStats | null {
  if (!isVmmAlive(h)) return null;
  const st = procStat(h.pid);
  if (!st) return null;
  let rssBytes = 0;
  try {
    rssBytes = parseStatusRss(readFileSync(`/proc/${h.pid}/status`, "utf8"));
  } catch {
    return null;
  }
  return { cpuSeconds: st.cpuSeconds, rssBytes };
}

/** Signal the VMM only while the pid is still it (never a recycled pid). */
export function signalVmm(h: VmmHandle, signal: NodeJS.Signals): boolean {
  if (!isVmmAlive(h)) return false;
  try {
    process.kill(h.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Poll until the VMM is gone (true) or `timeoutMs` passes (false). `check` may end the
 * wait early with "halted" (e.g. the guest stopped but the VMM stays up).
 */
export async function waitGone(
  h: VmmHandle,
  timeoutMs: number,
  check?: () => Promise<boolean>,
  intervalMs = 100,
): Promise<"exited" | "halted" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isVmmAlive(h)) return "exited";
    if (check && (await check())) return isVmmAlive(h) ? "halted" : "exited";
    const left = deadline - Date.now();
    if (left <= 0) return "timeout";
    await Bun.sleep(Math.min(intervalMs, left));
  }
}
