// Everything the VM service's parts share: dependencies, live handles, transitions in
// progress and per-VM locks. Built once by the composition root.
import type { VmInfo, VmState } from "../../api/vms.ts";
import type { Paths } from "../../config/paths.ts";
import type { Logger } from "../../log.ts";
import type { Db } from "../../store/db.ts";
import { getImage } from "../../store/images.ts";
import { getIpForVm } from "../../store/ips.ts";
import type { VmRow } from "../../store/schema.ts";
import { KeyedMutex } from "../../util/keyed-mutex.ts";
import { HandleStore } from "./handles.ts";
import type { DnsPort, ImagesPort, NetworkPort, SshPort, VmmPort } from "./ports.ts";

export type VmmName = "firecracker" | "qemu";

export interface VmSizes {
  vcpu: number;
  memory_mib: number;
  disk_size_bytes: number;
}

export interface WorkDiskRequest {
  seed: string | null;
  target: string;
  sizeBytes: number;
  authorizedKey: string;
}

export interface VmServiceDeps {
  db: Db;
  paths: Paths;
  log: Logger;
  drivers: Record<VmmName, VmmPort>;
  /** vmm = auto|firecracker|qemu -> the driver to use, with the reason. */
  selectDriver(requested: "auto" | VmmName): Promise<{ driver: VmmPort; reason: string }>;
  defaultVmm: "auto" | VmmName;
  images: ImagesPort;
  network: NetworkPort;
  dns: DnsPort;
  ssh: SshPort;
  vmDefaults(): VmSizes;
  /** Clone the work-seed, grow it, write authorized_keys, .gitconfig and file_sync. */
  prepareWorkDisk(req: WorkDiskRequest, notice: (msg: string) => void): Promise<void>;
  /** The guest kernel command line for a VM. */
  guestCmdline(args: { ip: string; prefix: number; gateway: string; hostname: string }): string;
  stopTimeoutMs: number;
  /** How long to wait for the guest agent, then sshd, after launch. */
  bootTimeoutMs: number;
}

export class VmContext {
  readonly handles: HandleStore;
  readonly locks = new KeyedMutex();
  /** VMs in the middle of a start or stop, for `state`. */
  readonly transitions = new Map<string, "starting" | "stopping">();
  /** Last VMM CPU sample per VM, so `vm stats` reports CPU% over the interval since. */
  readonly cpuSamples = new Map<string, { at: number; cpu: number }>();

  constructor(readonly deps: VmServiceDeps) {
    this.handles = new HandleStore((id) => deps.paths.vmDir(id));
  }

  driverOf(row: VmRow): VmmPort {
    return this.deps.drivers[row.vmm];
  }

  isRunning(row: VmRow): boolean {
    const h = this.handles.get(row.id);
    return h !== undefined && this.driverOf(row).isAlive(h.vmm);
  }

  state(row: VmRow): VmState {
    const t = this.transitions.get(row.id);
    if (t) return t;
    if (this.isRunning(row)) return "running";
    return row.lastError && row.desiredState === "running" ? "error" : "stopped";
  }

  info(row: VmRow): VmInfo {
    const h = this.handles.get(row.id);
    const image = getImage(this.deps.db, row.imageId);
    const dir = this.deps.paths.vmDir(row.id);
    const running = this.isRunning(row);
    return {
      id: row.id,
      name: row.name,
      dns_name: `${row.name}.vm`,
      image: { id: row.imageId, name: image?.name ?? "?" },
      vmm: row.vmm,
      vcpu: row.vcpu,
      memory_mib: row.memoryMib,
      disk_size_bytes: row.diskSizeBytes,
      nat: row.nat,
      state: this.state(row),
      ip: getIpForVm(this.deps.db, row.id) ?? null,
      mac: row.mac,
      tap: running ? (h?.tap ?? null) : null,
      pid: running && h ? this.driverOf(row).pid(h.vmm) : null,
      created_at: row.createdAt,
      started_at: running ? (h?.started_at ?? null) : null,
      last_error: row.lastError,
      dir,
      log_path: `${dir}/vmm.log`,
      console_log_path: `${dir}/console.log`,
    };
  }
}

export function vmFiles(dir: string) {
  return {
    root: `${dir}/root.ext4`,
    work: `${dir}/work.ext4`,
    log: `${dir}/vmm.log`,
    console: `${dir}/console.log`,
  };
}
