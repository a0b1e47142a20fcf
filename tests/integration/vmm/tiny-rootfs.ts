// A tiny bootable rootfs with NO init: busybox, the banger-agent (it becomes PID 1 via
// init=) and the kernel modules it loads (virtio_console for the serial port, virtio_net,
// vsock). Same recipe as tests/e2e/agent-boot.test.ts (a), kept here so the VMM tests do
// not depend on another suite's internals.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { AGENT_FILE } from "../../../src/guest/assets.ts";
import type { TestKernel } from "../../fixtures/kernel.ts";

function run(argv: string[]): void {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${p.stderr.toString().trim()}`);
}

function copyModules(kernel: TestKernel, root: string): void {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(kernel.modulesDir, "modules.dep"), "utf8").split("\n")) {
    const [mod, rest] = line.split(":");
    if (mod) deps.set(mod, (rest ?? "").trim().split(/\s+/).filter(Boolean));
  }
  const want = new Set<string>();
  for (const name of ["virtio_net", "virtio_console", "vmw_vsock_virtio_transport"]) {
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

/** Builds `<dir>/root.ext4` (64M) and an empty ext4 work disk `<dir>/work.ext4` (32M). */
export function buildTinyDisks(dir: string, kernel: TestKernel, agentBin: string): { root: string; work: string } {
  const root = join(dir, "rootfs");
  for (const d of ["bin", "dev", "proc", "sys", "run", "tmp", "etc", "root", "usr/local/bin"]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  symlinkSync("busybox", join(root, "bin/sh"));
  const agentPath = join(root, AGENT_FILE.guestPath);
  mkdirSync(dirname(agentPath), { recursive: true });
  copyFileSync(agentBin, agentPath);
  chmodSync(agentPath, AGENT_FILE.mode);
  copyModules(kernel, root);
  const disks = { root: join(dir, "root.ext4"), work: join(dir, "work.ext4") };
  run(["truncate", "-s", "64M", disks.root]);
  run(["mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", root, disks.root]);
  run(["truncate", "-s", "32M", disks.work]);
  run(["mkfs.ext4", "-q", "-F", "-L", "work", disks.work]);
  return disks;
}
