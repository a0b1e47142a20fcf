// A minimal pull-style byte stream over a Unix socket: what a driver's agent transport
// returns and what the agent's HTTP client reads. Pull (read with a deadline) rather
// than events keeps the handshake (hybrid vsock) and HTTP parsing straight-line code.
import { createConnection, type Socket } from "node:net";

export interface ByteStream {
  /** Resolves when the bytes are handed to the kernel. */
  write(data: string | Uint8Array): Promise<void>;
  /** Next chunk; null at end of stream. Rejects with a timeout error after `timeoutMs`. */
  read(timeoutMs: number): Promise<Uint8Array | null>;
  /** Idempotent; also ends any pending read with null. */
  close(): void;
}

export class StreamTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no data within ${ms} ms`);
    this.name = "StreamTimeoutError";
  }
}

/** ByteStream over a connected node:net socket. */
export class SocketStream implements ByteStream {
  private chunks: Uint8Array[] = [];
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly sock: Socket,
    private readonly label: string,
  ) {
    sock.on("data", (d: Buffer) => this.push(new Uint8Array(d)));
    sock.on("end", () => this.finish(null));
    sock.on("close", () => this.finish(null));
    sock.on("error", (e) => this.finish(e));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.notify();
  }

  private finish(err: Error | null): void {
    if (err && !this.ended) this.error = err;
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Put bytes back in front (left over after a handshake line). */
  unshift(chunk: Uint8Array): void {
    if (chunk.length > 0) this.chunks.unshift(chunk);
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error(`${this.label}: write after close`));
      this.sock.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  async read(timeoutMs: number): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) return chunk;
      if (this.error) throw this.error;
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new StreamTimeoutError(this.label, timeoutMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.sock.destroy();
    this.finish(null);
  }
}

/** Connect to a Unix socket; rejects with the socket error (ENOENT, ECONNREFUSED, ...). */
export function connectUnix(path: string, timeoutMs: number): Promise<SocketStream> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new StreamTimeoutError(`connect ${path}`, timeoutMs));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      resolve(new SocketStream(sock, path));
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
