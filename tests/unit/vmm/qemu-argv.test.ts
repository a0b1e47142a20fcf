import { describe, expect, test } from "bun:test";
import { optValue, qemuArgv, type QemuArgvInput, qemuKernelArgs, qemuName } from "../../../src/vmm/qemu/argv.ts";

const INPUT: QemuArgvInput = {
  binary: "/usr/bin/qemu-system-x86_64",
  vmId: "0123456789abcdef",
  accel: "tcg",
  vcpu: 2,
  memoryMib: 1024,
  kernel: "/k/vmlinuz",
  initrd: "/k/initrd.img",
  append: "console=ttyS0 root=/dev/vda rw",
  rootDisk: "/vms/x/root.ext4",
  workDisk: "/vms/x/work.ext4",
  tap: "bgt0123",
  mac: "02:fc:01:23:45:67",
  agentSock: "/run/x/agent.sock",
  qmpSock: "/run/x/qmp.sock",
  consoleLog: "/vms/x/console.log",
  pidFile: "/run/x/qemu.pid",
};

const TAIL = [
  "-smp", "2", "-m", "1024M",
  "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
  "-pidfile", "/run/x/qemu.pid",
  "-chardev", "file,id=console,path=/vms/x/console.log,append=on", "-serial", "chardev:console",
  "-kernel", "/k/vmlinuz", "-initrd", "/k/initrd.img", "-append", "console=ttyS0 root=/dev/vda rw",
  "-drive", "id=root,file=/vms/x/root.ext4,format=raw,if=none,discard=unmap", "-device", "virtio-blk-device,drive=root",
  "-drive", "id=work,file=/vms/x/work.ext4,format=raw,if=none,discard=unmap", "-device", "virtio-blk-device,drive=work",
  "-netdev", "tap,id=net0,ifname=bgt0123,script=no,downscript=no", "-device", "virtio-net-device,netdev=net0,mac=02:fc:01:23:45:67",
  "-device", "virtio-serial-device,max_ports=2",
  "-chardev", "socket,id=agent,path=/run/x/agent.sock,server=on,wait=off",
  "-device", "virtserialport,chardev=agent,name=banger.agent",
  "-chardev", "socket,id=qmp,path=/run/x/qmp.sock,server=on,wait=off",
  "-mon", "chardev=qmp,mode=control",
];

describe("qemu argv", () => {
  test("TCG: bounded translation cache, -cpu max", () => {
    expect(qemuArgv(INPUT)).toEqual([
      "/usr/bin/qemu-system-x86_64", "-name", "banger-0123456789abcdef", "-M", "microvm,acpi=on",
      "-accel", "tcg,tb-size=64", "-cpu", "max", ...TAIL,
    ]);
  });

  test("KVM: -accel kvm, -cpu host", () => {
    expect(qemuArgv({ ...INPUT, accel: "kvm" }).slice(0, 9)).toEqual([
      "/usr/bin/qemu-system-x86_64", "-name", "banger-0123456789abcdef", "-M", "microvm,acpi=on", "-accel", "kvm", "-cpu", "host",
    ]);
  });

  test("no -initrd without an initrd", () => {
    const argv = qemuArgv({ ...INPUT, initrd: undefined });
    expect(argv).not.toContain("-initrd");
    expect(argv[argv.indexOf("-kernel") + 2]).toBe("-append");
  });

  test("commas in paths are doubled inside option values", () => {
    expect(optValue("/a,b/c")).toBe("/a,,b/c");
    const argv = qemuArgv({ ...INPUT, rootDisk: "/v,1/root.ext4", agentSock: "/r,1/agent.sock" });
    expect(argv).toContain("id=root,file=/v,,1/root.ext4,format=raw,if=none,discard=unmap");
    expect(argv).toContain("socket,id=agent,path=/r,,1/agent.sock,server=on,wait=off");
  });

  test("-name is the liveness marker", () => {
    expect(qemuName("abc")).toBe("banger-abc");
  });
});

describe("qemu kernel args", () => {
  test("TCG adds the TSC hint and the defaults the caller left out", () => {
    expect(qemuKernelArgs("panic=-1 banger.ip=1.2.3.4/24", "tcg", 2445404)).toBe(
      "panic=-1 banger.ip=1.2.3.4/24 console=ttyS0 root=/dev/vda rw tsc_early_khz=2445404 tsc=reliable",
    );
  });

  test("KVM needs no TSC hint; the caller's own values win", () => {
    expect(qemuKernelArgs("console=ttyS1 root=/dev/vdb ro", "kvm", 2445404)).toBe("console=ttyS1 root=/dev/vdb ro panic=1");
  });

  test("a caller that already set the TSC keys is left alone", () => {
    expect(qemuKernelArgs("tsc_early_khz=1000 tsc=reliable", "tcg", 2445404)).toBe("tsc_early_khz=1000 tsc=reliable console=ttyS0 root=/dev/vda rw panic=1");
  });

  test("TCG without a known TSC frequency adds nothing for it", () => {
    expect(qemuKernelArgs("", "tcg", null)).toBe("console=ttyS0 root=/dev/vda rw panic=1");
  });
});
