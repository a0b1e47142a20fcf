import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { downloadTo } from "../../../src/kernels/download.ts";
import { serveFiles, sha256 } from "../../fixtures/kernel-bundle.ts";

const dir = mkdtempSync(join(tmpdir(), "bk-dl-"));
const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
let stalled: ReadableStreamDefaultController<Uint8Array> | null = null;
const server = serveFiles({
  "/data": data,
  "/stall": () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          stalled = c;
          c.enqueue(new Uint8Array(1000));
        },
      }),
    ),
});
afterAll(() => {
  try {
    stalled?.close(); // already closed when the aborted client cancelled the stream
  } catch {}
  server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("streams to the file, hashes on the way, reports bytes against Content-Length", async () => {
  const events: [number, number | null, boolean][] = [];
  const sink = { stage() {}, notice() {}, bytes: (_: string, done: number, total: number | null, fin?: boolean) => void events.push([done, total, !!fin]) };
  const got = await downloadTo(`${server.url}/data`, join(dir, "a"), { sink, item: "data" });
  expect(got).toEqual({ sha256: sha256(data), bytes: data.length });
  expect(sha256(readFileSync(join(dir, "a")))).toBe(sha256(data));
  expect(events.at(-1)).toEqual([data.length, data.length, true]);
});

test("HTTP errors and unreachable hosts: clear errors, no file", async () => {
  const sink = { stage() {}, notice() {}, bytes() {} };
  await expect(downloadTo(`${server.url}/missing`, join(dir, "b"), { sink, item: "b" })).rejects.toMatchObject({ code: "not_found" });
  await expect(downloadTo("http://127.0.0.1:1/x", join(dir, "b"), { sink, item: "b" })).rejects.toThrow(/cannot download/);
  expect(existsSync(join(dir, "b"))).toBe(false);
});

test("a transfer that stops sending is aborted after the idle window and its file removed", async () => {
  const sink = { stage() {}, notice() {}, bytes() {} };
  await expect(downloadTo(`${server.url}/stall`, join(dir, "c"), { sink, item: "c", idleTimeoutMs: 300 })).rejects.toThrow(/stalled/);
  expect(existsSync(join(dir, "c"))).toBe(false);
});
