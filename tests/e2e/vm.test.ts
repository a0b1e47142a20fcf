// End to end through the compiled banger and its daemon, booting REAL VMs (QEMU TCG
// here): image pull from a real registry -> vm create --nat -> agent + sshd -> DNS,
// managed ssh-config, ports, file_sync/.gitconfig -> parallel VM -> daemon kill -9 and
// re-adoption -> stop/start keeps /root -> VMM killed behind the daemon's back -> delete
// leaves nothing; failed creates and bad input leave nothing either.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pushDebianImage } from "../fixtures/debian-image.ts";
import { startRegistry, type TestRegistry } from "../fixtures/registry.ts";
import { alive, Instance, waitFor } from "../helpers/instance.ts";
import { requireRoot, requireTool } from "../helpers/require.ts";

const BOOT = 240_000;
const suffix = Math.random().toString(16).slice(2, 6);
const bridge = `bge${suffix}`;
const subnet = `172.31.${100 + (parseInt(suffix, 16) % 100)}.0/24`;

let inst: Instance;
let registry: TestRegistry | undefined;
let syncDir: string;

function sh(argv: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}
const tapExists = (tap: string) => sh(["ip", "link", "show", tap]).code === 0;
const natRules = (id: string) => sh(["nft", "list", "table", "inet", "banger"]).out.split("\n").filter((l) => l.includes(`banger:${id}`));
const dig = (listener: string, name: string) => {
  const [host, port] = listener.split(":");
  return sh(["dig", `@${host}`, "-p", port!, "+short", "+time=2", "+tries=1", name, "A"]).out.trim();
};
const sshVm = (name: string, cmd: string) =>
  sh(["ssh", "-F", join(inst.env.HOME!, ".ssh", "config"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", `root@${name}.vm`, cmd]);

beforeAll(async () => {
  requireRoot("booting VMs on a bridge");
  requireTool("qemu-system-x86_64", "qemu-system-x86");
  requireTool("dig", "dnsutils");
  inst = new Instance();
  const home = inst.env.HOME!;
  syncDir = join(inst.root, "sync");
  mkdirSync(join(syncDir, "tree"), { recursive: true });
  writeFileSync(join(syncDir, "token"), "s3cret\n");
  writeFileSync(join(syncDir, "tree", "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(syncDir, "tree", "run.sh"), 0o755);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, ".gitconfig"), "[user]\n\tname = E2E Tester\n\temail = e2e@example.org\n");
  writeFileSync(
    inst.configFile,
    [
      'dns_listen = "127.0.0.1:0"',
      `bridge_name = "${bridge}"`,
      `bridge_subnet = "${subnet}"`,
      "tap_pool_size = 1",
      "stop_timeout_s = 60",
      "[vm_defaults]",
      "vcpu = 1",
      "memory_mib = 1024",
      'disk_size = "2G"',
      "[[file_sync]]",
      `host = "${join(syncDir, "token")}"`,
      'guest = "~/.config/app/token"',
      'mode = "0640"',
      "[[file_sync]]",
      `host = "${join(syncDir, "tree")}"`,
      'guest = "/root/tree"',
      "[[file_sync]]",
      `host = "${join(syncDir, "missing")}"`,
      'guest = "~/missing"',
    ].join("\n") + "\n",
  );
  registry = await startRegistry();
  const ref = await pushDebianImage(registry.host);
  await inst.ok(["kernel", "import", "debian", "--from", "/"], { timeoutMs: 120_000 });
  await inst.ok(["image", "pull", ref, "--name", "debian", "--kernel", "debian"], { timeoutMs: 600_000 });
}, 1_200_000);

afterAll(async () => {
  await inst?.run(["vm", "delete", "--force", "e2e1", "e2e2"], { timeoutMs: 120_000 }).catch(() => {});
  await inst?.cleanup();
  await registry?.stop();
  sh(["ip", "link", "del", bridge]);
}, 180_000);

describe("a real VM, end to end", () => {
  let vm: any;

  test("vm create --nat boots it: staged, timed, agent and sshd ready", async () => {
    const r = await inst.json(["vm", "create", "--name", "e2e1", "--image", "debian", "--nat"], { timeoutMs: BOOT });
    vm = r.vm;
    expect(vm.state).toBe("running");
    expect(r.spec).toBe("spec: 1 vcpu · 1024 MiB · 2G disk");
    const stages = r.timings.map((t: any) => t.stage);
    expect(stages).toEqual(["resolve_image", "root_disk", "work_disk", "resolve_kernel", "network", "launch_vmm", "wait_agent", "wait_ssh"]);
    expect(["reflink", "sparse-copy"]).toContain(r.timings[1].detail);
    expect(tapExists(vm.tap)).toBe(true);
    expect(natRules(vm.id).length).toBeGreaterThan(0);
    const health = await inst.json(["vm", "health", "e2e1"]);
    expect(health.agent.hostname).toBe("e2e1");
  }, BOOT);

  test("<name>.vm: the DNS server answers and plain ssh works through the managed ssh-config", async () => {
    const status = await inst.json(["daemon", "status"]);
    expect(dig(status.dns_listener, "e2e1.vm")).toBe(vm.ip);
    expect(dig(status.dns_listener, "nope.vm")).toBe("");
    const r = sshVm("e2e1", "hostname");
    expect(r.out.trim()).toBe("e2e1");
  }, 60_000);

  test("vm ports shows sshd on :22 with its pid and process", async () => {
    const { ports } = await inst.json(["vm", "ports", "e2e1"]);
    const ssh = ports.find((p: any) => p.proto === "tcp" && p.port === 22);
    expect(ssh.process).toBe("sshd");
    expect(ssh.pid).toBeGreaterThan(1);
    expect(ssh.endpoint).toBe("e2e1.vm:22");
  }, 60_000);

  test("file_sync entries and .gitconfig are in /root with the right modes; /root is the work disk", async () => {
    const r = await inst.run(["vm", "ssh", "e2e1", "--", "stat -c '%a %u %n' /root/.config/app/token /root/tree/run.sh /root/.gitconfig /root/.ssh/authorized_keys; cat /root/.gitconfig; findmnt -no SOURCE /root"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("640 0 /root/.config/app/token");
    expect(r.stdout).toContain("755 0 /root/tree/run.sh");
    expect(r.stdout).toContain("600 0 /root/.ssh/authorized_keys");
    expect(r.stdout).toContain("name = E2E Tester");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("/dev/vdb");
  }, 60_000);

  test("a second VM runs in parallel with its own IP", async () => {
    const [second, ssh] = await Promise.all([
      inst.json(["vm", "create", "--name", "e2e2", "--image", "debian"], { timeoutMs: BOOT }),
      inst.run(["vm", "ssh", "e2e1", "--", "echo busy > /root/data.txt && sync"]),
    ]);
    expect(ssh.code).toBe(0);
    expect(second.vm.state).toBe("running");
    expect(second.vm.ip).not.toBe(vm.ip);
    const { vms } = await inst.json(["vm", "list"]);
    expect(vms.map((v: any) => v.name).sort()).toEqual(["e2e1", "e2e2"]);
    const del = await inst.json(["vm", "delete", "e2e2", "--force"], { timeoutMs: 120_000 });
    expect(del.results[0].ok).toBe(true);
    expect(tapExists(second.vm.tap)).toBe(false);
  }, BOOT + 120_000);

  test("kill -9 of the daemon: the next command restarts it and the VM is re-adopted", async () => {
    const pid = inst.daemonPid()!;
    process.kill(pid, "SIGKILL");
    await waitFor("daemon death", () => !alive(pid));
    const r = await inst.run(["vm", "ssh", "e2e1", "--", "cat /root/data.txt"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("busy");
    const again = await inst.json(["vm", "show", "e2e1"]);
    expect(again.state).toBe("running");
    expect(again.pid).toBe(vm.pid);
  }, 60_000);

  test("vm stop is clean and releases tap and NAT rules; vm start keeps /root data", async () => {
    const stop = await inst.json(["vm", "stop", "e2e1"], { timeoutMs: 120_000 });
    expect(stop.results[0].vm.state).toBe("stopped");
    expect(alive(vm.pid)).toBe(false);
    expect(tapExists(vm.tap)).toBe(false);
    expect(natRules(vm.id)).toEqual([]);
    const log = await Bun.file(join(inst.stateDir, "logs", "bangerd.log")).text();
    expect(log).toMatch(/"msg":"vm stopped".*"vm":"e2e1","forced":false/);
    const start = await inst.json(["vm", "start", "e2e1"], { timeoutMs: BOOT });
    vm = start.results[0].vm;
    expect(vm.state).toBe("running");
    const r = await inst.run(["vm", "ssh", "e2e1", "--", "cat /root/data.txt"]);
    expect(r.stdout.trim()).toBe("busy");
  }, BOOT + 120_000);

  test("a VMM killed behind the daemon's back is demoted to stopped and its host resources freed", async () => {
    process.kill(vm.pid, "SIGKILL");
    await waitFor("VMM death", () => !alive(vm.pid));
    const daemon = inst.daemonPid()!;
    process.kill(daemon, "SIGKILL"); // reconcile runs when the next daemon starts
    await waitFor("daemon death", () => !alive(daemon));
    const shown = await inst.json(["vm", "show", "e2e1"]);
    expect(shown.state).toBe("stopped");
    expect(shown.last_error).toContain("demoted to stopped");
    expect(tapExists(vm.tap)).toBe(false);
    expect(natRules(vm.id)).toEqual([]);
  }, 60_000);

  test("a stopped VM: vm set changes vcpu/memory and grows the work disk; vm logs has the console", async () => {
    const busy = await inst.run(["vm", "set", "e2e1", "--disk-size", "1G"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("can only grow");
    const r = await inst.json(["vm", "set", "e2e1", "--vcpu", "2", "--memory", "1536", "--disk-size", "3G"], { timeoutMs: 120_000 });
    expect(r.results[0].vm).toMatchObject({ vcpu: 2, memory_mib: 1536, disk_size_bytes: 3 * 1024 ** 3 });
    const work = join(inst.stateDir, "vms", vm.id, "work.ext4");
    expect(Bun.file(work).size).toBe(3 * 1024 ** 3);
    expect(sh(["e2fsck", "-fn", work]).code).toBe(0);
    expect(sh(["debugfs", "-R", "cat /data.txt", work]).out).toContain("busy");
    const logs = await inst.json(["vm", "logs", "e2e1", "-n", "400"]);
    expect(logs.text).toContain("banger-agent[1]: init shim");
  }, 180_000);

  test("vm delete leaves no tap, NAT rule, VM dir or DNS record", async () => {
    const status = await inst.json(["daemon", "status"]);
    await inst.ok(["vm", "delete", "e2e1"], { timeoutMs: 60_000 });
    expect(existsSync(join(inst.stateDir, "vms", vm.id))).toBe(false);
    expect(natRules(vm.id)).toEqual([]);
    expect(dig(status.dns_listener, "e2e1.vm")).toBe("");
    expect((await inst.json(["vm", "list", "--all"])).vms).toEqual([]);
    const gc = await inst.json(["vm", "gc", "--dry-run"]);
    expect(gc.found.filter((f: any) => f.kind !== "tap")).toEqual([]);
  }, 60_000);
});

describe("failures leave nothing behind", () => {
  const leftovers = () => ({
    vms: readdirSync(join(inst.stateDir, "vms")).length,
    taps: sh(["ip", "-o", "link", "show", "master", bridge]).out.split("\n").filter((l) => / bgt[0-9a-f]{12}[:@]/.test(l)).length,
  });

  test("bad input: zero vcpu, unknown image, duplicate name, bad names", async () => {
    const zero = await inst.run(["vm", "create", "--vcpu", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--vcpu must be a positive integer");
    const neg = await inst.run(["vm", "create", "--memory", "-5"]);
    expect(neg.code).toBe(2);
    const unknown = await inst.run(["vm", "create", "--image", "no-such-image-anywhere"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n").at(-1)).toMatch(/^banger: .*no-such-image-anywhere/);
    const badName = await inst.run(["vm", "create", "--name", "Bad_Name"]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('"name"');
    const missing = await inst.run(["vm", "stop", "ghost"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no VM named or with id "ghost"');
    expect((await inst.json(["vm", "list", "--all"])).vms).toEqual([]);
    expect(leftovers().vms).toBe(0);
  }, 60_000);

  test("a create that fails mid-way (kernel file missing) unwinds everything", async () => {
    const before = leftovers();
    const kdir = join(inst.stateDir, "kernels", "debian");
    const files = readdirSync(kdir).filter((f) => f === "vmlinux" || f === "vmlinuz");
    for (const f of files) renameSync(join(kdir, f), join(kdir, `${f}.away`));
    try {
      const r = await inst.run(["vm", "create", "--name", "doomed", "--image", "debian", "--nat"], { timeoutMs: 120_000 });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^banger: /);
    } finally {
      for (const f of files) renameSync(join(kdir, `${f}.away`), join(kdir, f));
    }
    expect((await inst.json(["vm", "list", "--all"])).vms).toEqual([]);
    expect(leftovers()).toEqual(before);
    expect(sh(["nft", "list", "table", "inet", "banger"]).out).not.toContain("banger:");
  }, 300_000);
});
