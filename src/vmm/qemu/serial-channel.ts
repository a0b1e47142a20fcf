// The agent's virtio-serial port is ONE byte stream: QEMU's socket chardev serves a
// single client, and the agent answers requests in order on it. So connections to it
// are handed out one at a time per socket (a queue), each released by close(). Bytes
// that arrive before our request is written belong to an earlier, abandoned request
// (e.g. one that timed out) and are discarded.
import { type ByteStream, connectUnix, type SocketStream } from "../byte-stream.ts";

const DRAIN_MS = 25;

/** FIFO turns on one socket; dropped from `queues` when nobody holds or waits. */
class Queue {
  private tail: Promise<void> = Promise.resolve();
  private users = 0;

  constructor(private readonly path: string) {}

  /** Resolves with a release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const prev = this.tail;
    this.tail = prev.then(() => mine);
    this.users++;
    let done = false;
    const releaseOnce = () => {
      if (done) return;
      done = true;
      if (--this.users === 0 && queues.get(this.path) === this) queues.delete(this.path);
      release();
    };
    return prev.then(() => releaseOnce);
  }
}

const queues = new Map<string, Queue>();

function queueFor(path: string): Queue {
  let q = queues.get(path);
  if (!q) queues.set(path, (q = new Queue(path)));
  return q;
}

/** A stream that releases the channel on close (exactly once). */
class ChannelStream implements ByteStream {
  constructor(
    private readonly inner: SocketStream,
    private readonly release: () => void,
  ) {}

  write(data: string | Uint8Array): Promise<void> {
    return this.inner.write(data);
  }

  read(timeoutMs: number): Promise<Uint8Array | null> {
    return this.inner.read(timeoutMs);
  }

  close(): void {
    this.inner.close();
    this.release();
  }
}

async function drainStale(stream: SocketStream): Promise<void> {
  const until = Date.now() + DRAIN_MS;
  for (let left = DRAIN_MS; left > 0; left = until - Date.now()) {
    try {
      if ((await stream.read(left)) === null) return;
    } catch {
      return; // quiet: nothing stale
    }
  }
}

/** Connect to the serial chardev socket once it is our turn, retrying until `timeoutMs`. */
export async function connectSerialChannel(path: string, timeoutMs: number, retryMs = 100): Promise<ByteStream> {
  const deadline = Date.now() + timeoutMs;
  const release = await withDeadline(queueFor(path).acquire(), deadline, path);
  try {
    let last: Error = new Error("no attempt made");
    while (Date.now() < deadline) {
      try {
        const stream = await connectUnix(path, Math.max(1, deadline - Date.now()));
        await drainStale(stream);
        return new ChannelStream(stream, release);
      } catch (err) {
        last = err as Error;
        await Bun.sleep(Math.min(retryMs, Math.max(0, deadline - Date.now())));
      }
    }
    throw new Error(`virtio-serial ${path}: ${last.message}`);
  } catch (err) {
    release();
    throw err;
  }
}

/** Wait for our turn, but not past the deadline (then give the turn back when it comes). */
async function withDeadline(turn: Promise<() => void>, deadline: number, path: string): Promise<() => void> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`virtio-serial ${path}: busy (another agent request in progress)`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([turn, timeout]);
  } catch (err) {
    void turn.then((release) => release());
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
