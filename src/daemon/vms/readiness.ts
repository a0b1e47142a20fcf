// Waiting for a booted guest: the agent's /healthz (not just a socket path, F72), then
// sshd's banner on port 22. Both give up early when the VMM process dies.
import { connect } from "node:net";
import { BangerError } from "../../api/errors.ts";
import type { VmmPort } from "./ports.ts";

export async function waitForAgent(driver: VmmPort, handle: unknown, deadline: number, logPath: string): Promise<Record<string, unknown>> {
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (!driver.isAlive(handle)) throw new BangerError("exec_failed", `the VMM exited during boot; see ${logPath}`, { log_path: logPath });
    try {
      return await driver.agent(handle).healthz(Math.min(3000, Math.max(500, deadline - Date.now())));
    } catch (err) {
      last = (err as Error).message;
      await Bun.sleep(250);
    }
  }
  throw new BangerError("unavailable", `guest agent did not answer /healthz in time (${last}); see ${logPath}`, { log_path: logPath });
}

export async function waitForSsh(ip: string, deadline: number, alive: () => boolean, logPath: string): Promise<void> {
  while (Date.now() < deadline) {
    if (!alive()) throw new BangerError("exec_failed", `the VMM exited during boot; see ${logPath}`, { log_path: logPath });
    if (await sshBanner(ip, 22, 2000)) return;
    await Bun.sleep(500);
  }
  throw new BangerError("unavailable", `sshd on ${ip}:22 did not answer in time; see ${logPath}`, { log_path: logPath });
}

/** True when something on ip:port speaks SSH (sends an "SSH-" banner). */
export function sshBanner(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: ip, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once("data", (d) => done(d.toString("latin1").startsWith("SSH-")));
    sock.once("error", () => done(false));
    sock.once("close", () => done(false));
  });
}
