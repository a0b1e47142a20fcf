// A client for one repository of an OCI distribution / Docker v2 registry: manifests by
// tag or digest, and blobs streamed into the blob cache. Auth follows the registry's
// WWW-Authenticate challenge (bearer token, anonymous or with docker-config credentials;
// or basic). Redirects are followed by hand so credentials never leave the registry's
// origin. Transient failures are retried; an interrupted blob resumes with a Range
// request (or restarts cleanly when the server ignores it).
import { BangerError } from "../api/errors.ts";
import type { Logger } from "../log.ts";
import { basicHeader, fetchToken, parseChallenge, type Credentials } from "./auth.ts";
import type { BlobWriter } from "./blob-cache.ts";
import { MANIFEST_ACCEPT } from "./manifest.ts";
import { registryScheme, type ImageRef } from "./ref.ts";
import { DEFAULT_RETRY, statusIsTransient, TransientError, withRetry, type RetryPolicy } from "./retry.ts";

export interface RegistryClientOptions {
  ref: ImageRef;
  insecureRegistries: readonly string[];
  credentials: Credentials | null;
  log: Logger;
  retry?: RetryPolicy;
  /** Abort a transfer when no byte arrived for this long; default 60 s. */
  idleTimeoutMs?: number;
}

export interface FetchedManifest {
  bytes: Uint8Array;
  contentType: string | null;
  digest: string;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const PROGRESS_INTERVAL_MS = 200;

export class RegistryClient {
  private readonly base: string;
  private auth: string | null = null;
  private readonly retry: RetryPolicy;

  constructor(private readonly opts: RegistryClientOptions) {
    const scheme = registryScheme(opts.ref.registry, opts.insecureRegistries);
    this.base = `${scheme}://${opts.ref.registry}/v2/${opts.ref.repository}`;
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  private get name(): string {
    return `${this.opts.ref.registry}/${this.opts.ref.repository}`;
  }

  /** A manifest or index; its digest is computed here and checked against what was asked and what the registry claims. */
  async manifest(reference: string): Promise<FetchedManifest> {
    const what = `manifest ${this.name}:${reference}`;
    return withRetry(this.retry, what, async () => {
      const res = await this.get(`${this.base}/manifests/${reference}`, { accept: MANIFEST_ACCEPT });
      await this.expectOk(res, what);
      const declared = Number(res.headers.get("content-length"));
      if (declared > MAX_MANIFEST_BYTES) throw new BangerError("invalid_content", `${what} is larger than 4 MiB`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length > MAX_MANIFEST_BYTES) throw new BangerError("invalid_content", `${what} is larger than 4 MiB`);
      const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
      if (reference.startsWith("sha256:") && digest !== reference) {
        throw new BangerError("invalid_content", `${what} failed digest verification: content hashes to ${digest}`);
      }
      const claimed = res.headers.get("docker-content-digest");
      if (claimed && claimed.startsWith("sha256:") && claimed !== digest) {
        throw new BangerError("invalid_content", `${what}: registry claims digest ${claimed} but the content hashes to ${digest}`);
      }
      return { bytes, contentType: res.headers.get("content-type"), digest };
    });
  }

  /**
   * Stream blob `digest` into `writer` and commit it (verified). Bytes already in the
   * writer survive a failed attempt: the next one asks for the rest with a Range header.
   */
  async blob(digest: string, size: number | null, writer: BlobWriter, onBytes: (done: number) => void): Promise<void> {
    const what = `blob ${digest.slice(0, 19)} of ${this.name}`;
    await withRetry(
      this.retry,
      what,
      () => this.blobAttempt(digest, size, writer, onBytes, what),
      (attempt, err) => this.opts.log.warn("blob download retry", { digest, attempt, offset: writer.offset, error: err.message }),
    );
    writer.commit();
  }

  private async blobAttempt(digest: string, size: number | null, writer: BlobWriter, onBytes: (n: number) => void, what: string): Promise<void> {
    if (size !== null && writer.offset === size) return; // complete; commit verifies
    const idle = new IdleTimer(this.opts.idleTimeoutMs ?? 60_000);
    try {
      const headers: Record<string, string> = writer.offset > 0 ? { range: `bytes=${writer.offset}-` } : {};
      const res = await this.get(`${this.base}/blobs/${digest}`, headers, idle.signal);
      await this.expectOk(res, what);
      if (res.status !== 206 || !rangeStartsAt(res.headers.get("content-range"), writer.offset)) writer.restart();
      let last = 0;
      for await (const chunk of res.body ?? []) {
        idle.touch();
        writer.write(chunk);
        if (size !== null && writer.offset > size) throw new BangerError("invalid_content", `${what} is larger than the ${size} bytes its descriptor says`);
        if (Date.now() - last >= PROGRESS_INTERVAL_MS) {
          last = Date.now();
          onBytes(writer.offset);
        }
      }
      onBytes(writer.offset);
      if (size !== null && writer.offset < size) throw new TransientError(`${what} ended after ${writer.offset} of ${size} bytes`);
    } catch (err) {
      if (idle.fired) throw new TransientError(`${what} stalled for ${(this.opts.idleTimeoutMs ?? 60_000) / 1000}s`);
      throw err;
    } finally {
      idle.clear();
    }
  }

  private async expectOk(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    await res.body?.cancel().catch(() => {});
    if (res.status === 404) throw new BangerError("not_found", `${what} not found (HTTP 404)`);
    if (res.status === 401 || res.status === 403) {
      throw new BangerError("precondition", `${what}: access denied (HTTP ${res.status}); check credentials in the docker config`);
    }
    if (statusIsTransient(res.status)) throw new TransientError(`${what}: HTTP ${res.status}`);
    throw new BangerError("unavailable", `${what}: HTTP ${res.status}`);
  }

  /** GET with auth (answering one challenge) and hand-followed redirects. */
  private async get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    let res = await this.follow(url, headers, signal);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get("www-authenticate"));
      await res.body?.cancel().catch(() => {});
      if (!challenge) throw new BangerError("precondition", `${this.name}: HTTP 401 without an authentication challenge`);
      this.auth = await this.answer(challenge);
      res = await this.follow(url, headers, signal);
    }
    return res;
  }

  private async answer(challenge: NonNullable<ReturnType<typeof parseChallenge>>): Promise<string> {
    const creds = this.opts.credentials;
    if (challenge.scheme === "basic") {
      const header = creds ? basicHeader(creds) : null;
      if (!header) throw new BangerError("precondition", `${this.name} requires a login: add credentials with \`docker login ${this.opts.ref.registry}\``);
      return header;
    }
    const token = await fetchToken({
      challenge,
      scope: `repository:${this.opts.ref.repository}:pull`,
      credentials: creds,
      allowHttpRealm: this.base.startsWith("http:"),
      fetch,
    });
    return `Bearer ${token}`;
  }

  private async follow(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const origin = new URL(url).origin;
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = new URL(current).origin === origin;
      const h = { ...headers, ...(this.auth && sameOrigin ? { authorization: this.auth } : {}) };
      const res = await fetch(current, { headers: h, redirect: "manual", signal });
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel().catch(() => {});
      current = new URL(location, current).href;
    }
    throw new BangerError("unavailable", `${this.name}: too many redirects for ${url}`);
  }
}

/** Pure: does a Content-Range header ("bytes 100-199/200") start at `offset`? */
export function rangeStartsAt(header: string | null, offset: number): boolean {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? "");
  return m !== null && Number(m[1]) === offset;
}

class IdleTimer {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout>;
  fired = false;

  constructor(private readonly ms: number) {
    this.timer = this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private arm(): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.ms);
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
