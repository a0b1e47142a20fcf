// RPC client over the daemon's Unix socket. Streaming answers are read line by line
// and handed to `onEvent` as they arrive; the final line becomes the return value or
// a thrown BangerError.
import { BangerError } from "../api/errors.ts";
import type { MethodName, Params, Result } from "../api/methods.ts";
import type { ProgressEvent, StreamEvent } from "../api/progress.ts";

export interface CallOptions {
  onEvent?: (event: ProgressEvent) => void;
}

export class RpcClient {
  constructor(readonly socket: string) {}

  async call<N extends MethodName>(method: N, params: Params<N>, opts: CallOptions = {}): Promise<Result<N>> {
    const res = await this.post(method, params);
    const type = res.headers.get("content-type") ?? "";
    if (type.includes("application/x-ndjson")) return readStream(res, opts.onEvent) as Promise<Result<N>>;
    const body = await res.json().catch(() => undefined);
    if (!res.ok) throw BangerError.fromBody(body, `daemon answered HTTP ${res.status}`);
    return body as Result<N>;
  }

  /** Raw POST, exposed for tests that send deliberately invalid payloads. */
  async post(method: string, params: unknown): Promise<Response> {
    try {
      return await fetch(`http://banger/v1/${method}`, {
        method: "POST",
        unix: this.socket,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(params ?? {}),
      });
    } catch (err) {
      throw new BangerError("unavailable", `daemon not reachable at ${this.socket}: ${(err as Error).message}`);
    }
  }
}

async function readStream(res: Response, onEvent?: (e: ProgressEvent) => void): Promise<unknown> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const event = JSON.parse(line) as StreamEvent;
      if (event.type === "result") return event.result;
      if (event.type === "error") throw BangerError.fromBody({ error: event.error }, "operation failed");
      onEvent?.(event);
    }
  }
  throw new BangerError("unavailable", "daemon closed the stream before the operation finished (see `banger daemon logs`)");
}
