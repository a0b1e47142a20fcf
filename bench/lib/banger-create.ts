// The banger side of the vm-create bench: an isolated instance whose default image is a
// locally imported Debian image (the same bookworm tar the image tests use, as an OCI
// layout) booting the host's Debian cloud kernel, then timed `vm create` runs. Every
// step goes through the documented CLI; a failing step throws an error naming the
// command, and nothing is measured for it.
import { join } from "node:path";
import { BenchInstance } from "./instance.ts";
import { deleteBridgeAndPorts, freePort, pidAlive, sh } from "./host.ts";
import { ociLayoutFromTar } from "./oci-layout.ts";

export const IMAGE_NAME = "bench-debian";
/** The embedded catalogs' name for this kernel (and their default kernel for imported
 *  images), so nothing is ever fetched for it. */
export const KERNEL_NAME = "debian-cloud-6.1";

export interface BangerSetup {
  inst: BenchInstance;
  bridge: string;
  rootfs: string;
  workSeed?: string;
  kernel_import_ms: number;
  image_import_ms: number;
}

export interface CreateSample {
  wall_ms: number;
  timings: { stage: string; ms: number; detail?: string }[];
  delete_ms: number;
  /** Daemons started during the create (a restart costs seconds: it should be 0). */
  daemon_starts: number;
  vm: { name: string; ip: string | null; state: string };
}

export interface BangerOptions {
  /** Unique bridge for this instance (removed with its taps at teardown). */
  bridge: string;
  subnet: string;
  vcpu: number;
  memoryMib: number;
}

function configToml(o: BangerOptions, dnsPort: number): string {
  return [
    `vmm = "qemu"`, `bridge_name = "${o.bridge}"`, `bridge_subnet = "${o.subnet}.0/24"`,
    `dns_listen = "127.0.0.1:${dnsPort}"`, `default_image = "${IMAGE_NAME}"`, "",
    "[vm_defaults]", `vcpu = ${o.vcpu}`, `memory_mib = ${o.memoryMib}`, `disk_size = "2G"`, "",
  ].join("\n");
}

/** Instance + kernel import + image import. On failure the instance is cleaned up. */
export async function setupBanger(inst: BenchInstance, debianTar: string, o: BangerOptions): Promise<BangerSetup> {
  inst.writeConfig(configToml(o, await freePort()));
  const kernel = await inst.json(["kernel", "import", KERNEL_NAME, "--from", "/"], 300_000);
  const layout = await ociLayoutFromTar(debianTar, join(inst.root, "layout"));
  // No kernel flag: imports get the catalog's default kernel, which is KERNEL_NAME.
  const image = await inst.json(["image", "import", layout.dir, "--name", IMAGE_NAME], 900_000);
  const shown = (await inst.json<Record<string, unknown>>(["image", "show", IMAGE_NAME])).value;
  const rootfs = pickPath(shown, ["rootfs_path", "rootfs"]);
  if (!rootfs) throw new Error(`\`banger image show ${IMAGE_NAME} --json\` has no rootfs_path: ${JSON.stringify(shown).slice(0, 300)}`);
  const workSeed = pickPath(shown, ["work_seed_path", "work_seed"]);
  return {
    inst, bridge: o.bridge, rootfs, ...(workSeed ? { workSeed } : {}),
    kernel_import_ms: kernel.ms, image_import_ms: image.ms,
  };
}

function pickPath(obj: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) if (typeof obj[k] === "string" && obj[k]) return obj[k] as string;
  return undefined;
}

export async function bangerCreate(setup: BangerSetup, name: string, timeoutMs: number): Promise<CreateSample> {
  const startsBefore = setup.inst.daemonStarts();
  const created = await setup.inst.json<{ vm: { name: string; ip: string | null; state: string }; timings: CreateSample["timings"] }>(
    ["vm", "create", "--name", name], timeoutMs,
  );
  const daemonStarts = setup.inst.daemonStarts() - startsBefore;
  const { vm, timings } = created.value;
  if (!Array.isArray(timings)) throw new Error(`\`banger vm create --name ${name} --json\` returned no timings array`);
  if (vm?.state !== "running") throw new Error(`\`banger vm create --name ${name}\` returned state ${vm?.state}, expected running`);
  const deleted = await setup.inst.ok(["vm", "delete", "--force", name, "--json"], 120_000);
  return { wall_ms: created.ms, timings, delete_ms: deleted.ms, daemon_starts: daemonStarts, vm: { name: vm.name, ip: vm.ip, state: vm.state } };
}

/** Deletes whatever VMs are left, stops the daemon, removes the instance and its bridge. */
export async function teardownBanger(inst: BenchInstance, bridge: string | undefined): Promise<void> {
  // Only ask a daemon that runs: any other command would start one.
  const pid = inst.daemonPid();
  const listed = pid && pidAlive(pid) ? await inst.run(["vm", "list", "--all", "--quiet"], 30_000).catch(() => null) : null;
  const ids = listed?.code === 0 ? listed.stdout.split("\n").filter(Boolean) : [];
  if (ids.length > 0) await inst.run(["vm", "delete", "--force", ...ids], 180_000).catch(() => {});
  await inst.stopDaemon();
  // A VMM the daemon lost track of still has its disk under this instance's dir.
  const stray = sh(["pgrep", "-f", `${inst.root}/`], { allowFailure: true }).stdout.split("\n").filter(Boolean);
  for (const pid of stray.map(Number)) if (pid !== process.pid) process.kill(pid, "SIGKILL");
  await inst.cleanup();
  if (bridge) deleteBridgeAndPorts(bridge);
}
