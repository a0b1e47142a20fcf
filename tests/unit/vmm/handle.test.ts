import { expect, test } from "bun:test";
import { attachHandle, parseHandle } from "../../../src/vmm/handle.ts";
import type { VmmHandle } from "../../../src/vmm/driver.ts";

const GOOD: VmmHandle = {
  driver: "firecracker", vmId: "abc", pid: 4242, argv0: "/usr/bin/firecracker", marker: ["--id", "banger-abc"],
  sockets: { api: "/run/a/api.sock", vsock: "/run/a/vsock.sock" }, logPath: "/v/vmm.log", consoleLogPath: "/v/console.log",
  startedAt: "2026-01-01T00:00:00.000Z",
};

test("round-trips through JSON", () => {
  expect(parseHandle(JSON.parse(JSON.stringify(GOOD)), "firecracker")).toEqual(GOOD);
});

test("rejects the other driver's handle and malformed ones", () => {
  expect(parseHandle(GOOD, "qemu")).toBeNull();
  for (const bad of [null, 1, "x", { ...GOOD, pid: "4242" }, { ...GOOD, pid: 1 }, { ...GOOD, pid: 1.5 }, { ...GOOD, marker: ["--id"] },
    { ...GOOD, argv0: "" }, { ...GOOD, sockets: { api: 3 } }, { ...GOOD, sockets: null }, { ...GOOD, logPath: undefined }]) {
    expect(parseHandle(bad, "firecracker")).toBeNull();
  }
});

test("unknown socket keys are dropped", () => {
  expect(parseHandle({ ...GOOD, sockets: { ...GOOD.sockets, evil: "/x" } }, "firecracker")?.sockets).toEqual(GOOD.sockets);
});

test("attach needs the process to still be that VMM", () => {
  expect(attachHandle({ ...GOOD, pid: process.pid }, "firecracker")).toBeNull();
});
