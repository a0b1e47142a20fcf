import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobCache } from "../../../src/oci/blob-cache.ts";
import { sniffCompression } from "../../../src/oci/decompress.ts";
import { rangeStartsAt } from "../../../src/oci/registry.ts";
import { backoffMs, isTransient, TransientError, withRetry } from "../../../src/oci/retry.ts";
import { BangerError } from "../../../src/api/errors.ts";
import { sha256 } from "../../fixtures/oci-builder.ts";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function cache(): BlobCache {
  const dir = mkdtempSync(join(tmpdir(), "blobcache-"));
  roots.push(dir);
  const c = new BlobCache(join(dir, "oci"));
  c.ensureLayout();
  return c;
}

const bytes = (s: string) => new TextEncoder().encode(s);

test("layout files and verified commits", () => {
  const c = cache();
  expect(JSON.parse(readFileSync(join(c.dir, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
  const data = bytes("hello blob");
  const w = c.writer(sha256(data), data.length);
  w.write(data.subarray(0, 3));
  w.write(data.subarray(3));
  expect(w.commit()).toBe(sha256(data));
  expect(c.has(sha256(data))).toBe(true);
  expect(c.putBytes(bytes("x"))).toBe(sha256(bytes("x")));
  expect(readdirSync(join(c.dir, "ingest"))).toEqual([]);
});

test("a digest or size mismatch never enters the cache", () => {
  const c = cache();
  const want = sha256(bytes("expected"));
  const w = c.writer(want, 8);
  w.write(bytes("tampered"));
  expect(() => w.commit()).toThrow(`blob ${want} failed digest verification`);
  expect(c.has(want)).toBe(false);
  const short = c.writer(sha256(bytes("abc")), 4);
  short.write(bytes("abc"));
  expect(() => short.commit()).toThrow("has 3 bytes, expected 4");
  expect(readdirSync(join(c.dir, "ingest"))).toEqual([]);
  expect(readdirSync(c.blobsDir)).toEqual([]);
});

test("restart empties a half-written blob", () => {
  const c = cache();
  const data = bytes("complete content");
  const w = c.writer(sha256(data), data.length);
  w.write(bytes("garbage from a failed try"));
  w.restart();
  expect(w.offset).toBe(0);
  w.write(data);
  expect(w.commit()).toBe(sha256(data));
});

test("verify removes a corrupt blob", async () => {
  const c = cache();
  const d = c.putBytes(bytes("good"));
  expect(await c.verify(d)).toBe(true);
  expect(await c.verify(d, 99)).toBe(false);
  expect(c.has(d)).toBe(false);
  const e = c.putBytes(bytes("again"));
  writeFileSync(c.path(e), "evil!");
  expect(await c.readVerified(e)).toBeNull();
  expect(c.has(e)).toBe(false);
});

test("prune keeps referenced and pinned blobs, removes the rest and stale temp files", () => {
  const c = cache();
  const keep = c.putBytes(bytes("keep me"));
  const pinned = c.putBytes(bytes("pinned"));
  const drop = c.putBytes(bytes("drop me"));
  writeFileSync(join(c.dir, "ingest", "leftover-1-abc"), "partial");
  const open = c.writer(null);
  const release = c.pin([pinned]);
  const dry = c.prune(new Set([keep]), true);
  expect(dry).toEqual({ freed_bytes: 7 + 7, blobs: 1, dir: c.dir, dry_run: true });
  expect(c.has(drop)).toBe(true);
  const real = c.prune(new Set([keep]), false);
  expect(real.blobs).toBe(1);
  expect([c.has(keep), c.has(pinned), c.has(drop)]).toEqual([true, true, false]);
  expect(existsSync(open.tmp)).toBe(true);
  expect(readdirSync(join(c.dir, "ingest"))).toEqual([open.tmp.split("/").pop()!]);
  release();
  open.abort();
  expect(c.prune(new Set([keep]), false).blobs).toBe(1);
  expect(readdirSync(c.dir).filter((n) => n.startsWith(".pruning"))).toEqual([]);
});

test("compression sniffing and range headers", () => {
  expect(sniffCompression(new Uint8Array([0x1f, 0x8b, 8, 0]))).toBe("gzip");
  expect(sniffCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]))).toBe("zstd");
  expect(sniffCompression(bytes("usr/"))).toBe("none");
  expect(rangeStartsAt("bytes 100-199/200", 100)).toBe(true);
  expect(rangeStartsAt("bytes 0-199/200", 100)).toBe(false);
  expect(rangeStartsAt(null, 0)).toBe(false);
});

test("retries: transient errors only, with growing backoff", async () => {
  expect(backoffMs({ attempts: 5, baseDelayMs: 100 }, 2, 0)).toBe(100);
  expect(backoffMs({ attempts: 5, baseDelayMs: 100 }, 4, 0)).toBe(400);
  expect(backoffMs({ attempts: 5, baseDelayMs: 100 }, 4, 1)).toBe(500);
  expect(isTransient(new TypeError("fetch failed"))).toBe(true);
  expect(isTransient(new BangerError("not_found", "x"))).toBe(false);
  let calls = 0;
  const ok = await withRetry({ attempts: 3, baseDelayMs: 1 }, "t", async () => {
    if (++calls < 3) throw new TransientError("flaky");
    return "done";
  });
  expect([ok, calls]).toEqual(["done", 3]);
  calls = 0;
  const hard = await withRetry({ attempts: 5, baseDelayMs: 1 }, "t", async () => {
    calls++;
    throw new BangerError("invalid_content", "lies");
  }).catch((e) => e);
  expect([hard.message, calls]).toEqual(["lies", 1]);
  const exhausted = await withRetry({ attempts: 2, baseDelayMs: 1 }, "blob x", async () => {
    throw new TypeError("socket hang up");
  }).catch((e) => e);
  expect(exhausted.message).toBe("blob x failed after 2 attempt(s): socket hang up");
});
