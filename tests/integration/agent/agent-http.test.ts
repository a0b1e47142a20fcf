// The real agent binary in its Unix-socket test mode: endpoints and HTTP robustness.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { AGENT_TEST_VERSION, RawHttp, agentGet, startTestAgent } from "../../fixtures/agent.ts";

let agent: Awaited<ReturnType<typeof startTestAgent>>;

beforeAll(async () => {
  agent = await startTestAgent();
}, 60_000);

afterAll(async () => {
  await agent?.stop();
});

describe("endpoints", () => {
  test("GET /healthz reports version, uptime, boot id and hostname", async () => {
    const res = await agentGet(agent.sock, "/healthz");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const h = res.json();
    expect(h.version).toBe(AGENT_TEST_VERSION);
    expect(h.uptime_s).toBeGreaterThan(0);
    expect(h.boot_id).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    expect(h.hostname).toBe(hostname());
  });

  test("GET /sysinfo reports memory, load and disks of / and /root", async () => {
    const s = (await agentGet(agent.sock, "/sysinfo")).json();
    expect(s.memory.total_bytes).toBeGreaterThan(0);
    expect(s.memory.available_bytes).toBeGreaterThan(0);
    expect(s.memory.available_bytes).toBeLessThanOrEqual(s.memory.total_bytes);
    expect(typeof s.load["1m"]).toBe("number");
    expect(s.cpus).toBeGreaterThan(0);
    const paths = s.disks.map((d: { path: string }) => d.path);
    expect(paths).toEqual(["/", "/root"]);
    for (const d of s.disks) expect(d.total_bytes).toBeGreaterThanOrEqual(d.available_bytes);
  });

  test(
    "GET /ports lists real TCP/UDP v4+v6 listeners with pid, name and cmdline",
    async () => {
      const marker = `ports-marker-${process.pid}`;
      const script = `
        const net = require("node:net"), dgram = require("node:dgram");
        const out = {};
        const tcp = (host, key) => new Promise(r => { const s = net.createServer(); s.listen(0, host, () => { out[key] = s.address().port; r(); }); });
        const udp = (type, host, key) => new Promise(r => { const s = dgram.createSocket(type); s.bind(0, host, () => { out[key] = s.address().port; r(); }); });
        await tcp("127.0.0.1", "tcp4"); await tcp("::1", "tcp6");
        await udp("udp4", "127.0.0.1", "udp4"); await udp("udp6", "::1", "udp6");
        console.log(JSON.stringify(out));
        setInterval(() => {}, 1000);`;
      const child = Bun.spawn([process.execPath, "-e", script, marker], { stdout: "pipe", stderr: "inherit" });
      try {
        const reader = child.stdout.getReader();
        const { value } = await reader.read();
        const want = JSON.parse(new TextDecoder().decode(value));
        const ports = (await agentGet(agent.sock, "/ports")).json().ports;
        const find = (proto: string, family: string, port: number) =>
          ports.find((p: any) => p.proto === proto && p.family === family && p.port === port);
        const cases: Array<[string, string, number, string]> = [
          ["tcp", "ipv4", want.tcp4, "127.0.0.1"],
          ["tcp", "ipv6", want.tcp6, "::1"],
          ["udp", "ipv4", want.udp4, "127.0.0.1"],
          ["udp", "ipv6", want.udp6, "::1"],
        ];
        for (const [proto, family, port, address] of cases) {
          const p = find(proto, family, port);
          expect(p, `${proto}/${family} port ${port}`).toBeDefined();
          expect(p.address).toBe(address);
          expect(p.pid).toBe(child.pid);
          expect(p.process).toBe(readFileSync(`/proc/${child.pid}/comm`, "utf8").trim());
          expect(p.cmdline).toContain(marker);
          expect(p.argv.at(-1)).toBe(marker);
        }
      } finally {
        child.kill();
        await child.exited;
      }
    },
    30_000,
  );

  test("unknown path -> 404, wrong method -> 405 with Allow", async () => {
    const r404 = await agentGet(agent.sock, "/nope");
    expect(r404.status).toBe(404);
    expect(r404.json().error.code).toBe("not_found");
    const r405 = await agentGet(agent.sock, "/healthz", "POST");
    expect(r405.status).toBe(405);
    expect(r405.headers.allow).toBe("GET");
    expect((await agentGet(agent.sock, "/shutdown")).status).toBe(405);
  });
});

describe("HTTP robustness", () => {
  const malformed = [
    "GARBAGE\r\n\r\n",
    "GET /healthz\r\n\r\n",
    "GET healthz HTTP/1.1\r\n\r\n",
    "GET /healthz HTTP/2.0\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "GET /healthz HTTP/1.1\nHost: x\n\n\r\n\r\n",
    "\r\n\r\n",
  ];
  for (const raw of malformed) {
    test(`malformed ${JSON.stringify(raw.slice(0, 40))} -> 400 and the connection closes`, async () => {
      const c = await RawHttp.connect(agent.sock);
      c.write(raw);
      const res = await c.readResponse();
      expect(res.status).toBe(400);
      expect(res.json().error.code).toBe("bad_request");
      expect(res.headers.connection).toBe("close");
      await c.closedPromise;
    });
  }

  test("chunked bodies -> 411", async () => {
    const c = await RawHttp.connect(agent.sock);
    c.write("POST /shutdown HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    expect((await c.readResponse()).status).toBe(411);
    c.close();
  });

  test("oversized body -> 413", async () => {
    const c = await RawHttp.connect(agent.sock);
    c.write("POST /shutdown HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n");
    const res = await c.readResponse();
    expect(res.status).toBe(413);
    expect(res.json().error.code).toBe("payload_too_large");
    await c.closedPromise;
  });

  test("oversized head -> 413", async () => {
    const c = await RawHttp.connect(agent.sock);
    c.write(`GET /healthz HTTP/1.1\r\nX-Big: ${"a".repeat(20000)}\r\n\r\n`);
    expect((await c.readResponse()).status).toBe(413);
    await c.closedPromise;
  });

  test("100 sequential requests on one keep-alive connection", async () => {
    const c = await RawHttp.connect(agent.sock);
    const paths = ["/healthz", "/sysinfo", "/ports", "/nope"];
    for (let i = 0; i < 100; i++) {
      const path = paths[i % paths.length]!;
      c.request("GET", path);
      const res = await c.readResponse();
      expect(res.status).toBe(path === "/nope" ? 404 : 200);
      expect(res.headers.connection).toBe("keep-alive");
    }
    expect(c.closed).toBe(false);
    c.close();
  }, 60_000);

  test("pipelined requests get answers in order", async () => {
    const c = await RawHttp.connect(agent.sock);
    c.write("GET /healthz HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /sysinfo HTTP/1.1\r\nConnection: close\r\n\r\n");
    expect((await c.readResponse()).status).toBe(200);
    expect((await c.readResponse()).status).toBe(404);
    const last = await c.readResponse();
    expect(last.status).toBe(200);
    expect(last.headers.connection).toBe("close");
    await c.closedPromise;
  });

  test("HTTP/1.0 without keep-alive closes after the response", async () => {
    const c = await RawHttp.connect(agent.sock);
    c.write("GET /healthz HTTP/1.0\r\n\r\n");
    expect((await c.readResponse()).headers.connection).toBe("close");
    await c.closedPromise;
  });

  test("a client that disconnects mid-request does not hurt the agent", async () => {
    for (const partial of ["GET /heal", "GET /healthz HTTP/1.1\r\nHost:", "POST /shutdown HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"]) {
      const c = await RawHttp.connect(agent.sock);
      c.write(partial);
      await Bun.sleep(50);
      c.close();
    }
    const res = await agentGet(agent.sock, "/healthz");
    expect(res.status).toBe(200);
    expect(agent.proc.exitCode).toBeNull();
  });

  test("binary junk and NUL bytes get a 4xx, never a crash", async () => {
    const c = await RawHttp.connect(agent.sock);
    c.write(new Uint8Array([0, 1, 2, 255, 13, 10, 13, 10]));
    const res = await c.readResponse();
    expect(res.status).toBe(400);
    expect((await agentGet(agent.sock, "/healthz")).status).toBe(200);
  });

  test("many concurrent connections are served", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => agentGet(agent.sock, "/healthz")));
    expect(results.every((r) => r.status === 200)).toBe(true);
  });
});

describe("POST /shutdown in test mode", () => {
  test("answers 202 and the agent exits (never powers off the host)", async () => {
    const other = await startTestAgent();
    const res = await agentGet(other.sock, "/shutdown", "POST");
    expect(res.status).toBe(202);
    expect(res.json()).toEqual({ status: "shutting down", action: "test-exit" });
    expect(await other.proc.exited).toBe(0);
    await other.stop();
  }, 20_000);
});
