// HTTP/1.1 client for the guest agent (F70) over whatever byte stream the VMM driver
// provides (hybrid vsock or virtio-serial). One request per connection: the stream is
// opened, one request written, the response read by Content-Length, the stream closed.
// Failures are AgentError with a kind, so callers can tell "not up yet" from "broken".
import { BangerError } from "../api/errors.ts";
import type { ByteStream } from "../vmm/byte-stream.ts";

export type AgentErrorKind = "unreachable" | "timeout" | "protocol" | "status";

export class AgentError extends BangerError {
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(kind === "protocol" || kind === "status" ? "exec_failed" : "unavailable", message, {
      agent_error: kind,
      ...(httpStatus ? { http_status: httpStatus } : {}),
    });
    this.name = "AgentError";
  }
}

export interface AgentResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface AgentHealth {
  version: string;
  uptime_s: number;
  boot_id: string;
  hostname: string;
  kernel: string;
  init: string;
}

export interface AgentPort {
  proto: "tcp" | "udp";
  family: "ipv4" | "ipv6";
  address: string;
  port: number;
  inode: number;
  pid: number | null;
  process: string | null;
  argv: string[];
  cmdline: string | null;
}

export interface AgentSysinfo {
  uptime_s: number;
  cpus: number;
  load: { "1m": number; "5m": number; "15m": number };
  memory: {
    total_bytes: number;
    available_bytes: number;
    used_bytes: number;
    free_bytes: number;
    swap_total_bytes: number;
    swap_free_bytes: number;
  };
  disks: Array<{ path: string; total_bytes: number; used_bytes: number; available_bytes: number; own_fs: boolean }>;
}

/** Opens a fresh stream to the agent within `timeoutMs` (a driver's connectAgent). */
export type AgentConnect = (timeoutMs: number) => Promise<ByteStream>;

const MAX_HEAD = 16 * 1024;
const MAX_BODY = 8 * 1024 * 1024;

/**
 * Pure: parse one response from the front of `buf`. Returns null while incomplete;
 * `eof` means no more bytes will come (a body without Content-Length ends there).
 */
export function parseResponse(buf: Uint8Array, eof: boolean): AgentResponse | null {
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) {
    if (buf.length > MAX_HEAD) throw new AgentError("protocol", "agent response headers too large");
    if (eof) throw new AgentError("protocol", buf.length ? "agent closed the connection mid-headers" : "agent closed the connection without answering");
    return null;
  }
  const lines = text.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) throw new AgentError("protocol", `bad agent status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i <= 0) throw new AgentError("protocol", `bad agent header line ${JSON.stringify(line.slice(0, 80))}`);
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  if (headers["transfer-encoding"]) throw new AgentError("protocol", `unsupported transfer-encoding ${headers["transfer-encoding"]}`);
  const start = end + 4;
  const cl = headers["content-length"];
  if (cl === undefined) return eof ? { status: Number(m[1]), headers, body: buf.subarray(start) } : null;
  if (!/^\d+$/.test(cl) || Number(cl) > MAX_BODY) throw new AgentError("protocol", `bad agent Content-Length ${JSON.stringify(cl)}`);
  const len = Number(cl);
  if (buf.length - start < len) {
    if (eof) throw new AgentError("protocol", `agent response body truncated (${buf.length - start} of ${len} bytes)`);
    return null;
  }
  return { status: Number(m[1]), headers, body: buf.subarray(start, start + len) };
}

/** Pure: the request bytes. */
export function formatRequest(method: string, path: string, body?: string): string {
  const payload = body ?? "";
  const type = body === undefined ? "" : "Content-Type: application/json\r\n";
  return `${method} ${path} HTTP/1.1\r\nHost: banger-agent\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
}

export class AgentClient {
  constructor(
    private readonly connect: AgentConnect,
    private readonly defaultTimeoutMs = 10_000,
  ) {}

  /**
   * One request; the timeout covers connect, write and the whole response. A 400 is
   * retried once: on the serial transport the agent may have kept a stale request prefix
   * from an earlier connection and rejected the combination (docs/guest-agent.md).
   */
  async request(method: string, path: string, opts: { body?: string; timeoutMs?: number } = {}): Promise<AgentResponse> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.defaultTimeoutMs);
    const first = await this.attempt(method, path, opts.body, deadline);
    if (first.status !== 400 || deadline - Date.now() <= 0) return first;
    return this.attempt(method, path, opts.body, deadline);
  }

  private async attempt(method: string, path: string, body: string | undefined, deadline: number): Promise<AgentResponse> {
    let stream: ByteStream;
    try {
      stream = await this.connect(Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (err instanceof AgentError) throw err;
      throw new AgentError("unreachable", `guest agent unreachable: ${(err as Error).message}`);
    }
    try {
      await stream.write(formatRequest(method, path, body));
      return await readResponse(stream, deadline, `${method} ${path}`);
    } finally {
      stream.close();
    }
  }

  async json<T>(method: string, path: string, timeoutMs?: number): Promise<T> {
    const res = await this.request(method, path, { timeoutMs });
    const text = Buffer.from(res.body).toString("utf8");
    if (res.status < 200 || res.status >= 300) {
      throw new AgentError("status", `guest agent ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AgentError("protocol", `guest agent ${method} ${path}: body is not JSON`);
    }
  }

  healthz(timeoutMs?: number): Promise<AgentHealth> {
    return this.json("GET", "/healthz", timeoutMs);
  }

  async ports(timeoutMs?: number): Promise<AgentPort[]> {
    return (await this.json<{ ports: AgentPort[] }>("GET", "/ports", timeoutMs)).ports;
  }

  sysinfo(timeoutMs?: number): Promise<AgentSysinfo> {
    return this.json("GET", "/sysinfo", timeoutMs);
  }

  /** Ask the guest to power off; resolves once the agent accepted (202). */
  shutdown(timeoutMs?: number): Promise<{ status: string; action: string }> {
    return this.json("POST", "/shutdown", timeoutMs);
  }
}

async function readResponse(stream: ByteStream, deadline: number, what: string): Promise<AgentResponse> {
  let buf: Uint8Array = new Uint8Array(0);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new AgentError("timeout", `guest agent ${what}: no complete response in time`);
    let chunk: Uint8Array | null;
    try {
      chunk = await stream.read(left);
    } catch (err) {
      const timeout = (err as Error).name === "StreamTimeoutError";
      throw new AgentError(timeout ? "timeout" : "unreachable", `guest agent ${what}: ${(err as Error).message}`);
    }
    if (chunk) buf = concat(buf, chunk);
    const res = parseResponse(buf, chunk === null);
    if (res) return res;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
