// Boots real guests with QEMU microvm under TCG and the Debian cloud kernel + initrd:
//  (a) a tiny rootfs with NO init: the agent is PID 1, serves /healthz over virtio-serial,
//      configures the network, and POST /shutdown powers the VM off (QEMU exits 0);
//  (b) the Debian systemd rootfs: the shim execs systemd, the agent still answers, and
//      sshd (banger drop-ins, per-VM host keys) accepts the test key.
// Needs root (bridge/tap), qemu-system-x86, linux-image-cloud-amd64, mmdebstrap.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AGENT_SERIAL_NAME } from "../../src/api/guest.ts";
import { AGENT_FILE, GUEST_FILES } from "../../src/guest/assets.ts";
import { buildGuestCmdline, hostTscKhz } from "../../src/guest/cmdline.ts";
import { RawHttp, type RawResponse, testAgent } from "../fixtures/agent.ts";
import { createBridge, type BridgeFixture } from "../fixtures/bridge.ts";
import { debianRootfsTar } from "../fixtures/debian-rootfs.ts";
import { testKernel, type TestKernel } from "../fixtures/kernel.ts";
import { run } from "../fixtures/netns.ts";
import { requireRoot } from "../helpers/require.ts";

interface Vm {
  proc: Bun.Subprocess;
  sock: string;
  qmp: string;
  consoleLog: string;
  started: number;
  kill(): Promise<void>;
}

interface QemuOpts {
  kernel: TestKernel;
  disk: string;
  cmdline: string;
  bridge: BridgeFixture;
  sock: string;
  qmp: string;
  consoleLog: string;
  memMb: number;
}

function qemuArgv(o: QemuOpts): string[] {
  return [
    "qemu-system-x86_64", "-M", "microvm", "-accel", "tcg,tb-size=64", "-smp", "1", "-m", String(o.memMb),
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-chardev", `file,id=con,path=${o.consoleLog}`, "-serial", "chardev:con",
    "-kernel", o.kernel.vmlinuz, "-initrd", o.kernel.initrd, "-append", o.cmdline,
    "-drive", `id=d0,file=${o.disk},format=raw,if=none`, "-device", "virtio-blk-device,drive=d0",
    "-netdev", `tap,id=n0,ifname=${o.bridge.tap},script=no,downscript=no`,
    "-device", `virtio-net-device,netdev=n0,mac=${o.bridge.mac}`,
    "-device", "virtio-serial-device,max_ports=2",
    "-chardev", `socket,path=${o.sock},server=on,wait=off,id=agent`,
    "-device", `virtserialport,chardev=agent,name=${AGENT_SERIAL_NAME}`,
    "-qmp", `unix:${o.qmp},server=on,wait=off`,
  ];
}

function bootVm(dir: string, kernel: TestKernel, disk: string, bridge: BridgeFixture, hostname: string, memMb: number): Vm {
  const tscKhz = hostTscKhz();
  if (!tscKhz) throw new Error("cannot read the host TSC frequency (needed under TCG)");
  const cmdline = buildGuestCmdline({
    ip: bridge.guestIp, prefix: bridge.prefix, gateway: bridge.hostIp, dns: [bridge.hostIp],
    hostname, console: "ttyS0", tcg: { tscKhz }, extra: [],
  });
  const sock = join(dir, "agent.sock");
  const qmp = join(dir, "qmp.sock");
  const consoleLog = join(dir, "console.log");
  rmSync(consoleLog, { force: true });
  const argv = qemuArgv({ kernel, disk, cmdline, bridge, sock, qmp, consoleLog, memMb });
  const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe" });
  return {
    proc, sock, qmp, consoleLog, started: Date.now(),
    async kill() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

function tail(vm: Vm, lines = 60): string {
  return existsSync(vm.consoleLog) ? readFileSync(vm.consoleLog, "utf8").split("\n").slice(-lines).join("\n") : "(no console)";
}

/** One request over the virtio-serial socket, retried until the agent answers. Short
 *  attempts: the guest kernel discards bytes that arrive before the agent opened the port. */
async function agentCall(vm: Vm, method: string, path: string, timeoutMs: number): Promise<RawResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (vm.proc.exitCode !== null) throw new Error(`qemu exited ${vm.proc.exitCode}:\n${tail(vm)}`);
    let c: RawHttp | undefined;
    try {
      c = await RawHttp.connect(vm.sock, 2000);
      c.request(method, path);
      return await c.readResponse(Math.min(3000, Math.max(1000, deadline - Date.now())));
    } catch (e) {
      last = e;
      await Bun.sleep(1000);
    } finally {
      c?.close();
    }
  }
  throw new Error(`agent ${method} ${path}: no answer in ${timeoutMs} ms (${last}):\n${tail(vm)}`);
}

/** QMP: capabilities handshake, then one command; returns the raw replies. */
async function qmpCommand(path: string, command: string): Promise<string> {
  const c = await RawHttp.connect(path);
  try {
    const lines: string[] = [];
    c.sock.on("data", (d) => lines.push(d.toString()));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(lines.join("")); i++) await Bun.sleep(50);
    };
    await waitFor(/"QMP"/);
    c.write('{"execute":"qmp_capabilities"}\n');
    await waitFor(/"return"/);
    c.write(`{"execute":"${command}"}\n`);
    await waitFor(/"return".*"return"/s);
    return lines.join("");
  } finally {
    c.close();
  }
}

async function waitExit(vm: Vm, timeoutMs: number): Promise<number | null> {
  const timer = Bun.sleep(timeoutMs).then(() => null);
  return Promise.race([vm.proc.exited, timer]);
}

function mkfs(rootDir: string, img: string, size: string): void {
  run(["truncate", "-s", size, img]);
  run(["mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", rootDir, img]);
}

/** The agent, the guest assets and authorized_keys, as the image pipeline would inject them. */
function injectGuestFiles(root: string, agentBin: string, authorizedKey?: string): void {
  const agentPath = join(root, AGENT_FILE.guestPath);
  mkdirSync(dirname(agentPath), { recursive: true });
  copyFileSync(agentBin, agentPath);
  chmodSync(agentPath, AGENT_FILE.mode);
  for (const f of GUEST_FILES) {
    const p = join(root, f.guestPath);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.contents);
    chmodSync(p, f.mode);
  }
  if (authorizedKey) {
    mkdirSync(join(root, "root/.ssh"), { recursive: true, mode: 0o700 });
    writeFileSync(join(root, "root/.ssh/authorized_keys"), authorizedKey, { mode: 0o600 });
  }
}

/** Copies the kernel modules the agent loads (and their dependencies) plus the indexes. */
function copyAgentModules(kernel: TestKernel, root: string): void {
  const dep = readFileSync(join(kernel.modulesDir, "modules.dep"), "utf8");
  const deps = new Map<string, string[]>();
  for (const line of dep.split("\n")) {
    const [mod, rest] = line.split(":");
    if (mod) deps.set(mod, (rest ?? "").trim().split(/\s+/).filter(Boolean));
  }
  const want = new Set<string>();
  for (const name of ["virtio_net", "virtio_console", "vmw_vsock_virtio_transport", "button", "evdev"]) {
    const mod = [...deps.keys()].find((m) => m.endsWith(`/${name}.ko`));
    if (!mod) throw new Error(`module ${name} not in ${kernel.modulesDir}`);
    for (const m of [mod, ...deps.get(mod)!]) want.add(m);
  }
  const dst = join(root, "lib/modules", kernel.version);
  for (const rel of [...want, "modules.dep", "modules.builtin"]) {
    mkdirSync(dirname(join(dst, rel)), { recursive: true });
    copyFileSync(join(kernel.modulesDir, rel), join(dst, rel));
  }
}

/** BANGER_E2E_KEEP=1 keeps the VM directory (console.log, root.ext4) for debugging. */
function cleanupDir(dir: string | undefined): void {
  if (!dir) return;
  if (process.env.BANGER_E2E_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

async function pingable(ip: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run(["busybox", "ping", "-c", "1", "-W", "1", ip], { allowFailure: true }).code === 0) return true;
    await Bun.sleep(500);
  }
  return false;
}


describe("(a) no-init rootfs: agent as PID 1", () => {
  let dir: string, bridge: BridgeFixture | undefined, vm: Vm | undefined, kernel: TestKernel;

  beforeAll(async () => {
    requireRoot("booting VMs on a bridge");
    kernel = testKernel();
    const agent = await testAgent();
    dir = mkdtempSync(join(tmpdir(), "banger-e2e-tiny-"));
    const root = join(dir, "rootfs");
    for (const d of ["bin", "dev", "proc", "sys", "run", "tmp", "etc", "root", "usr/local/bin"]) {
      mkdirSync(join(root, d), { recursive: true });
    }
    copyFileSync("/bin/busybox", join(root, "bin/busybox"));
    chmodSync(join(root, "bin/busybox"), 0o755);
    symlinkSync("busybox", join(root, "bin/sh"));
    injectGuestFiles(root, agent);
    copyAgentModules(kernel, root);
    if (existsSync(join(root, "sbin/init"))) throw new Error("the tiny rootfs must have no init");
    mkfs(root, join(dir, "root.ext4"), "64M");
    bridge = createBridge();
  }, 60_000);

  afterAll(async () => {
    await vm?.kill();
    bridge?.cleanup();
    cleanupDir(dir);
  }, 30_000);

  test("boots, answers over virtio-serial and configures the network", async () => {
    vm = bootVm(dir, kernel, join(dir, "root.ext4"), bridge!, "tiny-e2e", 256);
    const health = await agentCall(vm, "GET", "/healthz", 150_000);
    console.log(`tiny rootfs: agent /healthz after ${((Date.now() - vm.started) / 1000).toFixed(1)} s`);
    expect(health.status).toBe(200);
    const h = health.json();
    expect(h.hostname).toBe("tiny-e2e");
    expect(h.init).toBe("banger-agent");
    expect(h.kernel).toBe(kernel.version);
    expect(h.boot_id).toMatch(/^[0-9a-f-]{36}$/);

    expect(await pingable(bridge!.guestIp, 30_000)).toBe(true);

    const sys = (await agentCall(vm, "GET", "/sysinfo", 20_000)).json();
    expect(sys.memory.total_bytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(sys.disks[0].path).toBe("/");
    expect((await agentCall(vm, "GET", "/ports", 20_000)).json().ports).toBeArray();
  }, 240_000);

  test("the serial stream survives disconnects mid-request and malformed input", async () => {
    expect(vm?.proc.exitCode).toBeNull();
    // a client that gives up mid-request, then a new client right away
    const partial = await RawHttp.connect(vm!.sock);
    partial.write("GET /heal");
    await Bun.sleep(1000);
    partial.close();
    expect((await agentCall(vm!, "GET", "/healthz", 30_000)).status).toBe(200);

    const c = await RawHttp.connect(vm!.sock);
    try {
      for (let i = 0; i < 20; i++) {
        c.request("GET", i % 2 ? "/healthz" : "/sysinfo");
        expect((await c.readResponse(15_000)).status).toBe(200);
      }
      c.write("GARBAGE\r\n\r\n");
      expect((await c.readResponse(15_000)).status).toBe(400);
      await Bun.sleep(1000); // the agent drains the line until it is quiet
      c.request("GET", "/healthz");
      expect((await c.readResponse(15_000)).status).toBe(200);
    } finally {
      c.close();
    }
  }, 120_000);

  test("POST /shutdown powers off cleanly: QEMU exits 0", async () => {
    const res = await agentCall(vm!, "POST", "/shutdown", 20_000);
    expect(res.status).toBe(202);
    const code = await waitExit(vm!, 60_000);
    expect(code, tail(vm!)).toBe(0);
    expect(readFileSync(vm!.consoleLog, "utf8")).toContain("reboot: Power down");
  }, 90_000);

  test("second boot: the ACPI power button (QMP system_powerdown) powers off too", async () => {
    vm = bootVm(dir, kernel, join(dir, "root.ext4"), bridge!, "tiny-e2e", 256);
    await agentCall(vm, "GET", "/healthz", 150_000);
    await Bun.sleep(2000); // the button watcher starts right after the server
    const reply = await qmpCommand(vm.qmp, "system_powerdown");
    expect(reply).toContain('"return"');
    const code = await waitExit(vm, 60_000);
    expect(code, tail(vm)).toBe(0);
    expect(readFileSync(vm.consoleLog, "utf8")).toContain("power button pressed");
  }, 240_000);
});

describe("(b) Debian systemd rootfs: shim execs systemd, sshd accepts the key", () => {
  let dir: string, bridge: BridgeFixture | undefined, vm: Vm | undefined, kernel: TestKernel, key: string;

  beforeAll(async () => {
    requireRoot("booting VMs on a bridge");
    kernel = testKernel();
    const [agent, tar] = await Promise.all([testAgent(), debianRootfsTar()]);
    dir = mkdtempSync(join(tmpdir(), "banger-e2e-debian-"));
    const root = join(dir, "rootfs");
    mkdirSync(root);
    run(["tar", "-C", root, "--numeric-owner", "-xpf", tar]);
    mkdirSync(join(root, "usr/lib/modules"), { recursive: true });
    run(["cp", "-a", kernel.modulesDir, join(root, "usr/lib/modules/")]);
    key = join(dir, "id_ed25519");
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger-e2e", "-f", key]);
    injectGuestFiles(root, agent, readFileSync(`${key}.pub`, "utf8"));
    expect(run(["sh", "-c", `ls ${root}/etc/ssh/ssh_host_* 2>/dev/null || true`]).stdout).toBe("");
    mkfs(root, join(dir, "root.ext4"), "2G");
    rmSync(root, { recursive: true, force: true });
    bridge = createBridge();
  }, 900_000);

  afterAll(async () => {
    await vm?.kill();
    bridge?.cleanup();
    cleanupDir(dir);
  }, 30_000);

  const ssh = (extra: string[], cmd: string) =>
    run(
      [
        "ssh", "-F", "/dev/null", "-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
        ...extra, `root@${bridge!.guestIp}`, cmd,
      ],
      { allowFailure: true },
    );

  test("agent answers under systemd and sshd accepts the test key", async () => {
    vm = bootVm(dir, kernel, join(dir, "root.ext4"), bridge!, "deb-e2e", 1024);
    const health = await agentCall(vm, "GET", "/healthz", 180_000);
    console.log(`debian rootfs: agent /healthz after ${((Date.now() - vm.started) / 1000).toFixed(1)} s`);
    const h = health.json();
    expect(h.hostname).toBe("deb-e2e");

    let out: ReturnType<typeof ssh> | undefined;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      out = ssh([], "echo ok; hostname; cat /proc/1/comm; ls /etc/ssh/ | grep host_; cat /etc/resolv.conf");
      if (out.code === 0) break;
      await Bun.sleep(2000);
    }
    expect(out?.code, `${out?.stderr}\n${tail(vm)}`).toBe(0);
    console.log(`debian rootfs: ssh ok after ${((Date.now() - vm.started) / 1000).toFixed(1)} s`);
    const lines = out!.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(["ok", "deb-e2e", "systemd"]);
    expect(out!.stdout).toContain("ssh_host_ed25519_key");
    expect(out!.stdout).not.toContain("ssh_host_rsa_key");
    expect(out!.stdout).toContain(`nameserver ${bridge!.hostIp}`);

    // the agent is still alive after systemd took over PID 1
    const again = (await agentCall(vm, "GET", "/healthz", 30_000)).json();
    expect(again.init).toBe("systemd");
    const ports = (await agentCall(vm, "GET", "/ports", 30_000)).json().ports;
    const sshd = ports.find((p: any) => p.proto === "tcp" && p.port === 22);
    expect(sshd?.process).toBe("sshd");
    expect(sshd?.cmdline).toContain("sshd");

    // password and keyboard-interactive logins are off: only publickey is offered
    const pw = ssh(["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"], "true");
    expect(pw.code).toBe(255);
    expect(pw.stderr).toContain("Permission denied (publickey)");
  }, 420_000);

  test("POST /shutdown powers the systemd guest off", async () => {
    expect(vm?.proc.exitCode).toBeNull();
    const res = await agentCall(vm!, "POST", "/shutdown", 30_000);
    expect(res.status).toBe(202);
    const code = await waitExit(vm!, 120_000);
    expect(code, tail(vm!)).toBe(0);
  }, 180_000);
});
