// The Firecracker REST API over its Unix socket. Errors carry Firecracker's own
// fault_message and the VM's log path, since that is where the rest of the story is.
import { BangerError } from "../../api/errors.ts";
import type { ApiRequest } from "./requests.ts";

export interface InstanceInfo {
  app_name: string;
  id: string;
  state: "Not started" | "Running" | "Paused";
  vmm_version: string;
}

export class FirecrackerApi {
  constructor(
    readonly socket: string,
    private readonly logPath: string,
  ) {}

  /** Send one request; 2xx -> parsed JSON body (or null for 204), else BangerError with fault_message. */
  async send(req: ApiRequest, timeoutMs = 5000): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`http://localhost${req.path}`, {
        unix: this.socket,
        method: req.method,
        headers: req.body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
        body: req.body ? JSON.stringify(req.body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new BangerError("unavailable", `firecracker API ${req.method} ${req.path}: ${(err as Error).message}; see ${this.logPath}`, {
        socket: this.socket,
        log_path: this.logPath,
      });
    }
    const text = await res.text();
    if (res.ok) return text ? JSON.parse(text) : null;
    throw new BangerError("exec_failed", `firecracker rejected ${req.method} ${req.path}: ${faultMessage(text, res.status)}; see ${this.logPath}`, {
      status: res.status,
      log_path: this.logPath,
      request: req.body ?? null,
    });
  }

  async describe(timeoutMs = 2000): Promise<InstanceInfo> {
    return (await this.send({ method: "GET", path: "/" }, timeoutMs)) as InstanceInfo;
  }
}

/** Pure: Firecracker's `{"fault_message": ...}` error body -> the message. */
export function faultMessage(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { fault_message?: unknown };
    if (typeof parsed.fault_message === "string") return parsed.fault_message;
  } catch {
    // not JSON: fall through
  }
  return body.trim() ? `HTTP ${status}: ${body.trim().slice(0, 300)}` : `HTTP ${status}`;
}
