// The explicit driver table the daemon's composition root builds and passes on (no
// registration by import side effects). Both drivers share the per-process KVM probe.
import type { Logger } from "../log.ts";
import type { DriverTable } from "./driver.ts";
import { FirecrackerDriver } from "./firecracker/driver.ts";
import { kvmStatus, type KvmStatus } from "./kvm-probe.ts";
import { QemuDriver } from "./qemu/driver.ts";

export interface DriverConfig {
  firecrackerBin: string;
  qemuBin: string;
}

export interface DriverDeps {
  log?: Logger;
  /** KVM verdict; default: the real probe, cached per process. */
  kvm?: () => Promise<KvmStatus>;
}

export function createDrivers(config: DriverConfig, deps: DriverDeps = {}): DriverTable {
  const kvm = deps.kvm ?? kvmStatus;
  return {
    firecracker: new FirecrackerDriver({ binary: config.firecrackerBin, kvm, log: deps.log }),
    qemu: new QemuDriver({ binary: config.qemuBin, kvm, log: deps.log }),
  };
}
