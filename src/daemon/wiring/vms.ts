// Builds the VM service's context from the daemon's parts.
import type { Config } from "../../config/config.ts";
import type { Paths } from "../../config/paths.ts";
import { hostFacts, resolveVmDefaults } from "../../config/vm-defaults.ts";
import type { KernelProvider } from "../../kernels/service.ts";
import type { Logger } from "../../log.ts";
import type { Db } from "../../store/db.ts";
import { VmContext, type VmmName } from "../vms/context.ts";
import type { DnsPort, NetworkPort, VmmPort } from "../vms/ports.ts";
import { guestCmdline, sshPort, workDiskPreparer } from "./guest.ts";
import { imagesPort, type ImagePuller } from "./images.ts";

export interface VmWiring {
  config: Config;
  paths: Paths;
  db: Db;
  log: Logger;
  kernels: KernelProvider;
  pullImage: ImagePuller;
  drivers: Record<VmmName, VmmPort>;
  selectDriver(requested: "auto" | VmmName): Promise<{ driver: VmmPort; reason: string }>;
  network: NetworkPort;
  dns: DnsPort;
}

/** Boots under TCG take 20-40 s on a small host; KVM boots take a second or two. */
const BOOT_TIMEOUT_MS = 180_000;

export function buildVmContext(w: VmWiring): VmContext {
  const host = hostFacts();
  return new VmContext({
    db: w.db,
    paths: w.paths,
    log: w.log.child({ service: "vms" }),
    drivers: w.drivers,
    selectDriver: w.selectDriver,
    defaultVmm: w.config.vmm,
    images: imagesPort(w.db, w.kernels, w.config.defaultImage, w.pullImage),
    network: w.network,
    dns: w.dns,
    ssh: sshPort(w.config),
    vmDefaults: () => {
      const spec = resolveVmDefaults(w.config.vmDefaults, host);
      return { vcpu: spec.vcpu.value, memory_mib: spec.memoryMib.value, disk_size_bytes: spec.diskSizeBytes.value };
    },
    prepareWorkDisk: workDiskPreparer(w.config, w.paths),
    guestCmdline: guestCmdline(),
    stopTimeoutMs: w.config.stopTimeoutS * 1000,
    bootTimeoutMs: BOOT_TIMEOUT_MS,
  });
}
