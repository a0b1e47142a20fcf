// The QEMU driver against real qemu-system-x86_64 (microvm; TCG here since the KVM probe
// finds KVM unusable) and the Debian cloud kernel + initrd:
//  - lifecycle and QMP with empty disks (the guest sits in the initramfs): query-status,
//    liveness/attach/stats on the real pid, early exit, the staged stop falling through
//    to QMP quit, sockets removed;
//  - a tiny rootfs where the banger-agent is PID 1: the agent over virtio-serial, the
//    disk order (root = vda, work = vdb on /root), and a graceful stop via the agent.
// Needs root (tap), qemu-system-x86, linux-image-cloud-amd64, busybox, e2fsprogs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import { AgentClient } from "../../../src/guest/agent-client.ts";
import { buildGuestCmdline } from "../../../src/guest/cmdline.ts";
import type { LaunchSpec, VmmHandle } from "../../../src/vmm/driver.ts";
import { kvmStatus } from "../../../src/vmm/kvm-probe.ts";
import { QemuDriver } from "../../../src/vmm/qemu/driver.ts";
import { QmpClient } from "../../../src/vmm/qemu/qmp.ts";
import { testAgent } from "../../fixtures/agent.ts";
import { type BridgeFixture, createBridge } from "../../fixtures/bridge.ts";
import { type TestKernel, testKernel } from "../../fixtures/kernel.ts";
import { buildTinyDisks } from "./tiny-rootfs.ts";

let kernel: TestKernel;
let bridge: BridgeFixture;
let dir: string;
const logs: string[] = [];
const log = { debug() {}, info: (m: string) => void logs.push(`info: ${m}`), warn: (m: string) => void logs.push(`warn: ${m}`), error: (m: string) => void logs.push(`error: ${m}`), child: () => log };
const driver = new QemuDriver({ binary: "qemu-system-x86_64", kvm: kvmStatus, log });
const running: VmmHandle[] = [];

beforeAll(() => {
  kernel = testKernel();
  bridge = createBridge();
  dir = mkdtempSync(join(tmpdir(), "banger-qemu-"));
});

afterAll(async () => {
  for (const h of running) {
    driver.kill(h, "SIGKILL");
    for (let i = 0; i < 100 && driver.isAlive(h); i++) await Bun.sleep(20);
  }
  bridge?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function spec(name: string, over: Partial<LaunchSpec> = {}): LaunchSpec {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return {
    vmId: `${name}${Date.now().toString(16)}`, vcpu: 1, memoryMib: 256,
    kernel: { vmlinux: kernel.vmlinuz, vmlinuz: kernel.vmlinuz, initrd: kernel.initrd },
    cmdline: "panic=-1", rootDisk: join(d, "root.ext4"), workDisk: join(d, "work.ext4"),
    tap: bridge.tap, mac: bridge.mac, guestCid: 3,
    sockets: { api: join(d, "api.sock"), qmp: join(d, "qmp.sock"), agent: join(d, "agent.sock"), vsock: join(d, "vsock.sock") },
    logPath: join(d, "vmm.log"), consoleLogPath: join(d, "console.log"), ...over,
  };
}

function emptyDisks(s: LaunchSpec): LaunchSpec {
  for (const f of [s.rootDisk, s.workDisk]) {
    writeFileSync(f, "");
    Bun.spawnSync(["truncate", "-s", "8M", f]);
  }
  return s;
}

async function launch(s: LaunchSpec): Promise<VmmHandle> {
  const h = await driver.launch(s);
  running.push(h);
  return h;
}

describe("lifecycle and QMP (guest in the initramfs)", () => {
  test("launch returns once QMP answers; QMP, liveness, attach and stats on the real pid", async () => {
    const s = emptyDisks(spec("life"));
    const h = await launch(s);
    expect(h).toMatchObject({ driver: "qemu", marker: ["-name", `banger-${s.vmId}`], sockets: { qmp: s.sockets.qmp, agent: s.sockets.agent } });
    const q = await QmpClient.connect(s.sockets.qmp);
    expect(await q.execute("query-status")).toMatchObject({ status: "running", running: true });
    expect(await q.execute("query-name")).toEqual({ name: `banger-${s.vmId}` });
    q.close();
    expect(driver.isAlive(h)).toBe(true);
    expect(driver.attach(JSON.parse(JSON.stringify(h)))).toEqual(h);
    expect(driver.attach({ ...h, marker: ["-name", "banger-someone-else"] })).toBeNull();
    expect(readFileSync(join(dir, "life", "qemu.pid"), "utf8").trim()).toBe(String(h.pid));
    const st = driver.stats(h)!;
    expect(st.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    const cmd = readFileSync(`/proc/${h.pid}/cmdline`, "utf8").split("\0");
    expect(cmd).toContain((await kvmStatus()).usable ? "kvm" : "tcg,tb-size=64");
    expect(cmd[cmd.indexOf("-append") + 1]).toStartWith("panic=-1 console=ttyS0 root=/dev/vda rw");

    // No agent, and the initramfs ignores the ACPI power button: every stage is tried.
    logs.length = 0;
    const r = await driver.stop(h, { timeoutMs: 3000 });
    expect(r).toMatchObject({ stage: "qmp-quit", forced: true });
    expect(driver.isAlive(h)).toBe(false);
    for (const p of [s.sockets.qmp, s.sockets.agent, join(dir, "life", "qemu.pid")]) expect(existsSync(p)).toBe(false);
    expect(logs.map((l) => l.replace(/\(.*\)/, "(...)").replace(/\d+(\.\d+)? ms/, "N ms"))).toEqual([
      "warn: stop: agent POST /shutdown failed (...); trying the next step",
      "info: stop: QMP system_powerdown sent",
      "warn: stop: still running N ms after QMP system_powerdown; trying the next step",
      "info: stop: QMP quit sent",
    ]);
    expect(await driver.stop(h, { timeoutMs: 1000 })).toMatchObject({ stage: "already-stopped" });
    expect(readFileSync(s.consoleLogPath, "utf8")).toContain("Linux version");
  }, 60_000);

  test("killed behind the driver's back: not alive, not attachable, stop cleans up", async () => {
    const s = emptyDisks(spec("gone"));
    const h = await launch(s);
    process.kill(h.pid, "SIGKILL");
    for (let i = 0; i < 100 && driver.isAlive(h); i++) await Bun.sleep(20);
    expect(driver.isAlive(h)).toBe(false);
    expect(driver.attach(h)).toBeNull();
    expect(driver.stats(h)).toBeNull();
    expect(existsSync(s.sockets.qmp)).toBe(true); // SIGKILL leaves QEMU's sockets behind ...
    expect(await driver.stop(h, { timeoutMs: 1000 })).toMatchObject({ stage: "already-stopped", forced: false });
    expect(existsSync(s.sockets.qmp)).toBe(false); // ... stop removes them
  }, 60_000);

  test("early exit: QEMU's own error and the log path in the message", async () => {
    const s = emptyDisks(spec("bad"));
    rmSync(s.rootDisk);
    mkdirSync(s.rootDisk); // exists, but QEMU cannot use a directory as a raw disk
    const err = (await driver.launch(s).catch((e) => e)) as BangerError;
    expect(err).toBeInstanceOf(BangerError);
    expect(err.message).toContain("qemu exited with code 1 during startup");
    expect(err.message).toContain(s.logPath);
    expect(err.message).toContain(s.rootDisk); // QEMU: "Could not open '<path>': Is a directory"
    expect(existsSync(s.sockets.qmp)).toBe(false);
  }, 60_000);

  test("available() reports the accelerator and why", async () => {
    const a = await driver.available();
    expect(a.ok).toBe(true);
    expect(a.reason).toContain((await kvmStatus()).usable ? "KVM acceleration" : "TCG software emulation");
  });
});

describe("agent as PID 1 on a tiny rootfs", () => {
  test("agent over virtio-serial, disks in order, graceful stop via the agent", async () => {
    const s = spec("tiny", { memoryMib: 256 });
    const disks = buildTinyDisks(join(dir, "tiny"), kernel, await testAgent());
    s.rootDisk = disks.root;
    s.workDisk = disks.work;
    s.cmdline = buildGuestCmdline({
      ip: bridge.guestIp, prefix: bridge.prefix, gateway: bridge.hostIp, dns: [], hostname: "qemu-driver-test",
      console: "ttyS0", tcg: null, workDevice: "/dev/vdb", extra: [],
    });
    const started = Date.now();
    const h = await launch(s);
    const agent = new AgentClient((ms) => driver.connectAgent(h, ms));
    let health: Awaited<ReturnType<AgentClient["healthz"]>> | undefined;
    let last: unknown;
    while (!health && Date.now() - started < 180_000) {
      expect(driver.isAlive(h)).toBe(true);
      // short attempts: bytes sent before the agent opens the port are lost (docs/guest-agent.md)
      health = await agent.healthz(3000).catch((e) => ((last = e), undefined));
    }
    if (!health) throw new Error(`agent never answered (${last}):\n${readFileSync(s.consoleLogPath, "utf8").slice(-3000)}`);
    console.log(`qemu driver: agent /healthz after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(health).toMatchObject({ hostname: "qemu-driver-test", init: "banger-agent", kernel: kernel.version });
    // the driver added the TSC hint under TCG; the guest saw it
    const cmd = readFileSync(`/proc/${h.pid}/cmdline`, "utf8").split("\0");
    if (!(await kvmStatus()).usable) expect(cmd[cmd.indexOf("-append") + 1]).toContain("tsc=reliable");
    // root = vda (64M, the agent runs from it), work = vdb (32M) mounted on /root
    const sys = await agent.sysinfo(10_000);
    const byPath = Object.fromEntries(sys.disks.map((d) => [d.path, d]));
    expect(byPath["/root"]!.own_fs).toBe(true);
    expect(byPath["/root"]!.total_bytes).toBeLessThan(byPath["/"]!.total_bytes);
    // concurrent requests on the single serial stream are queued, not interleaved
    const both = await Promise.all([agent.ports(10_000), agent.healthz(10_000), agent.sysinfo(10_000)]);
    expect(both[1].hostname).toBe("qemu-driver-test");
    expect(Array.isArray(both[0])).toBe(true);

    logs.length = 0;
    const r = await driver.stop(h, { timeoutMs: 60_000 });
    expect(r).toMatchObject({ stage: "agent-shutdown", forced: false, haltedThenKilled: false });
    expect(driver.isAlive(h)).toBe(false);
    expect(existsSync(s.sockets.agent) || existsSync(s.sockets.qmp)).toBe(false);
    expect(logs).toEqual(["info: stop: agent POST /shutdown sent"]);
  }, 240_000);
});
