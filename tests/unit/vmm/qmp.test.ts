// QMP client against a scripted QMP server on a Unix socket.
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "node:net";
import { QmpClient, QmpError, splitMessages } from "../../../src/vmm/qemu/qmp.ts";
import { type TestServer, unixServer } from "./helpers.ts";

const GREETING = { QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: "Debian" }, capabilities: ["oob"] } };

describe("splitMessages", () => {
  test("CRLF-terminated JSON objects, partial tail kept", () => {
    const { messages, rest } = splitMessages('{"return": {}, "id": 1}\r\n\r\n{"event": "POWERDOWN"}\r\n{"ret');
    expect(messages).toEqual([{ return: {}, id: 1 }, { event: "POWERDOWN" }]);
    expect(rest).toBe('{"ret');
  });
  test("malformed line throws", () => {
    expect(() => splitMessages("not json\r\n")).toThrow("malformed");
  });
});

/** A QMP server: greets, requires qmp_capabilities first, answers via `reply`. */
function fakeQmp(reply: (cmd: { execute: string; id?: unknown; arguments?: unknown }, sock: Socket) => void, log: string[]) {
  return unixServer((sock) => {
    let negotiated = false;
    let buf = "";
    sock.write(`${JSON.stringify(GREETING)}\r\n`);
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        log.push(line);
        const cmd = JSON.parse(line);
        if (cmd.execute === "qmp_capabilities") {
          negotiated = true;
          sock.write(`${JSON.stringify({ return: {}, id: cmd.id })}\r\n`);
        } else if (!negotiated) {
          sock.write(`${JSON.stringify({ error: { class: "CommandNotFound", desc: "Expecting capabilities negotiation with 'qmp_capabilities'" }, id: cmd.id })}\r\n`);
        } else reply(cmd, sock);
      }
    });
  });
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test("greeting, capabilities, then commands matched by id with events in between", async () => {
  const log: string[] = [];
  server = await fakeQmp((cmd, sock) => {
    if (cmd.execute === "query-status") {
      // an event first, and the reply split across two writes
      sock.write('{"event": "RESET", "data": {"guest": true}, "timestamp": {"seconds": 1, "microseconds": 2}}\r\n{"return": {"status": "running", "singlestep": false, "running": true},');
      setTimeout(() => sock.write(` "id": ${JSON.stringify(cmd.id)}}\r\n`), 20);
    }
    if (cmd.execute === "system_powerdown") {
      sock.write(`${JSON.stringify({ return: {}, id: cmd.id })}\r\n`);
      setTimeout(() => sock.write('{"event": "POWERDOWN", "timestamp": {"seconds": 3, "microseconds": 0}}\r\n'), 30);
    }
  }, log);
  const c = await QmpClient.connect(server.path, 2000);
  expect(c.greeting?.QMP.version.qemu.major).toBe(7);
  expect(await c.execute("query-status")).toEqual({ status: "running", singlestep: false, running: true });
  expect(c.events.map((e) => e.event)).toEqual(["RESET"]);
  await c.execute("system_powerdown");
  const ev = await c.waitForEvent("POWERDOWN", 2000);
  expect(ev?.timestamp?.seconds).toBe(3);
  expect(await c.waitForEvent("SHUTDOWN", 50)).toBeNull();
  c.close();
  expect(log.map((l) => JSON.parse(l).execute)).toEqual(["qmp_capabilities", "query-status", "system_powerdown"]);
  expect(new Set(log.map((l) => JSON.parse(l).id)).size).toBe(3);
  expect(log.every((l) => JSON.parse(l).id !== undefined)).toBe(true);
});

test("an error reply becomes QmpError with class and desc", async () => {
  server = await fakeQmp((cmd, sock) => sock.write(`${JSON.stringify({ error: { class: "GenericError", desc: "nope" }, id: cmd.id })}\r\n`), []);
  const c = await QmpClient.connect(server.path);
  const err = (await c.execute("bogus", { a: 1 }).catch((e) => e)) as QmpError;
  expect(err).toBeInstanceOf(QmpError);
  expect(err.errorClass).toBe("GenericError");
  expect(err.message).toBe("QMP bogus: GenericError: nope");
  c.close();
});

test("the server closing fails pending commands and later ones", async () => {
  server = await fakeQmp((_cmd, sock) => sock.destroy(), []);
  const c = await QmpClient.connect(server.path);
  await expect(c.execute("quit")).rejects.toThrow("closed");
  expect(c.closed).toBe(true);
  await expect(c.execute("query-status")).rejects.toThrow("closed");
});

test("no reply within the timeout", async () => {
  server = await fakeQmp(() => {}, []);
  const c = await QmpClient.connect(server.path);
  await expect(c.execute("query-status", undefined, 100)).rejects.toThrow("no reply in 100 ms");
  c.close();
});

test("connect fails clearly without a server or without a greeting", async () => {
  await expect(QmpClient.connect("/nonexistent/qmp.sock", 500)).rejects.toThrow();
  server = await unixServer(() => {});
  await expect(QmpClient.connect(server.path, 200)).rejects.toThrow("no greeting");
});
