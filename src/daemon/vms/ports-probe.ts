// vm ports (F68): the agent's listening sockets, deduplicated (0.0.0.0 and :: on the
// same port are one row), TCP endpoints probed HTTPS first, then HTTP.
import type { PortInfo } from "../../api/vms.ts";
import type { GuestSocket } from "./ports.ts";

const WILDCARDS = new Set(["0.0.0.0", "::", "*", "[::]"]);

export function dedupeSockets(sockets: GuestSocket[]): GuestSocket[] {
  const seen = new Map<string, GuestSocket>();
  for (const s of sockets) {
    if (s.address.startsWith("127.") || s.address === "::1") continue; // not reachable from the host
    const addr = WILDCARDS.has(s.address) ? "*" : s.address;
    const key = `${s.proto}/${addr}/${s.port}`;
    if (!seen.has(key)) seen.set(key, s);
  }
  return [...seen.values()].sort((a, b) => a.proto.localeCompare(b.proto) || a.port - b.port);
}

export type Prober = (url: string) => Promise<boolean>;

export async function describePorts(sockets: GuestSocket[], vmName: string, ip: string, probe: Prober = httpAnswers): Promise<PortInfo[]> {
  return Promise.all(
    dedupeSockets(sockets).map(async (s) => {
      const endpoint = `${vmName}.vm:${s.port}`;
      let url: string | null = null;
      if (s.proto === "tcp") {
        if (await probe(`https://${ip}:${s.port}/`)) url = `https://${endpoint}`;
        else if (await probe(`http://${ip}:${s.port}/`)) url = `http://${endpoint}`;
      }
      return {
        proto: s.proto, address: s.address, port: s.port, endpoint, pid: s.pid,
        process: s.process, command: s.cmdline, url,
      };
    }),
  );
}

/** Does anything speak HTTP(S) at `url`? Any HTTP status counts. */
export async function httpAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1500), redirect: "manual", tls: { rejectUnauthorized: false } });
    return true;
  } catch {
    return false;
  }
}
