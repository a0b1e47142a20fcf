// Builds the daemon's services explicitly (no lazy getters, no registration by import):
// kernels, VMM drivers, host network, .vm naming, the VM service; returns their RPC
// handlers, doctor checks and the hooks the daemon calls at start and shutdown.
import { dirname, join } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { Config } from "../config/config.ts";
import type { Paths } from "../config/paths.ts";
import { defaultSshConfigPath } from "../host/ssh-config.ts";
import { VmNaming } from "../host/vm-naming.ts";
import { imageHandlers } from "../images/handlers.ts";
import { guestInjection } from "../images/guest-files.ts";
import { ImageService } from "../images/service.ts";
import { kernelHandlers } from "../kernels/handlers.ts";
import { dockerConfigPath } from "../oci/auth.ts";
import { KernelService } from "../kernels/service.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { listImages } from "../store/images.ts";
import { createDrivers } from "../vmm/registry.ts";
import { selectDriver } from "../vmm/select.ts";
import type { Check } from "./doctor.ts";
import type { Handlers } from "./server.ts";
import { vmmChecks } from "./vmm-checks.ts";
import { reconcile } from "./vms/reconcile.ts";
import { vmHandlers } from "./vms/handlers.ts";
import type { ImagePuller } from "./wiring/images.ts";
import { hostNetwork } from "./wiring/network.ts";
import { vmmPort } from "./wiring/vmm.ts";
import { buildVmContext } from "./wiring/vms.ts";

export interface Services {
  handlers: Handlers;
  checks(): Check[];
  dnsListener(): string | null;
  /** Bring up listeners and re-adopt running VMs. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceDeps {
  config: Config;
  paths: Paths;
  db: Db;
  log: Logger;
}

export async function buildServices({ config, paths, db, log }: ServiceDeps): Promise<Services> {
  const kernels = new KernelService({
    paths,
    catalogUrl: config.kernelCatalogUrl ?? null,
    log: log.child({ service: "kernels" }),
    kernelUsers: (name) => listImages(db).filter((i) => i.kernelName === name).map((i) => i.name),
  });
  const drivers = createDrivers({ firecrackerBin: config.firecrackerBin, qemuBin: config.qemuBin }, { log });
  const knownHosts = join(dirname(config.sshKey), "known_hosts_vm");
  const naming = new VmNaming({
    listen: `${config.dnsListen.host}:${config.dnsListen.port}`,
    bridge: config.bridgeName,
    log: log.child({ service: "dns" }),
    sshConfigPath: defaultSshConfigPath(),
    keyPath: config.sshKey,
    hostsFile: paths.sshVmHostsFile,
    knownHostsFile: knownHosts,
  });
  const network = hostNetwork(config, log.child({ service: "network" }), () => void naming.routeResolved());
  const images = new ImageService({
    paths, db, log: log.child({ service: "images" }), kernels,
    insecureRegistries: config.insecureRegistries, platform: config.platform,
    imageCatalogUrl: config.imageCatalogUrl ?? null, injection: guestInjection, dockerConfig: dockerConfigPath(),
  });
  const pullImage: ImagePuller = (ref, sink) => images.ensure(ref, sink);
  const vms = buildVmContext({
    config, paths, db, log, kernels, pullImage, network, dns: naming.records,
    drivers: { firecracker: vmmPort(drivers.firecracker, paths, log), qemu: vmmPort(drivers.qemu, paths, log) },
    selectDriver: async (requested) => {
      const s = await selectDriver(requested, drivers);
      return { driver: vmmPort(s.driver, paths, log), reason: s.reason };
    },
  });
  return {
    handlers: { ...kernelHandlers(kernels), ...imageHandlers(images), ...vmHandlers(vms) },
    checks: () => vmmChecks(drivers, config, paths),
    dnsListener: () => naming.listen,
    start: async () => {
      kernels.sweepStale();
      images.sweepStale();
      await naming.start();
      await reconcile(vms);
    },
    stop: async () => {
      await naming.stop();
      await network.close();
    },
  };
}
