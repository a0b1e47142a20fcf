// Hybrid vsock client against scripted Unix servers.
import { afterEach, describe, expect, test } from "bun:test";
import { connectHybridVsock, parseAck } from "../../../src/vmm/firecracker/vsock.ts";
import { type TestServer, unixServer } from "./helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("parseAck", () => {
  test("OK line, rest kept", () => {
    const r = parseAck(enc("OK 1073741824\nHTTP/1.1"));
    expect(r && r.ok && new TextDecoder().decode(r.rest)).toBe("HTTP/1.1");
  });
  test("incomplete, wrong, too long", () => {
    expect(parseAck(enc("OK 107"))).toBeNull();
    expect(parseAck(enc("NOPE\n"))).toEqual({ ok: false, reason: 'unexpected answer "NOPE"' });
    expect(parseAck(enc("x".repeat(100)))).toEqual({ ok: false, reason: "acknowledgement line too long" });
  });
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test("CONNECT in one write; EOF means retry; bytes after OK reach the caller", async () => {
  const firstChunks: string[] = [];
  server = await unixServer((sock, i) => {
    sock.once("data", (d) => {
      firstChunks.push(d.toString());
      if (i < 2) return void sock.end(); // nobody listening in the guest yet
      sock.write("OK 1073741825\nhello");
      sock.on("data", (more) => sock.write(`echo:${more}`));
    });
  });
  const stream = await connectHybridVsock(server.path, 10240, 5000, 20);
  expect(firstChunks).toEqual(["CONNECT 10240\n", "CONNECT 10240\n", "CONNECT 10240\n"]);
  expect(new TextDecoder().decode((await stream.read(1000))!)).toBe("hello");
  await stream.write("ping");
  expect(new TextDecoder().decode((await stream.read(1000))!)).toBe("echo:ping");
  stream.close();
});

test("gives up at the deadline with the last reason", async () => {
  server = await unixServer((sock) => sock.once("data", () => sock.end()));
  const started = Date.now();
  await expect(connectHybridVsock(server.path, 52, 400, 50)).rejects.toThrow("connection closed before OK");
  expect(Date.now() - started).toBeLessThan(2000);
  await expect(connectHybridVsock(`${server.path}.missing`, 52, 200, 50)).rejects.toThrow("ENOENT");
});
