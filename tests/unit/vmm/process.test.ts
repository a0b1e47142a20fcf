import { afterAll, describe, expect, test } from "bun:test";
import { cmdlineMatches, isVmmAlive, parseProcStat, parseStatusRss, readCmdline, vmmStats, waitGone } from "../../../src/vmm/process.ts";
import type { VmmHandle } from "../../../src/vmm/driver.ts";

describe("/proc parsers", () => {
  test("stat: comm with spaces and parentheses", () => {
    const text = "4242 (qemu (x) sys) S 1 4242 4242 0 -1 4194560 123 0 0 0 250 130 0 0 20 0 3 0 999 1000 200 18446744073709551615";
    expect(parseProcStat(text)).toEqual({ state: "S", cpuSeconds: 3.8 });
  });

  test("stat: zombie and garbage", () => {
    expect(parseProcStat("7 (x) Z 1 7 7 0 -1 0 0 0 0 0 1 1 0 0")?.state).toBe("Z");
    expect(parseProcStat("nonsense")).toBeNull();
  });

  test("status: VmRSS in bytes, 0 when absent", () => {
    expect(parseStatusRss("Name:\tqemu\nVmRSS:\t  382112 kB\nThreads:\t4\n")).toBe(382112 * 1024);
    expect(parseStatusRss("Name:\tzombie\n")).toBe(0);
  });

  test("cmdline match: argv0 basename and the marker pair", () => {
    const argv = ["/usr/bin/firecracker", "--api-sock", "/s", "--id", "banger-1"];
    expect(cmdlineMatches(argv, "/opt/fc/firecracker", ["--id", "banger-1"])).toBe(true);
    expect(cmdlineMatches(argv, "/usr/bin/firecracker", ["--id", "banger-2"])).toBe(false);
    expect(cmdlineMatches(argv, "/usr/bin/qemu-system-x86_64", ["--id", "banger-1"])).toBe(false);
    // the pair must be adjacent, in order
    expect(cmdlineMatches(["/usr/bin/firecracker", "banger-1", "--id"], "firecracker", ["--id", "banger-1"])).toBe(false);
    expect(cmdlineMatches([], "firecracker", ["--id", "x"])).toBe(false);
  });
});

describe("liveness of a real process", () => {
  const marker = `marker-${process.pid}-${Date.now()}`;
  const proc = Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 1000)", "--vm", marker], { stdout: "ignore", stderr: "ignore" });
  const handle = (over: Partial<VmmHandle> = {}): VmmHandle => ({
    driver: "qemu", vmId: "x", pid: proc.pid, argv0: process.execPath, marker: ["--vm", marker], sockets: {},
    logPath: "/dev/null", consoleLogPath: "/dev/null", startedAt: "", ...over,
  });

  afterAll(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });

  test("alive while running, with its cmdline", async () => {
    await Bun.sleep(50);
    expect(readCmdline(proc.pid)).toEqual([process.execPath, "-e", "setInterval(() => {}, 1000)", "--vm", marker]);
    expect(isVmmAlive(handle())).toBe(true);
    const stats = vmmStats(handle());
    expect(stats!.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(stats!.cpuSeconds).toBeGreaterThanOrEqual(0);
  });

  test("a pid whose cmdline is something else is not this VMM (pid reuse)", () => {
    expect(isVmmAlive(handle({ marker: ["--vm", "another-vm"] }))).toBe(false);
    expect(isVmmAlive(handle({ pid: process.pid }))).toBe(false);
    expect(isVmmAlive(handle({ pid: 1 }))).toBe(false);
    expect(isVmmAlive(handle({ pid: 2 ** 22 + 1 }))).toBe(false);
    expect(vmmStats(handle({ marker: ["--vm", "nope"] }))).toBeNull();
  });

  test("waitGone: timeout while alive, exited once killed", async () => {
    expect(await waitGone(handle(), 150)).toBe("timeout");
    expect(await waitGone(handle(), 1000, async () => true)).toBe("halted");
    proc.kill("SIGKILL");
    expect(await waitGone(handle(), 3000)).toBe("exited");
    expect(isVmmAlive(handle())).toBe(false);
  });
});
