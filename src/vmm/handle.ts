// VmmHandle <-> JSON (handles.json). A handle read back after a daemon restart is
// untrusted input: check its shape before a pid from it is ever signalled.
import type { VmmHandle, VmmName } from "./driver.ts";
import { isVmmAlive } from "./process.ts";

const SOCKET_KEYS = ["api", "qmp", "agent", "vsock"] as const;

const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** Pure: a well-formed handle of `driver`, or null. */
export function parseHandle(raw: unknown, driver: VmmName): VmmHandle | null {
  if (typeof raw !== "object" || raw === null) return null;
  const h = raw as Record<string, unknown>;
  if (h.driver !== driver || !isStr(h.vmId) || !isStr(h.argv0)) return null;
  if (!Number.isInteger(h.pid) || (h.pid as number) <= 1) return null;
  const marker = h.marker;
  if (!Array.isArray(marker) || marker.length !== 2 || !isStr(marker[0]) || !isStr(marker[1])) return null;
  if (!isStr(h.logPath) || !isStr(h.consoleLogPath) || !isStr(h.startedAt)) return null;
  if (typeof h.sockets !== "object" || h.sockets === null) return null;
  const sockets: VmmHandle["sockets"] = {};
  for (const key of SOCKET_KEYS) {
    const v = (h.sockets as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (!isStr(v)) return null;
    sockets[key] = v;
  }
  return {
    driver,
    vmId: h.vmId,
    pid: h.pid as number,
    argv0: h.argv0,
    marker: [marker[0], marker[1]],
    sockets,
    logPath: h.logPath,
    consoleLogPath: h.consoleLogPath,
    startedAt: h.startedAt,
  };
}

/** Inspect.attach for either driver: a valid handle whose process is still that VMM. */
export function attachHandle(raw: unknown, driver: VmmName): VmmHandle | null {
  const h = parseHandle(raw, driver);
  return h && isVmmAlive(h) ? h : null;
}
