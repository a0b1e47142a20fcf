// QMP client (docs/interop/qmp-spec.rst): the server greets, nothing but
// qmp_capabilities works until it is sent, then commands carry an `id` that the reply
// echoes, and asynchronous events (POWERDOWN, SHUTDOWN, ...) arrive in between.
// Messages are JSON objects terminated by CRLF. The QEMU chardev serves one client at a
// time, so the driver opens a connection per operation and closes it.
import { createConnection, type Socket } from "node:net";
import { BangerError } from "../../api/errors.ts";

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

export class QmpError extends BangerError {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
    command: string,
  ) {
    super("exec_failed", `QMP ${command}: ${errorClass}: ${desc}`, { qmp_class: errorClass });
    this.name = "QmpError";
  }
}

/** Pure: split complete lines off `buffer` and parse them; `rest` is an incomplete tail. */
export function splitMessages(buffer: string): { messages: Record<string, unknown>[]; rest: string } {
  const messages: Record<string, unknown>[] = [];
  let start = 0;
  for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n", start)) {
    const line = buffer.slice(start, nl).trim();
    start = nl + 1;
    if (!line) continue;
    try {
      messages.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      throw new BangerError("exec_failed", `QMP: malformed message ${JSON.stringify(line.slice(0, 120))}`);
    }
  }
  return { messages, rest: buffer.slice(start) };
}

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class QmpClient {
  readonly events: QmpEvent[] = [];
  greeting: QmpGreeting | null = null;
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<() => void>();
  private closedFlag = false;
  private onGreeting: ((g: QmpGreeting) => void) | null = null;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => this.receive(d));
    sock.on("close", () => this.shutdown(new BangerError("unavailable", "QMP connection closed")));
    sock.on("error", (e) => this.shutdown(e));
  }

  /** Connect, read the greeting and leave capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 3000): Promise<QmpClient> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ path });
      const timer = setTimeout(() => (s.destroy(), reject(new BangerError("unavailable", `QMP connect ${path}: timeout`))), timeoutMs);
      s.once("connect", () => (clearTimeout(timer), resolve(s)));
      s.once("error", (e) => (clearTimeout(timer), reject(e)));
    });
    const client = new QmpClient(sock);
    try {
      client.greeting = await client.waitGreeting(timeoutMs);
      await client.execute("qmp_capabilities", undefined, timeoutMs);
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  execute<T = Record<string, unknown>>(command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<T> {
    if (this.closedFlag) return Promise.reject(new BangerError("unavailable", `QMP ${command}: connection closed`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BangerError("unavailable", `QMP ${command}: no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = <V>(fn: (v: V) => void) => (v: V) => (clearTimeout(timer), this.pending.delete(id), fn(v));
      this.pending.set(id, { command, resolve: done(resolve as (v: unknown) => void), reject: done(reject) });
      this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\r\n`);
    });
  }

  /** The first event named `name` (already received or arriving within `timeoutMs`), else null. */
  async waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.event === name);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedFlag) return null;
      await new Promise<void>((resolve) => {
        const wake = () => (clearTimeout(timer), this.listeners.delete(wake), resolve());
        const timer = setTimeout(wake, left);
        this.listeners.add(wake);
      });
    }
  }

  close(): void {
    this.sock.destroy();
    this.shutdown(new BangerError("unavailable", "QMP connection closed"));
  }

  private waitGreeting(timeoutMs: number): Promise<QmpGreeting> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BangerError("unavailable", "QMP: no greeting")), timeoutMs);
      this.onGreeting = (g) => (clearTimeout(timer), resolve(g));
      this.pending.set(0, { command: "greeting", resolve: () => {}, reject: (e) => (clearTimeout(timer), reject(e)) });
    });
  }

  private receive(data: string): void {
    this.buffer += data;
    let parsed: ReturnType<typeof splitMessages>;
    try {
      parsed = splitMessages(this.buffer);
    } catch (err) {
      this.shutdown(err as Error);
      this.sock.destroy();
      return;
    }
    this.buffer = parsed.rest;
    for (const msg of parsed.messages) this.dispatch(msg);
  }

  private dispatch(msg: Record<string, unknown>): void {
    if ("QMP" in msg) {
      this.pending.delete(0);
      this.onGreeting?.(msg as unknown as QmpGreeting);
    } else if ("event" in msg) {
      this.events.push(msg as unknown as QmpEvent);
      for (const wake of [...this.listeners]) wake();
    } else if (typeof msg.id === "number" && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      if ("error" in msg) {
        const e = msg.error as { class?: string; desc?: string };
        p.reject(new QmpError(e.class ?? "GenericError", e.desc ?? "unknown error", p.command));
      } else {
        p.resolve(msg.return);
      }
    }
  }

  private shutdown(err: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const wake of [...this.listeners]) wake();
  }
}
