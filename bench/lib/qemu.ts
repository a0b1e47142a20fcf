// The raw baseline's VMM launch, written by hand: QEMU microvm under TCG as in
// ../shared/reference/test-infra-facts.md §3 (tb-size=64, the TSC fix on the command
// line, virtio-blk root, virtio-net on a tap), and an sshd banner poll on port 22.
import { existsSync, readFileSync } from "node:fs";
import { onCleanup } from "./cleanup.ts";
import { sshBanner } from "../../src/daemon/vms/readiness.ts";

export interface RawVmSpec {
  kernel: string;
  initrd: string;
  cmdline: string;
  rootDisk: string;
  /** A second virtio-blk disk (banger's work disk) when booting banger's image. */
  workDisk?: string;
  tap: string;
  mac: string;
  vcpu: number;
  memoryMib: number;
  consoleLog: string;
  /** Host socket for the guest agent's virtio-serial port (banger's image only). */
  agentSocket?: string;
  agentPortName?: string;
}

/** Pure: the QEMU argv for one raw VM. */
export function rawQemuArgv(s: RawVmSpec, qemu = "qemu-system-x86_64"): string[] {
  const argv = [
    qemu, "-M", "microvm", "-accel", "tcg,tb-size=64", "-smp", String(s.vcpu), "-m", String(s.memoryMib),
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-chardev", `file,id=con,path=${s.consoleLog}`, "-serial", "chardev:con",
    "-kernel", s.kernel, "-initrd", s.initrd, "-append", s.cmdline,
    "-drive", `id=d0,file=${s.rootDisk},format=raw,if=none`, "-device", "virtio-blk-device,drive=d0",
  ];
  if (s.workDisk) argv.push("-drive", `id=d1,file=${s.workDisk},format=raw,if=none`, "-device", "virtio-blk-device,drive=d1");
  argv.push(
    "-netdev", `tap,id=n0,ifname=${s.tap},script=no,downscript=no`,
    "-device", `virtio-net-device,netdev=n0,mac=${s.mac}`,
  );
  if (s.agentSocket) {
    argv.push(
      "-device", "virtio-serial-device,max_ports=2",
      "-chardev", `socket,path=${s.agentSocket},server=on,wait=off,id=agent`,
      "-device", `virtserialport,chardev=agent,name=${s.agentPortName ?? "banger.agent"}`,
    );
  }
  return argv;
}

export interface RawVm {
  proc: Bun.Subprocess<"ignore", "ignore", "pipe">;
  /** performance.now() right before the spawn. */
  launchedAt: number;
  kill(): Promise<void>;
}

export function launchRawVm(spec: RawVmSpec): RawVm {
  const launchedAt = performance.now();
  const proc = Bun.spawn(rawQemuArgv(spec), { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const forget = onCleanup(`kill raw QEMU ${proc.pid}`, () => vm.kill());
  const vm: RawVm = {
    proc, launchedAt,
    async kill() {
      forget();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
  return vm;
}

/** Polls port 22 (2 s per attempt, 0.5 s apart) until the banner; returns ms since launch. */
export async function waitForBanner(vm: RawVm, ip: string, timeoutMs: number, consoleLog: string): Promise<number> {
  const deadline = vm.launchedAt + timeoutMs;
  while (performance.now() < deadline) {
    if (vm.proc.exitCode !== null) {
      const stderr = await new Response(vm.proc.stderr).text();
      throw new Error(`raw QEMU exited ${vm.proc.exitCode} during boot: ${stderr.trim().slice(-500)}\n${tail(consoleLog)}`);
    }
    if (await sshBanner(ip, 22, 2000)) return performance.now() - vm.launchedAt;
    await Bun.sleep(500);
  }
  throw new Error(`raw VM: no SSH banner from ${ip}:22 within ${Math.round(timeoutMs / 1000)} s\n${tail(consoleLog)}`);
}

export function tail(path: string, lines = 25): string {
  if (!existsSync(path)) return "(no console log)";
  return `console tail (${path}):\n${readFileSync(path, "utf8").split("\n").slice(-lines).join("\n")}`;
}
