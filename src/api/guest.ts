// The host <-> guest contract: where the agent lives, how it is reached and which
// kernel command-line parameters it reads. Imported by the host side; the C agent
// mirrors these values in guest-agent/src/contract.h (a unit test keeps them equal).

/** Path of the agent inside every image; also the `init=` shim. */
export const AGENT_GUEST_PATH = "/usr/local/bin/banger-agent";

/** vsock port the agent listens on (Firecracker hybrid vsock). */
export const AGENT_VSOCK_PORT = 10240;

/** virtio-serial port name (QEMU); appears as /dev/virtio-ports/<name> in the guest. */
export const AGENT_SERIAL_NAME = "banger.agent";

/** Kernel command-line keys read by the agent's network bootstrap and init shim. */
export const CMDLINE = {
  ip: "banger.ip", // 172.30.0.2/24
  gateway: "banger.gw", // 172.30.0.1
  dns: "banger.dns", // comma-separated nameservers
  hostname: "banger.hostname",
  init: "banger.init", // real init to exec (default /sbin/init)
  vsockPort: "banger.vsock_port",
  // "reboot": power off by rebooting (for VMMs that exit on guest reboot but cannot
  // power off, e.g. Firecracker without ACPI); default is a real poweroff.
  poweroff: "banger.poweroff",
  // Block device of the VM's work disk, mounted on /root by the init shim before the
  // image's init runs (so every init system sees it, and no fstab edit is needed).
  work: "banger.work",
} as const;

/** Guest directory holding banger's helper scripts (first boot, host keys). */
export const GUEST_LIB_DIR = "/usr/local/lib/banger";
