// The RPC app in-process (createApp + app.request): validation, error mapping, and
// NDJSON streaming observed event by event while the handler is still running.
import { describe, expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import { OperationRegistry } from "../../../src/daemon/ops.ts";
import { createApp, serveUnix, type Handlers } from "../../../src/daemon/server.ts";
import { silentLogger } from "../../../src/log.ts";

function app(handlers: Handlers, ops = new OperationRegistry()) {
  return createApp({ handlers, ops, log: silentLogger });
}
const post = (a: ReturnType<typeof app>, method: string, body: unknown) =>
  a.request(`/v1/${method}`, { method: "POST", body: JSON.stringify(body) });

describe("RPC server", () => {
  test("validated params reach the handler; defaults applied", async () => {
    let seen: unknown;
    const a = app({ "daemon.operations.list": async (p) => ((seen = p), { operations: [] }) });
    const res = await post(a, "daemon.operations.list", {});
    expect(res.status).toBe(200);
    expect(seen).toEqual({ include_done: true });
  });

  test("wrong type names the field; unknown field named; never reaches the handler", async () => {
    let calls = 0;
    const a = app({ "daemon.operations.list": async () => (calls++, { operations: [] }) });
    const r1 = await post(a, "daemon.operations.list", { include_done: 3 });
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as any).error).toMatchObject({ code: "invalid_params", details: { field: "include_done" } });
    const r2 = await post(a, "daemon.operations.list", { x: 1 });
    expect(((await r2.json()) as any).error.message).toBe('invalid params for daemon.operations.list: unknown field "x"');
    expect(calls).toBe(0);
  });

  test("BangerError maps to its HTTP status; other errors to 500", async () => {
    const a = app({
      "daemon.ping": async () => {
        throw new BangerError("not_found", "no such thing");
      },
      "daemon.status": async () => {
        throw new Error("boom");
      },
    });
    const r1 = await post(a, "daemon.ping", {});
    expect(r1.status).toBe(404);
    expect(await r1.json()).toEqual({ error: { code: "not_found", message: "no such thing" } });
    const r2 = await post(a, "daemon.status", {});
    expect(r2.status).toBe(500);
    expect(((await r2.json()) as any).error.message).toBe("boom");
    expect((await post(a, "daemon.shutdown", {})).status).toBe(404); // not wired in this app
  });

  test("stream: each stage is readable before the handler finishes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ops = new OperationRegistry();
    const a = app(
      {
        "doctor.run": async (_p, ctx) => {
          ctx.progress.stage("one", "first stage");
          await gate;
          ctx.progress.stage("two", "second stage");
          return { checks: [], ok: true };
        },
      },
      ops,
    );
    const res = await post(a, "doctor.run", {});
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = JSON.parse((await reader.read()).value!.trim());
    expect(first).toMatchObject({ type: "stage", stage: "one" });
    expect(ops.inFlight()).toBe(1);
    expect(ops.list()[0]!.stage).toBe("one");
    release();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
    }
    const events = rest.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["stage", "result"]);
    expect(ops.inFlight()).toBe(0);
  });

  test("stream: a failing operation ends with one error line and is recorded", async () => {
    const ops = new OperationRegistry();
    const a = app({ "doctor.run": async () => { throw new BangerError("conflict", "busy"); } }, ops);
    const text = await (await post(a, "doctor.run", {})).text();
    expect(JSON.parse(text.trim())).toEqual({ type: "error", error: { code: "conflict", message: "busy" } });
    expect(ops.list()[0]).toMatchObject({ done: true, error: "busy" });
  });
});

test("the daemon's server keeps a silent stream open past Bun's default 10 s idle timeout", async () => {
  const { mkdtempSync } = await import("node:fs");
  const sock = `${mkdtempSync("/tmp/bgs-")}/s.sock`;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const a = app({
    "doctor.run": async (_p, ctx) => {
      ctx.progress.stage("one", "first");
      await gate;
      return { checks: [], ok: true };
    },
  });
  const server = serveUnix(sock, a);
  try {
    const pending = fetch("http://x/v1/doctor.run", { method: "POST", unix: sock, body: "{}" }).then((r) => r.text());
    await Bun.sleep(11_000);
    release();
    const lines = (await pending).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ type: "result" });
  } finally {
    server.stop(true);
  }
}, 20_000);
