// The hand-written baseline for `vm create`: copy the rootfs (cp --sparse=always), launch
// QEMU by hand on a bridge + tap made here, poll port 22 for the SSH banner. No daemon,
// no RPC, no disk preparation beyond the copy, no agent wait.
//  - "banger-image": the ext4 banger built (and a copy of its work-seed as the second
//    disk), booted with the same guest command line banger passes (the agent in the
//    image is the init shim and brings eth0 up, as in every banger VM);
//  - "hand-built": banger could not build its image, so the Debian tar is made bootable
//    by hand (raw-rootfs.ts): systemd-networkd applies `ip=`, no banger files at all.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AGENT_SERIAL_NAME } from "../../src/api/guest.ts";
import { hostNameservers } from "../../src/daemon/wiring/guest.ts";
import { buildGuestCmdline } from "../../src/guest/cmdline.ts";
import { sh, type RawNet } from "./host.ts";
import { launchRawVm, waitForBanner } from "./qemu.ts";

export interface RawImage {
  mode: "banger-image" | "hand-built";
  rootfs: string;
  workSeed?: string;
}

export interface RawConfig {
  kernel: { vmlinuz: string; initrd: string };
  tscKhz: number;
  vcpu: number;
  memoryMib: number;
  bootTimeoutMs: number;
}

export interface RawSample {
  copy_ms: number;
  boot_ms: number;
  /** copy + launch-to-banner: the whole per-VM script. */
  script_ms: number;
}

export function rawCmdline(image: RawImage, net: RawNet, hostname: string, tscKhz: number): string {
  if (image.mode === "banger-image") {
    return buildGuestCmdline({
      ip: net.guestIp, prefix: net.prefix, gateway: net.hostIp, dns: hostNameservers(), hostname,
      console: "ttyS0", tcg: { tscKhz }, extra: [],
    });
  }
  return [
    "console=ttyS0", "root=/dev/vda", "rw", "panic=-1", `tsc_early_khz=${tscKhz}`, "tsc=reliable",
    `ip=${net.guestIp}::${net.hostIp}:255.255.255.0:${hostname}:eth0:off`,
  ].join(" ");
}

export async function rawRun(image: RawImage, net: RawNet, cfg: RawConfig, dir: string, n: number): Promise<RawSample> {
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const root = join(dir, "root.ext4");
  sh(["cp", "--sparse=always", "--", image.rootfs, root]);
  let work: string | undefined;
  if (image.workSeed) {
    work = join(dir, "work.ext4");
    sh(["cp", "--sparse=always", "--", image.workSeed, work]);
  }
  const copyMs = performance.now() - started;
  const consoleLog = join(dir, "console.log");
  const vm = launchRawVm({
    kernel: cfg.kernel.vmlinuz, initrd: cfg.kernel.initrd, cmdline: rawCmdline(image, net, `rawbench${n}`, cfg.tscKhz),
    rootDisk: root, ...(work ? { workDisk: work } : {}), tap: net.tap, mac: net.mac,
    vcpu: cfg.vcpu, memoryMib: cfg.memoryMib, consoleLog,
    ...(image.mode === "banger-image" ? { agentSocket: join(dir, "agent.sock"), agentPortName: AGENT_SERIAL_NAME } : {}),
  });
  try {
    const bootMs = await waitForBanner(vm, net.guestIp, cfg.bootTimeoutMs, consoleLog);
    return { copy_ms: copyMs, boot_ms: bootMs, script_ms: copyMs + bootMs };
  } finally {
    await vm.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
