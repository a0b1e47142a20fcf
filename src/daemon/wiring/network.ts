// NetworkPort over the host modules: bridge, warm tap pool, NAT (nftables or iptables).
import { BangerError } from "../../api/errors.ts";
import type { Config } from "../../config/config.ts";
import { ensureBridge } from "../../host/bridge.ts";
import { exec } from "../../host/exec.ts";
import { detectNatBackend, ensureIpForward, Nat } from "../../host/nat.ts";
import { ownedTaps, parseIpLinks } from "../../host/net-audit.ts";
import { bridgeSubnet } from "../../host/subnet.ts";
import { TapPool } from "../../host/tap-pool.ts";
import type { Logger } from "../../log.ts";
import type { NetworkPort } from "../vms/ports.ts";

export interface HostNetwork extends NetworkPort {
  /** Drop idle pool taps (daemon shutdown). VM taps stay: their VMs keep running. */
  close(): Promise<void>;
}

export function hostNetwork(config: Config, log: Logger, onBridgeChange?: () => void): HostNetwork {
  const subnet = bridgeSubnet(config.bridgeSubnet);
  const bridge = config.bridgeName;
  const pool = new TapPool({ bridge, size: config.tapPoolSize, log });
  let nat: Nat | null = null;
  let poolStarted = false;
  const natFor = (): Nat => {
    if (nat) return nat;
    const backend = detectNatBackend();
    if (!backend) throw new BangerError("precondition", "NAT needs nftables or iptables: install nftables (apt-get install nftables)");
    nat = new Nat({ backend, table: "banger", bridge, tagPrefix: "banger", log });
    return nat;
  };
  return {
    bridge,
    subnet: subnet.cidr,
    gateway: subnet.gateway,
    prefix: subnet.prefix,
    ensureBridge: async () => {
      // Checked on every boot (one `ip` read, ~3 ms): a bridge deleted behind our back
      // comes back. The tap pool warms up after the first success.
      const steps = await ensureBridge({ name: bridge, subnet: subnet.cidr, log });
      if (steps.length > 0) onBridgeChange?.();
      if (!poolStarted) {
        poolStarted = true;
        void pool.start();
      }
    },
    acquireTap: async (vmId) => (await pool.acquire(vmId)).name,
    releaseTap: (tap) => pool.release(tap),
    addNat: async (vmId, ip) => {
      await ensureIpForward(log);
      await natFor().add(vmId, ip);
    },
    removeNat: async (vmId) => {
      if (detectNatBackend()) await natFor().remove(vmId);
    },
    audit: async () => {
      const links = parseIpLinks((await exec(["ip", "-d", "-j", "link", "show"])).stdout);
      const idle = new Set(pool.idle());
      const taps = ownedTaps(links).map((t) => t.name).filter((n) => !idle.has(n));
      const natVmIds = detectNatBackend() ? await natFor().vmIds() : [];
      return { taps, natVmIds };
    },
    close: () => pool.drain(),
  };
}
