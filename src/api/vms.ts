// vm.* methods (F60–F69).
import * as v from "valibot";
import { method } from "./define.ts";

export type VmState = "running" | "stopped" | "starting" | "stopping" | "error";

export interface VmInfo {
  id: string;
  name: string;
  /** `<name>.vm`, answered by the daemon's DNS server while running. */
  dns_name: string;
  image: { id: string; name: string };
  vmm: string;
  /** Only from `vm show`: why this VMM runs here (binary, KVM or TCG). */
  vmm_detail?: string;
  vcpu: number;
  memory_mib: number;
  disk_size_bytes: number;
  nat: boolean;
  state: VmState;
  ip: string | null;
  mac: string;
  tap: string | null;
  pid: number | null;
  created_at: string;
  started_at: string | null;
  last_error: string | null;
  dir: string;
  log_path: string;
  console_log_path: string;
}

export interface StageTiming {
  stage: string;
  ms: number;
  detail?: string;
}

export interface CreateResult {
  vm: VmInfo;
  timings: StageTiming[];
  spec: string;
}

/** Per-target outcome of a multi-ref command (F61), in first-seen order. */
export interface TargetResult {
  ref: string;
  ok: boolean;
  vm?: VmInfo;
  error?: string;
}

export interface MultiResult {
  results: TargetResult[];
}

export interface PortInfo {
  proto: "tcp" | "udp";
  address: string;
  port: number;
  endpoint: string;
  pid: number | null;
  process: string | null;
  command: string | null;
  /** Probed URL for TCP ports that answer HTTP(S). */
  url: string | null;
}

export interface VmStats {
  id: string;
  name: string;
  state: VmState;
  cpu_percent: number | null;
  vmm_rss_bytes: number | null;
  guest_mem_total_bytes: number | null;
  guest_mem_used_bytes: number | null;
  disk_root_used_bytes: number | null;
  disk_root_total_bytes: number | null;
  disk_work_used_bytes: number | null;
  disk_work_total_bytes: number | null;
  load1: number | null;
}

export interface GcReport {
  dry_run: boolean;
  found: { kind: "tap" | "nat_rule" | "vm_dir" | "dns_record" | "handles_file"; name: string; removed: boolean }[];
}

const ref = v.pipe(v.string(), v.minLength(1, "must not be empty"));
const refs = v.pipe(v.array(ref), v.minLength(1, "name at least one VM"));
const positiveInt = v.pipe(v.number(), v.integer("must be an integer"), v.minValue(1, "must be positive"));
const vmName = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be 1-63 lowercase letters, digits or '-' (a DNS label)"),
);

export const vmMethods = {
  "vm.create": method(
    v.strictObject({
      name: v.optional(vmName),
      image: v.optional(ref),
      vcpu: v.optional(positiveInt),
      memory_mib: v.optional(positiveInt),
      disk_size_bytes: v.optional(positiveInt),
      nat: v.optional(v.boolean(), false),
      vmm: v.optional(v.picklist(["auto", "firecracker", "qemu"])),
      /** Leave the VM stopped after creating its disks. */
      no_start: v.optional(v.boolean(), false),
    }),
    { stream: true },
  )<CreateResult>(),
  "vm.start": method(v.strictObject({ refs }), { stream: true })<MultiResult>(),
  "vm.stop": method(v.strictObject({ refs, timeout_s: v.optional(positiveInt) }), { stream: true })<MultiResult>(),
  "vm.restart": method(v.strictObject({ refs }), { stream: true })<MultiResult>(),
  "vm.kill": method(v.strictObject({ refs, signal: v.optional(v.pipe(v.string(), v.regex(/^(SIG)?[A-Z0-9]+$/, "must be a signal name like KILL or TERM")), "KILL") }))<MultiResult>(),
  "vm.delete": method(v.strictObject({ refs, force: v.optional(v.boolean(), false) }), { stream: true })<MultiResult>(),
  "vm.set": method(
    v.strictObject({
      refs,
      vcpu: v.optional(positiveInt),
      memory_mib: v.optional(positiveInt),
      disk_size_bytes: v.optional(positiveInt),
    }),
  )<MultiResult>(),
  "vm.list": method(v.strictObject({ all: v.optional(v.boolean(), false) }))<{ vms: VmInfo[] }>(),
  "vm.show": method(v.strictObject({ ref }))<VmInfo>(),
  "vm.logs": method(v.strictObject({ ref, lines: v.optional(positiveInt, 200), console: v.optional(v.boolean(), true) }))<{ path: string; text: string }>(),
  "vm.stats": method(v.strictObject({ refs: v.optional(v.array(ref), []) }))<{ stats: VmStats[] }>(),
  "vm.health": method(v.strictObject({ ref }))<{ vm: string; healthy: boolean; agent: Record<string, unknown> | null; error: string | null }>(),
  "vm.ports": method(v.strictObject({ ref }))<{ vm: string; ports: PortInfo[] }>(),
  "vm.ssh_info": method(v.strictObject({ ref }))<{ vm: VmInfo; user: string; host: string; key_path: string; known_hosts: string }>(),
  "vm.gc": method(v.strictObject({ dry_run: v.optional(v.boolean(), false) }))<GcReport>(),
};
