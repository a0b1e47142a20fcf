// Pure builders for the QEMU `microvm` command line (tests assert the arrays). The recipe
// is the one proven on this project's hosts (reference/test-infra-facts.md §3): virtio-mmio
// devices, the console on the ISA serial port, the agent on a virtio-serial port bound to
// a host Unix socket, and QMP on another. ACPI stays on (the microvm default) because
// QMP system_powerdown reaches the guest through the ACPI GED power button.
import { AGENT_SERIAL_NAME } from "../../api/guest.ts";
import { withDriverArgs } from "../kernel-args.ts";

export type Accel = "kvm" | "tcg";

export interface QemuArgvInput {
  binary: string;
  vmId: string;
  accel: Accel;
  vcpu: number;
  memoryMib: number;
  kernel: string;
  initrd?: string;
  append: string;
  rootDisk: string;
  workDisk: string;
  tap: string;
  mac: string;
  agentSock: string;
  qmpSock: string;
  consoleLog: string;
  pidFile: string;
}

/** `-name` value; with the binary it identifies the process in /proc (liveness check). */
export function qemuName(vmId: string): string {
  return `banger-${vmId}`;
}

/** QEMU option values are comma-separated: a literal comma is written as ",,". */
export function optValue(value: string): string {
  return value.replaceAll(",", ",,");
}

/**
 * Kernel parameters QEMU guests need from the driver: the serial console, the root disk
 * (virtio-blk, first device), and under TCG the TSC frequency, without which the guest
 * can hang calibrating against the missing PIT/HPET (9 in 20 boots on a loaded host).
 */
export function qemuKernelArgs(cmdline: string, accel: Accel, tscKhz: number | null): string {
  const args = ["console=ttyS0", "root=/dev/vda", "rw", "panic=1"];
  if (accel === "tcg" && tscKhz) args.push(`tsc_early_khz=${tscKhz}`, "tsc=reliable");
  return withDriverArgs(cmdline, args);
}

export function qemuArgv(o: QemuArgvInput): string[] {
  return [
    o.binary,
    "-name", qemuName(o.vmId),
    "-M", "microvm,acpi=on",
    ...accelArgs(o.accel),
    "-smp", String(o.vcpu),
    "-m", `${o.memoryMib}M`,
    "-nodefaults", "-no-user-config", "-display", "none",
    // A guest reboot (reboot=k, panic) ends the process, as with Firecracker.
    "-no-reboot",
    "-pidfile", o.pidFile,
    "-chardev", `file,id=console,path=${optValue(o.consoleLog)},append=on`,
    "-serial", "chardev:console",
    "-kernel", o.kernel,
    ...(o.initrd ? ["-initrd", o.initrd] : []),
    "-append", o.append,
    ...disk("root", o.rootDisk),
    ...disk("work", o.workDisk),
    "-netdev", `tap,id=net0,ifname=${o.tap},script=no,downscript=no`,
    "-device", `virtio-net-device,netdev=net0,mac=${o.mac}`,
    "-device", "virtio-serial-device,max_ports=2",
    "-chardev", `socket,id=agent,path=${optValue(o.agentSock)},server=on,wait=off`,
    "-device", `virtserialport,chardev=agent,name=${AGENT_SERIAL_NAME}`,
    "-chardev", `socket,id=qmp,path=${optValue(o.qmpSock)},server=on,wait=off`,
    "-mon", "chardev=qmp,mode=control",
  ];
}

function accelArgs(accel: Accel): string[] {
  // tb-size bounds TCG's translation cache: 850 MB RSS with the default vs 382 MB at 64.
  return accel === "kvm" ? ["-accel", "kvm", "-cpu", "host"] : ["-accel", "tcg,tb-size=64", "-cpu", "max"];
}

/** Each VM has its own writable raw file (QEMU locks it); virtio-blk on virtio-mmio. */
function disk(id: string, path: string): string[] {
  return ["-drive", `id=${id},file=${optValue(path)},format=raw,if=none,discard=unmap`, "-device", `virtio-blk-device,drive=${id}`];
}
