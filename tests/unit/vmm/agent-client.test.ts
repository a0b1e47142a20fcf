// The agent HTTP client: response parsing (pure) and requests over in-memory streams.
import { describe, expect, test } from "bun:test";
import { AgentClient, AgentError, formatRequest, parseResponse } from "../../../src/guest/agent-client.ts";
import { type ByteStream, StreamTimeoutError } from "../../../src/vmm/byte-stream.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("parseResponse", () => {
  test("complete response by Content-Length, trailing bytes ignored", () => {
    const r = parseResponse(enc('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}EXTRA'), false)!;
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(text(r.body)).toBe('{"ok":true}');
  });

  test("incomplete head or body: null until more bytes arrive", () => {
    expect(parseResponse(enc("HTTP/1.1 200 OK\r\nContent-Len"), false)).toBeNull();
    expect(parseResponse(enc("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), false)).toBeNull();
  });

  test("no Content-Length: the body runs to end of stream", () => {
    expect(parseResponse(enc("HTTP/1.1 202 Accepted\r\n\r\nabc"), false)).toBeNull();
    expect(text(parseResponse(enc("HTTP/1.1 202 Accepted\r\n\r\nabc"), true)!.body)).toBe("abc");
  });

  test("protocol errors", () => {
    const bad = (s: string, eof = false) => () => parseResponse(enc(s), eof);
    expect(bad("", true)).toThrow("without answering");
    expect(bad("HTTP/1.1 200", true)).toThrow("mid-headers");
    expect(bad("SSH-2.0-OpenSSH\r\n\r\n")).toThrow("bad agent status line");
    expect(bad("HTTP/1.1 200 OK\r\nnocolon\r\n\r\n")).toThrow("bad agent header line");
    expect(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")).toThrow("transfer-encoding");
    expect(bad("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")).toThrow("Content-Length");
    expect(bad("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", true)).toThrow("truncated");
    try {
      bad("garbage\r\n\r\n")();
    } catch (err) {
      expect(err).toBeInstanceOf(AgentError);
      expect((err as AgentError).kind).toBe("protocol");
    }
  });
});

test("formatRequest: one write, Content-Length, Connection: close", () => {
  expect(formatRequest("GET", "/healthz")).toBe("GET /healthz HTTP/1.1\r\nHost: banger-agent\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  expect(formatRequest("POST", "/x", "{}")).toContain("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
});

/** A scripted stream: records writes, answers with the given chunks (or stalls). */
function scripted(chunks: Array<string | null>, log: string[] = []): ByteStream & { closed: boolean } {
  const queue = [...chunks];
  const s = {
    closed: false,
    async write(d: string | Uint8Array) {
      log.push(typeof d === "string" ? d : text(d));
    },
    async read(timeoutMs: number) {
      if (queue.length === 0) {
        await Bun.sleep(timeoutMs);
        throw new StreamTimeoutError("scripted", timeoutMs);
      }
      const next = queue.shift()!;
      return next === null ? null : enc(next);
    },
    close() {
      s.closed = true;
    },
  };
  return s;
}

describe("AgentClient", () => {
  test("healthz over a stream delivering the response in pieces; stream closed", async () => {
    const writes: string[] = [];
    const stream = scripted(["HTTP/1.1 200 OK\r\nContent-Le", 'ngth: 17\r\n\r\n{"version":', '"1.0"}'], writes);
    const client = new AgentClient(async () => stream);
    expect((await client.healthz()).version).toBe("1.0");
    expect(writes).toEqual([formatRequest("GET", "/healthz")]);
    expect(stream.closed).toBe(true);
  });

  test("ports unwraps {ports}", async () => {
    const body = JSON.stringify({ ports: [{ proto: "tcp", port: 22 }] });
    const client = new AgentClient(async () => scripted([`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`]));
    expect((await client.ports())[0]!.port).toBe(22);
  });

  test("non-2xx -> AgentError status with the HTTP status", async () => {
    const body = '{"error":{"code":"not_found"}}';
    const client = new AgentClient(async () => scripted([`HTTP/1.1 404 Not Found\r\nContent-Length: ${body.length}\r\n\r\n${body}`]));
    const err = (await client.sysinfo().catch((e) => e)) as AgentError;
    expect(err.kind).toBe("status");
    expect(err.httpStatus).toBe(404);
  });

  test("a 400 is retried once on a fresh connection", async () => {
    let n = 0;
    const client = new AgentClient(async () =>
      ++n === 1 ? scripted(["HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}"]) : scripted(['HTTP/1.1 202 Accepted\r\nContent-Length: 22\r\n\r\n{"status":"bye","a":1}']),
    );
    expect((await client.shutdown()).status).toBe("bye");
    expect(n).toBe(2);
  });

  test("connect failure -> unreachable; stall -> timeout; EOF -> protocol", async () => {
    const unreachable = new AgentClient(async () => {
      throw new Error("ECONNREFUSED");
    });
    expect(((await unreachable.healthz().catch((e) => e)) as AgentError).kind).toBe("unreachable");
    const stalled = new AgentClient(async () => scripted([]));
    const started = Date.now();
    expect(((await stalled.healthz(200).catch((e) => e)) as AgentError).kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1000);
    const eof = new AgentClient(async () => scripted([null]));
    expect(((await eof.healthz().catch((e) => e)) as AgentError).kind).toBe("protocol");
  });
});
