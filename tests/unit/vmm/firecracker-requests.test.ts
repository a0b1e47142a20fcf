import { describe, expect, test } from "bun:test";
import type { LaunchSpec } from "../../../src/vmm/driver.ts";
import { bootArgs, configureRequests, firecrackerArgv, firecrackerId, INSTANCE_START, SEND_CTRL_ALT_DEL } from "../../../src/vmm/firecracker/requests.ts";
import { faultMessage } from "../../../src/vmm/firecracker/api.ts";

const SPEC: LaunchSpec = {
  vmId: "0123456789abcdef",
  vcpu: 2,
  memoryMib: 1024,
  kernel: { vmlinux: "/k/vmlinux", vmlinuz: "/k/vmlinuz", initrd: "/k/initrd.img" },
  cmdline: "console=ttyS0 root=/dev/vda rw panic=-1 init=/usr/local/bin/banger-agent banger.ip=172.30.0.2/24",
  rootDisk: "/vms/x/root.ext4",
  workDisk: "/vms/x/work.ext4",
  tap: "bgt0123",
  mac: "02:fc:01:23:45:67",
  guestCid: 42,
  sockets: { api: "/run/x/api.sock", qmp: "/run/x/qmp.sock", agent: "/run/x/agent.sock", vsock: "/run/x/vsock.sock" },
  logPath: "/vms/x/vmm.log",
  consoleLogPath: "/vms/x/console.log",
};

describe("firecracker process", () => {
  test("argv", () => {
    expect(firecrackerArgv("/usr/bin/firecracker", "/run/x/api.sock", "banger-0123")).toEqual([
      "/usr/bin/firecracker", "--api-sock", "/run/x/api.sock", "--id", "banger-0123",
    ]);
  });

  test("--id keeps alphanumerics and hyphens, at most 64 characters", () => {
    expect(firecrackerId("0123456789abcdef")).toBe("banger-0123456789abcdef");
    expect(firecrackerId("a_b.c/d")).toBe("banger-abcd");
    expect(firecrackerId("f".repeat(100))).toHaveLength(64);
  });
});

describe("boot args", () => {
  test("adds Firecracker's own keys, keeping the caller's values", () => {
    const args = bootArgs(SPEC.cmdline).split(" ");
    expect(args.slice(0, 6)).toEqual(SPEC.cmdline.split(" "));
    expect(args).toContain("reboot=k");
    expect(args).toContain("banger.poweroff=reboot");
    expect(args).toContain("banger.vsock_port=10240");
    expect(args.filter((a) => a.startsWith("panic="))).toEqual(["panic=-1"]);
    expect(args.filter((a) => a.startsWith("console="))).toEqual(["console=ttyS0"]);
  });

  test("an empty caller line gets the getting-started defaults", () => {
    expect(bootArgs("")).toBe("console=ttyS0 reboot=k panic=1 banger.poweroff=reboot banger.vsock_port=10240");
  });
});

describe("configuration requests", () => {
  test("exact sequence and bodies", () => {
    expect(configureRequests(SPEC)).toEqual([
      { method: "PUT", path: "/logger", body: { log_path: "/vms/x/vmm.log", level: "Info", show_level: true, show_log_origin: false } },
      { method: "PUT", path: "/boot-source", body: { kernel_image_path: "/k/vmlinux", boot_args: bootArgs(SPEC.cmdline), initrd_path: "/k/initrd.img" } },
      { method: "PUT", path: "/machine-config", body: { vcpu_count: 2, mem_size_mib: 1024, smt: false } },
      { method: "PUT", path: "/drives/rootfs", body: { drive_id: "rootfs", path_on_host: "/vms/x/root.ext4", is_root_device: true, is_read_only: false } },
      { method: "PUT", path: "/drives/work", body: { drive_id: "work", path_on_host: "/vms/x/work.ext4", is_root_device: false, is_read_only: false, cache_type: "Writeback" } },
      { method: "PUT", path: "/network-interfaces/eth0", body: { iface_id: "eth0", host_dev_name: "bgt0123", guest_mac: "02:fc:01:23:45:67" } },
      { method: "PUT", path: "/vsock", body: { guest_cid: 42, uds_path: "/run/x/vsock.sock" } },
    ]);
  });

  test("no initrd_path when there is no initrd (null would be an invalid type)", () => {
    const boot = configureRequests({ ...SPEC, kernel: { vmlinux: "/k/vmlinux" } })[1]!;
    expect(boot.body).not.toHaveProperty("initrd_path");
  });

  test("actions", () => {
    expect(INSTANCE_START).toEqual({ method: "PUT", path: "/actions", body: { action_type: "InstanceStart" } });
    expect(SEND_CTRL_ALT_DEL).toEqual({ method: "PUT", path: "/actions", body: { action_type: "SendCtrlAltDel" } });
  });
});

describe("fault messages", () => {
  test("Firecracker's error body", () => {
    expect(faultMessage('{"fault_message":"A root block device already exists!"}', 400)).toBe("A root block device already exists!");
  });
  test("anything else keeps the status", () => {
    expect(faultMessage("", 500)).toBe("HTTP 500");
    expect(faultMessage("oops", 400)).toBe("HTTP 400: oops");
  });
});
