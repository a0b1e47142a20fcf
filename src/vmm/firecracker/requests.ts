// Pure builders for the Firecracker process and its REST configuration (API v1.16.1,
// ../shared/firecracker-api.yaml). Bodies carry only fields the swagger defines, since
// Firecracker rejects unknown keys (serde deny_unknown_fields).
import { AGENT_VSOCK_PORT, CMDLINE } from "../../api/guest.ts";
import type { LaunchSpec } from "../driver.ts";
import { withDriverArgs } from "../kernel-args.ts";

export interface ApiRequest {
  method: "GET" | "PUT" | "PATCH";
  path: string;
  body?: Record<string, unknown>;
}

/** Drive and interface ids: alphanumerics and `_` only (Firecracker `checked_id`). */
export const ROOT_DRIVE_ID = "rootfs";
export const WORK_DRIVE_ID = "work";
export const IFACE_ID = "eth0";

/**
 * Firecracker's own boot args. `console=ttyS0 reboot=k panic=1` as in its getting-started
 * guide (supplying boot_args replaces its defaults); the guest powers off by rebooting,
 * because on x86 Firecracker exits on reboot (i8042 reset) but not on poweroff.
 */
export const FIRECRACKER_KERNEL_ARGS = ["console=ttyS0", "reboot=k", "panic=1", `${CMDLINE.poweroff}=reboot`, `${CMDLINE.vsockPort}=${AGENT_VSOCK_PORT}`];

/** `--id` value: alphanumerics and `-`, at most 64 characters (jailer rules). */
export function firecrackerId(vmId: string): string {
  return `banger-${vmId.replace(/[^A-Za-z0-9-]/g, "")}`.slice(0, 64);
}

export function firecrackerArgv(binary: string, apiSock: string, id: string): string[] {
  return [binary, "--api-sock", apiSock, "--id", id];
}

export function bootArgs(cmdline: string): string {
  return withDriverArgs(cmdline, FIRECRACKER_KERNEL_ARGS);
}

/** The configuration requests, in the order they are sent, before InstanceStart. */
export function configureRequests(spec: LaunchSpec): ApiRequest[] {
  const boot: Record<string, unknown> = { kernel_image_path: spec.kernel.vmlinux, boot_args: bootArgs(spec.cmdline) };
  if (spec.kernel.initrd) boot.initrd_path = spec.kernel.initrd;
  return [
    // First, so that every later failure is explained in the VM's log.
    { method: "PUT", path: "/logger", body: { log_path: spec.logPath, level: "Info", show_level: true, show_log_origin: false } },
    { method: "PUT", path: "/boot-source", body: boot },
    { method: "PUT", path: "/machine-config", body: { vcpu_count: spec.vcpu, mem_size_mib: spec.memoryMib, smt: false } },
    drive(ROOT_DRIVE_ID, spec.rootDisk, true),
    drive(WORK_DRIVE_ID, spec.workDisk, false),
    {
      method: "PUT",
      path: `/network-interfaces/${IFACE_ID}`,
      body: { iface_id: IFACE_ID, host_dev_name: spec.tap, guest_mac: spec.mac },
    },
    { method: "PUT", path: "/vsock", body: { guest_cid: spec.guestCid, uds_path: spec.sockets.vsock } },
  ];
}

function drive(id: string, path: string, root: boolean): ApiRequest {
  const body: Record<string, unknown> = { drive_id: id, path_on_host: path, is_root_device: root, is_read_only: false };
  // The work disk holds the user's data (/root): advertise flush so guest fsync reaches the host.
  if (!root) body.cache_type = "Writeback";
  return { method: "PUT", path: `/drives/${id}`, body };
}

export const INSTANCE_START: ApiRequest = { method: "PUT", path: "/actions", body: { action_type: "InstanceStart" } };
export const SEND_CTRL_ALT_DEL: ApiRequest = { method: "PUT", path: "/actions", body: { action_type: "SendCtrlAltDel" } };
export const DESCRIBE_INSTANCE: ApiRequest = { method: "GET", path: "/" };
