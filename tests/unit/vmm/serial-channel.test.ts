// The virtio-serial agent channel: one stream at a time per socket, stale bytes dropped.
import { afterEach, expect, test } from "bun:test";
import { connectSerialChannel } from "../../../src/vmm/qemu/serial-channel.ts";
import { type TestServer, unixServer } from "./helpers.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test("concurrent callers are served one after another", async () => {
  let opened = 0;
  server = await unixServer(() => void opened++);
  const a = await connectSerialChannel(server.path, 2000);
  let aClosed = false;
  let bGotItWhileAOpen = false;
  const bPromise = connectSerialChannel(server.path, 2000).then((b) => {
    bGotItWhileAOpen = !aClosed;
    return b;
  });
  await Bun.sleep(100);
  expect(opened).toBe(1); // b has not even connected
  aClosed = true;
  a.close();
  const b = await bPromise;
  expect(bGotItWhileAOpen).toBe(false);
  b.close();
  b.close(); // idempotent: releases once
  const c = await connectSerialChannel(server.path, 2000);
  c.close();
  expect(opened).toBe(3);
});

test("a caller waiting past its deadline gives up, and the queue still moves", async () => {
  server = await unixServer(() => {});
  const a = await connectSerialChannel(server.path, 2000);
  await expect(connectSerialChannel(server.path, 100)).rejects.toThrow("busy");
  a.close();
  const b = await connectSerialChannel(server.path, 1000);
  b.close();
});

test("bytes already waiting on connect (an abandoned response) are discarded", async () => {
  server = await unixServer((sock) => {
    sock.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
    sock.on("data", () => sock.write("fresh"));
  });
  const s = await connectSerialChannel(server.path, 2000);
  await s.write("GET");
  expect(new TextDecoder().decode((await s.read(1000))!)).toBe("fresh");
  s.close();
});

test("retries until the socket appears, then fails at the deadline", async () => {
  await expect(connectSerialChannel("/nonexistent/agent.sock", 150, 20)).rejects.toThrow("virtio-serial /nonexistent/agent.sock");
});
