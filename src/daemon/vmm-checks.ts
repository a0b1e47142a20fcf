// Doctor checks for running VMs (F90): VMM binaries and what `vmm = auto` picks, KVM,
// host privileges for bridge/tap/NAT, the ssh client, and disk space.
import { statfsSync } from "node:fs";
import type { Config } from "../config/config.ts";
import type { Paths } from "../config/paths.ts";
import { exec, hasCommand, installHint, isRoot } from "../host/exec.ts";
import type { DriverTable } from "../vmm/driver.ts";
import { kvmStatus } from "../vmm/kvm-probe.ts";
import { selectDriver } from "../vmm/select.ts";
import { fail, pass, warn, type Check } from "./doctor.ts";

const MIN_FREE_BYTES = 5 * 1024 ** 3;

export function vmmChecks(drivers: DriverTable, config: Config, paths: Paths): Check[] {
  return [
    {
      name: "vmm drivers",
      run: async () => {
        const out = [];
        for (const d of Object.values(drivers)) {
          const a = await d.available();
          out.push(a.ok ? pass(`vmm ${d.info.name}`, a.reason) : warn(`vmm ${d.info.name}`, a.reason, d.info.name === "qemu" ? installHint("qemu-system-x86_64") : "install firecracker and make /dev/kvm usable"));
        }
        try {
          const s = await selectDriver(config.vmm, drivers);
          out.push(pass("vmm choice", `vmm = ${config.vmm} -> ${s.driver.info.name}: ${s.reason}`));
        } catch (err) {
          out.push(fail("vmm choice", (err as Error).message, "install qemu-system-x86 (works without KVM) or firecracker"));
        }
        return out;
      },
    },
    {
      name: "kvm",
      run: async () => {
        const k = await kvmStatus();
        return k.usable ? pass("kvm", k.reason) : warn("kvm", k.reason, "guests run under QEMU TCG (slower); use a host with hardware virtualization for Firecracker");
      },
    },
    { name: "network privileges", run: privilegesCheck },
    {
      name: "host tools",
      run: () =>
        ([["ssh", "vm ssh"], ["ip", "bridge and taps"], ["e2fsck", "checking disks"], ["resize2fs", "growing work disks"], ["git", "host git identity for guests"]] as const).map(([tool, why]) =>
          hasCommand(tool) ? pass(`tool ${tool}`, `${Bun.which(tool)} (${why})`) : fail(`tool ${tool}`, `${tool} not found (${why})`, installHint(tool))),
    },
    {
      name: "nat backend",
      run: () =>
        hasCommand("nft") ? pass("nat backend", "nftables") : hasCommand("iptables") ? pass("nat backend", "iptables (fallback)") : warn("nat backend", "neither nft nor iptables found: --nat will fail", installHint("nft")),
    },
    {
      name: "disk space",
      run: () => {
        const s = statfsSync(paths.roots.state, { bigint: false });
        const free = s.bavail * s.bsize;
        const gib = (free / 1024 ** 3).toFixed(1);
        return free >= MIN_FREE_BYTES ? pass("disk space", `${gib} GiB free under ${paths.roots.state}`) : warn("disk space", `only ${gib} GiB free under ${paths.roots.state}`, "free space: images and VM disks need several GiB");
      },
    },
  ];
}

/** Root runs ip/nft directly; otherwise every allow-listed command needs passwordless sudo. */
async function privilegesCheck() {
  if (isRoot()) return pass("network privileges", "running as root: ip, nft, iptables run directly");
  if (!hasCommand("sudo")) return fail("network privileges", "not root and sudo is missing", "run the daemon as root or install sudo with passwordless rules for ip, nft, iptables, resolvectl, sysctl");
  const r = await exec(["sudo", "-n", "--", "ip", "link", "show", "lo"], { allowFailure: true });
  return r.exitCode === 0
    ? pass("network privileges", "passwordless sudo works for ip")
    : fail("network privileges", `sudo -n ip failed: ${r.stderr.trim()}`, "allow passwordless sudo for: ip, nft, iptables, resolvectl, sysctl");
}
