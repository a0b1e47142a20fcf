// The Firecracker driver against the fake firecracker executable (tests/fixtures/
// fake-firecracker): a real process, a real API socket, every request validated against
// the v1.16.1 swagger, a hybrid vsock leading to an agent (built-in, or the real
// banger-agent in its Unix test mode), and Firecracker's x86 stop behaviour.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import { AgentClient } from "../../../src/guest/agent-client.ts";
import type { LaunchSpec, VmmHandle } from "../../../src/vmm/driver.ts";
import { FirecrackerApi } from "../../../src/vmm/firecracker/api.ts";
import { FirecrackerDriver } from "../../../src/vmm/firecracker/driver.ts";
import { bootArgs } from "../../../src/vmm/firecracker/requests.ts";
import { connectHybridVsock } from "../../../src/vmm/firecracker/vsock.ts";
import { AGENT_TEST_VERSION, startTestAgent } from "../../fixtures/agent.ts";
import { type FakeOptions, fakeFirecracker } from "../../fixtures/fake-firecracker/index.ts";

const run = (argv: string[]) => Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" });
const KVM_OK = async () => ({ usable: true, reason: "test: KVM assumed" });
const CMDLINE = "console=ttyS0 root=/dev/vda rw panic=-1 init=/usr/local/bin/banger-agent banger.ip=172.30.0.2/24";

interface Setup {
  dir: string;
  spec: LaunchSpec;
  driver: FirecrackerDriver;
  fake: ReturnType<typeof fakeFirecracker>;
  logs: string[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(opts: FakeOptions = {}): Setup {
  const dir = mkdtempSync(join(tmpdir(), "banger-fc-"));
  for (const f of ["vmlinux", "initrd.img", "root.ext4", "work.ext4"]) writeFileSync(join(dir, f), "");
  const fake = fakeFirecracker(dir, opts);
  const logs: string[] = [];
  const log = { debug() {}, info: (m: string) => void logs.push(`info: ${m}`), warn: (m: string) => void logs.push(`warn: ${m}`), error: (m: string) => void logs.push(`error: ${m}`), child: () => log };
  const driver = new FirecrackerDriver({ binary: fake.binary, kvm: KVM_OK, log });
  const spec: LaunchSpec = {
    vmId: `abc${Math.random().toString(16).slice(2, 10)}`, vcpu: 2, memoryMib: 256,
    kernel: { vmlinux: join(dir, "vmlinux"), initrd: join(dir, "initrd.img") }, cmdline: CMDLINE,
    rootDisk: join(dir, "root.ext4"), workDisk: join(dir, "work.ext4"), tap: "bgt0test", mac: "02:fc:00:00:00:09", guestCid: 9,
    sockets: { api: join(dir, "api.sock"), qmp: join(dir, "qmp.sock"), agent: join(dir, "agent.sock"), vsock: join(dir, "vsock.sock") },
    logPath: join(dir, "vmm.log"), consoleLogPath: join(dir, "console.log"),
  };
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, spec, driver, fake, logs };
}

async function launched(opts: FakeOptions = {}): Promise<Setup & { handle: VmmHandle }> {
  const s = setup(opts);
  const handle = await s.driver.launch(s.spec);
  cleanups.push(async () => {
    s.driver.kill(handle, "SIGKILL");
    for (let i = 0; i < 50 && s.driver.isAlive(handle); i++) await Bun.sleep(20);
  });
  return { ...s, handle };
}

describe("launch", () => {
  test("exact request sequence, all accepted; handle identifies the process", async () => {
    const { fake, spec, handle, driver } = await launched();
    const reqs = fake.requests();
    const seq = reqs.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(seq).toEqual([
      "PUT /logger 204", "PUT /boot-source 204", "PUT /machine-config 204", "PUT /drives/rootfs 204", "PUT /drives/work 204",
      "PUT /network-interfaces/eth0 204", "PUT /vsock 204", "PUT /actions 204",
    ]);
    expect(reqs[0]).toMatchObject({ method: "GET", path: "/", status: 200 }); // readiness probe came first
    expect(reqs.find((r) => r.path === "/boot-source")!.body).toEqual({
      kernel_image_path: spec.kernel.vmlinux, boot_args: bootArgs(CMDLINE), initrd_path: spec.kernel.initrd,
    });
    expect(reqs.at(-1)!.body).toEqual({ action_type: "InstanceStart" });
    expect(handle).toMatchObject({ driver: "firecracker", vmId: spec.vmId, argv0: fake.binary, marker: ["--id", `banger-${spec.vmId}`] });
    expect(handle.sockets).toEqual({ api: spec.sockets.api, vsock: spec.sockets.vsock });
    expect(driver.isAlive(handle)).toBe(true);
    expect(driver.attach(JSON.parse(JSON.stringify(handle)))).toEqual(handle);
    expect(driver.stats(handle)!.rssBytes).toBeGreaterThan(0);
    expect(readFileSync(spec.logPath, "utf8")).toContain("putGuestBootSource"); // the logger was configured first
    expect(readFileSync(spec.consoleLogPath, "utf8")).toContain("API server started");
  });

  test("a stale API socket and vsock file from an earlier boot are removed first", async () => {
    const s = setup();
    writeFileSync(s.spec.sockets.api, "stale");
    writeFileSync(s.spec.sockets.vsock, "stale");
    const handle = await s.driver.launch(s.spec);
    cleanups.push(() => s.driver.kill(handle));
    expect(s.driver.isAlive(handle)).toBe(true);
  });

  test("the fake itself refuses an existing API socket, like Firecracker", async () => {
    const s = setup();
    writeFileSync(s.spec.sockets.api, "stale");
    const p = Bun.spawn([s.fake.binary, "--api-sock", s.spec.sockets.api, "--id", "x"], { stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(1);
    expect(await new Response(p.stderr).text()).toContain("Failed to open the API socket");
  });

  test("early exit: the error says how and names the log files", async () => {
    const s = setup({ exitAtStart: 152 });
    const err = (await s.driver.launch(s.spec).catch((e) => e)) as BangerError;
    expect(err).toBeInstanceOf(BangerError);
    expect(err.message).toContain("firecracker exited with code 152 during startup");
    expect(err.message).toContain(s.spec.consoleLogPath);
    expect(err.message).toContain("FAKE_FC_EXIT_AT_START");
    expect(err.details?.log_path).toBe(s.spec.consoleLogPath);
    expect(existsSync(s.spec.sockets.api)).toBe(false);
  });

  test("a rejected request surfaces fault_message and leaves nothing running", async () => {
    const s = setup({ denyPath: "/drives/work" });
    const err = (await s.driver.launch(s.spec).catch((e) => e)) as BangerError;
    expect(err.message).toBe(
      `firecracker rejected PUT /drives/work: Unable to create the virtio block device: Cannot open the backing file: Permission denied (os error 13); see ${s.spec.logPath}`,
    );
    expect(err.details?.log_path).toBe(s.spec.logPath);
    expect(s.fake.requests().at(-1)).toMatchObject({ path: "/drives/work", status: 400 });
    expect(existsSync(s.spec.sockets.api)).toBe(false);
    expect(existsSync(s.spec.sockets.vsock)).toBe(false);
    expect(run(["pgrep", "-f", s.spec.sockets.api]).exitCode).toBe(1); // nothing left running
  });

  test("inputs no VMM would explain well are refused before spawning", async () => {
    const s = setup();
    rmSync(s.spec.rootDisk);
    await expect(s.driver.launch(s.spec)).rejects.toThrow(`root disk ${s.spec.rootDisk} does not exist`);
    writeFileSync(s.spec.rootDisk, "");
    await expect(s.driver.launch({ ...s.spec, tap: "a-tap-name-way-too-long" })).rejects.toThrow("tap is not an interface name");
    await expect(s.driver.launch({ ...s.spec, guestCid: 2 })).rejects.toThrow("guestCid must be 3..2^32-1");
    await expect(s.driver.launch({ ...s.spec, mac: "02:fc:00:00:00" })).rejects.toThrow("mac is not a MAC address");
    expect(s.fake.requests()).toEqual([]);
  });

  test("invalid sizes are refused before spawning", async () => {
    const s = setup();
    await expect(s.driver.launch({ ...s.spec, vcpu: 0 })).rejects.toThrow("vcpu must be 1..32");
    await expect(s.driver.launch({ ...s.spec, vcpu: 33 })).rejects.toThrow("vcpu must be 1..32");
    await expect(s.driver.launch({ ...s.spec, memoryMib: 0 })).rejects.toThrow("memoryMib");
    expect(s.fake.requests()).toEqual([]);
  });

  test("a missing binary is a precondition error with an install hint", async () => {
    const s = setup();
    const d = new FirecrackerDriver({ binary: "/nonexistent/firecracker", kvm: KVM_OK });
    const err = (await d.launch(s.spec).catch((e) => e)) as BangerError;
    expect(err.code).toBe("precondition");
    expect(err.message).toContain("install Firecracker");
    expect((await d.available()).ok).toBe(false);
    expect(await new FirecrackerDriver({ binary: s.fake.binary, kvm: async () => ({ usable: false, reason: "no KVM" }) }).available()).toMatchObject({ ok: false, reason: "no KVM" });
  });
});

test("the running fake rejects invalid requests over HTTP with Firecracker's fault messages", async () => {
  const { handle, spec, fake } = await launched();
  const api = new FirecrackerApi(handle.sockets.api!, spec.logPath);
  const rejected = async (req: Parameters<FirecrackerApi["send"]>[0]) => ((await api.send(req).catch((e) => e)) as BangerError).message;
  expect(await rejected({ method: "PUT", path: "/actions", body: { action_type: "InstanceStart" } })).toContain("The requested operation is not supported after starting the microVM.");
  expect(await rejected({ method: "PUT", path: "/machine-config", body: { vcpu_count: 1, mem_size_mib: 128 } })).toContain("not supported after starting");
  expect(await rejected({ method: "PUT", path: "/vsock", body: { guest_cid: 3, uds_path: "/x", bogus: 1 } })).toContain("unknown field `bogus`");
  expect(await rejected({ method: "PUT", path: "/drives/rootfs", body: { is_root_device: true } })).toContain("missing field `drive_id`");
  expect(await rejected({ method: "PUT", path: "/network-interfaces/eth-0", body: { iface_id: "eth-0", host_dev_name: "t" } })).toContain("alphanumeric characters and underscores");
  expect(await api.describe()).toMatchObject({ state: "Running", id: `banger-${spec.vmId}` });
  expect(fake.requests().filter((r) => r.status === 400)).toHaveLength(5);
});

describe("agent over hybrid vsock", () => {
  test("built-in guest agent: healthz, ports, sysinfo", async () => {
    const { driver, handle, spec } = await launched({ bootDelayMs: 300 });
    const agent = new AgentClient((ms) => driver.connectAgent(handle, ms));
    const h = await agent.healthz(5000); // retried on EOF while the fake guest "boots"
    expect(h.hostname).toBe(`banger-${spec.vmId}`);
    expect(await agent.ports()).toEqual([]);
    expect((await agent.sysinfo()).cpus).toBe(1);
  });

  test("the real banger-agent behind the vsock", async () => {
    const agentProc = await startTestAgent();
    cleanups.push(() => agentProc.stop());
    const { driver, handle } = await launched({ agent: { unix: agentProc.sock } });
    const agent = new AgentClient((ms) => driver.connectAgent(handle, ms));
    const h = await agent.healthz(5000);
    expect(h.version).toBe(AGENT_TEST_VERSION);
    expect((await agent.sysinfo()).memory.total_bytes).toBeGreaterThan(0);
    expect(Array.isArray(await agent.ports())).toBe(true);
  }, 60_000);

  test("no guest listener: connect fails at the deadline", async () => {
    const { handle, driver } = await launched({ agent: "none" });
    await expect(driver.connectAgent(handle, 400)).rejects.toThrow("connection closed before OK");
  });
});

describe("stop", () => {
  test("graceful via the agent: the guest reboots (poweroff=reboot) and Firecracker exits", async () => {
    const { driver, handle, spec, logs } = await launched();
    const r = await driver.stop(handle, { timeoutMs: 10_000 });
    expect(r).toMatchObject({ stage: "agent-shutdown", forced: false, haltedThenKilled: false });
    expect(driver.isAlive(handle)).toBe(false);
    expect(existsSync(spec.sockets.api) || existsSync(spec.sockets.vsock)).toBe(false);
    expect(logs).toContain("info: stop: agent POST /shutdown sent");
    expect(await driver.stop(handle, { timeoutMs: 1000 })).toMatchObject({ stage: "already-stopped" });
  });

  test("graceful via the real agent", async () => {
    const agentProc = await startTestAgent();
    cleanups.push(() => agentProc.stop());
    const { driver, handle } = await launched({ agent: { unix: agentProc.sock } });
    const r = await driver.stop(handle, { timeoutMs: 10_000 });
    expect(r).toMatchObject({ stage: "agent-shutdown", forced: false });
    expect(await agentProc.proc.exited).toBe(0); // the agent's test mode exits on /shutdown
  }, 60_000);

  test("guest halts but Firecracker stays up (x86 poweroff): detected and killed early", async () => {
    const { driver, handle, logs } = await launched({ guestHalts: true });
    const started = Date.now();
    const r = await driver.stop(handle, { timeoutMs: 30_000 });
    expect(r).toMatchObject({ stage: "agent-shutdown", forced: false, haltedThenKilled: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(driver.isAlive(handle)).toBe(false);
    expect(logs).toContain("info: stop: the guest halted but the VMM process stays up; killing it");
  }, 20_000);

  test("agent unreachable: SendCtrlAltDel reboots the guest and Firecracker exits", async () => {
    const { driver, handle, fake, logs } = await launched({ agent: "none" });
    const r = await driver.stop(handle, { timeoutMs: 4000 });
    expect(r).toMatchObject({ stage: "ctrl-alt-del", forced: false });
    expect(fake.requests().at(-1)).toMatchObject({ path: "/actions", body: { action_type: "SendCtrlAltDel" }, status: 204 });
    expect(logs.some((l) => l.startsWith("warn: stop: agent POST /shutdown failed"))).toBe(true);
  }, 20_000);

  test("nothing answers: SIGKILL after the grace window, every fallback logged", async () => {
    const { driver, handle, spec, logs } = await launched({ agent: "none", ignoreCtrlAltDel: true });
    const started = Date.now();
    const r = await driver.stop(handle, { timeoutMs: 2000 });
    expect(r).toMatchObject({ stage: "sigkill", forced: true });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(driver.isAlive(handle)).toBe(false);
    expect(existsSync(spec.sockets.api)).toBe(false);
    expect(logs.filter((l) => l.startsWith("warn:")).map((l) => l.replace(/\(.*\)/, "(...)"))).toEqual([
      "warn: stop: agent POST /shutdown failed (...); trying the next step",
      expect.stringMatching(/^warn: stop: still running \d+ ms after SendCtrlAltDel; trying the next step$/),
      "warn: stop: grace window over; sending SIGKILL",
    ]);
  }, 20_000);

  test("kill(signal) and liveness after a restart-style attach", async () => {
    const { driver, handle } = await launched();
    const adopted = driver.attach(JSON.parse(JSON.stringify(handle)))!;
    expect(adopted).not.toBeNull();
    driver.kill(adopted, "SIGTERM");
    for (let i = 0; i < 100 && driver.isAlive(handle); i++) await Bun.sleep(20);
    expect(driver.isAlive(handle)).toBe(false);
    expect(driver.attach(handle)).toBeNull();
    expect(driver.stats(handle)).toBeNull();
  });
});

test("hybrid vsock protocol details against the fake: one CONNECT write, OK line", async () => {
  const { handle } = await launched();
  const s = await connectHybridVsock(handle.sockets.vsock!, 10240, 3000);
  await s.write("GET /healthz HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  const chunk = new TextDecoder().decode((await s.read(2000))!);
  expect(chunk.startsWith("HTTP/1.1 200")).toBe(true);
  s.close();
  await expect(connectHybridVsock(handle.sockets.vsock!, 52, 300)).rejects.toThrow("closed before OK"); // wrong port
});
