// Download a URL (http, https or file) to a file while hashing it (sha256) in the same
// pass. The caller verifies the digest before anything reads the content. A stalled
// transfer is aborted after an idle window instead of hanging the operation forever.
import { open, rm } from "node:fs/promises";
import { BangerError } from "../api/errors.ts";
import type { ProgressSink } from "../api/progress.ts";

export interface DownloadOptions {
  sink: ProgressSink;
  /** Progress item name (e.g. the bundle file name). */
  item: string;
  /** Abort when no byte arrived for this long; default 60 s. */
  idleTimeoutMs?: number;
}

export interface Downloaded {
  sha256: string;
  bytes: number;
}

const PROGRESS_INTERVAL_MS = 200;

/** GET `url` into `dest` (created or truncated). On failure `dest` is removed. */
export async function downloadTo(url: string, dest: string, opts: DownloadOptions): Promise<Downloaded> {
  const abort = new AbortController();
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let idle = setTimeout(() => abort.abort(), idleMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(), idleMs);
  };
  try {
    const res = await get(url, abort.signal);
    return await saveBody(res, dest, opts, touch);
  } catch (err) {
    await rm(dest, { force: true });
    if (abort.signal.aborted) throw new BangerError("unavailable", `download of ${url} stalled for ${idleMs / 1000}s; aborted`);
    throw err;
  } finally {
    clearTimeout(idle);
  }
}

async function get(url: string, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw new BangerError("unavailable", `cannot download ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    const code = res.status === 404 ? "not_found" : "unavailable";
    throw new BangerError(code, `cannot download ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  return res;
}

async function saveBody(res: Response, dest: string, opts: DownloadOptions, touch: () => void): Promise<Downloaded> {
  const length = Number(res.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const hash = new Bun.CryptoHasher("sha256");
  const file = await open(dest, "w", 0o600);
  let done = 0;
  let lastReport = 0;
  try {
    for await (const chunk of res.body ?? []) {
      touch();
      hash.update(chunk);
      await file.write(chunk);
      done += chunk.length;
      if (Date.now() - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = Date.now();
        opts.sink.bytes(opts.item, done, total);
      }
    }
  } finally {
    await file.close();
  }
  if (total !== null && done !== total) {
    throw new BangerError("unavailable", `download of ${res.url} ended after ${done} of ${total} bytes`);
  }
  opts.sink.bytes(opts.item, done, total, true);
  return { sha256: hash.digest("hex"), bytes: done };
}
