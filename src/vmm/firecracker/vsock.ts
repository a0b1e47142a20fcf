// Host-initiated connections over Firecracker's hybrid vsock (docs/vsock.md): connect to
// the VM's uds_path, send `CONNECT <port>\n` in ONE write (Firecracker reads it
// non-blocking with read_exact), expect `OK <host port>\n`, then the stream is a plain
// pipe to the guest listener. EOF instead of OK means nobody listens on that guest port
// (yet): the guest is still booting, or it is gone. Retry until the deadline.
import { type ByteStream, connectUnix, type SocketStream } from "../byte-stream.ts";

const MAX_ACK = 64;

/** Pure: parse the acknowledgement line; the bytes after it belong to the guest stream. */
export function parseAck(buf: Uint8Array): { ok: true; rest: Uint8Array } | { ok: false; reason: string } | null {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return buf.length > MAX_ACK ? { ok: false, reason: "acknowledgement line too long" } : null;
  const line = Buffer.from(buf.subarray(0, nl)).toString("latin1");
  if (!/^OK \d+$/.test(line)) return { ok: false, reason: `unexpected answer ${JSON.stringify(line.slice(0, 40))}` };
  return { ok: true, rest: buf.subarray(nl + 1) };
}

/** One attempt: resolves the stream, or rejects (ENOENT, refused, EOF before OK, timeout). */
export async function connectOnce(udsPath: string, port: number, timeoutMs: number): Promise<ByteStream> {
  const deadline = Date.now() + timeoutMs;
  const stream: SocketStream = await connectUnix(udsPath, timeoutMs);
  try {
    await stream.write(`CONNECT ${port}\n`);
    let buf = new Uint8Array(0);
    for (;;) {
      const chunk = await stream.read(Math.max(1, deadline - Date.now()));
      if (chunk === null) throw new Error(`vsock port ${port}: connection closed before OK (no guest listener yet)`);
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      const ack = parseAck(buf);
      if (ack === null) continue;
      if (!ack.ok) throw new Error(`vsock port ${port}: ${ack.reason}`);
      stream.unshift(ack.rest);
      return stream;
    }
  } catch (err) {
    stream.close();
    throw err;
  }
}

/** Retry connectOnce until `timeoutMs`; the last error explains a failure. */
export async function connectHybridVsock(udsPath: string, port: number, timeoutMs: number, retryMs = 200): Promise<ByteStream> {
  const deadline = Date.now() + timeoutMs;
  let last: Error = new Error("no attempt made");
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      return await connectOnce(udsPath, port, Math.min(left, 3000));
    } catch (err) {
      last = err as Error;
    }
    const pause = Math.min(retryMs, deadline - Date.now());
    if (pause <= 0) break;
    await Bun.sleep(pause);
  }
  throw new Error(`hybrid vsock ${udsPath} port ${port}: ${last.message}`);
}
