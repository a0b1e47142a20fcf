// Per-VM NAT (F65), applying the plans from nat-plan.ts: read the live rules, plan, run.
// nftables when `nft` exists, else the iptables fallback. All operations of one Nat
// instance run one at a time (they read-then-write the same table), and every one is
// idempotent: add twice = the same rules, remove of an absent VM = nothing to do.
import { readFileSync } from "node:fs";
import { BangerError } from "../api/errors.ts";
import type { Logger } from "../log.ts";
import { execPrivileged, hasCommand } from "./exec.ts";
import {
  IPTABLES_CHAINS, NFT_FAMILY, checkLayout, planIpForward, planIptablesAdd, planIptablesRemove,
  planNftAdd, planNftRemove, planNftTeardown, type NatLayout,
} from "./nat-plan.ts";
import { parseIptablesTaggedRules, parseNftTaggedRules, type IptablesRuleRef, type NftRuleRef } from "./net-audit.ts";

export type NatBackend = "nft" | "iptables";

/** nft when installed, else iptables, else undefined (NAT unavailable; doctor says so). */
export function detectNatBackend(): NatBackend | undefined {
  if (hasCommand("nft")) return "nft";
  if (hasCommand("iptables")) return "iptables";
  return undefined;
}

export interface NatOptions extends NatLayout {
  backend: NatBackend;
  log: Logger;
}

export interface NatRule {
  vmId: string;
  /** "postrouting"/"forward" (nft) or "nat/POSTROUTING"/"filter/FORWARD" (iptables). */
  chain: string;
  /** nft rule handle, or the rule text for iptables. */
  ref: string;
}

export class Nat {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly opts: NatOptions) {
    checkLayout(opts);
  }

  add(vmId: string, ip: string): Promise<void> {
    return this.serial(async () => {
      if (this.opts.backend === "nft") await runNft(planNftAdd(this.opts, vmId, ip, await this.nftRules()));
      else await runAll(planIptablesAdd(this.opts, vmId, ip, await this.iptablesRules()));
      this.opts.log.info("NAT rules added", { vm: vmId, ip, backend: this.opts.backend });
    });
  }

  remove(vmId: string): Promise<void> {
    return this.serial(async () => {
      const n = this.opts.backend === "nft"
        ? await runNft(planNftRemove(this.opts, vmId, await this.nftRules()))
        : await runAll(planIptablesRemove(await this.iptablesRules(), vmId));
      if (n > 0) this.opts.log.info("NAT rules removed", { vm: vmId, rules: n, backend: this.opts.backend });
    });
  }

  /** Every banger-tagged rule, with the VM id it belongs to (for gc). */
  list(): Promise<NatRule[]> {
    return this.serial(async () => {
      if (this.opts.backend === "nft") {
        return (await this.nftRules()).map((r) => ({ vmId: r.vmId, chain: r.chain, ref: String(r.handle) }));
      }
      return (await this.iptablesRules()).map((r) => ({ vmId: r.vmId, chain: `${r.table}/${r.args[1]}`, ref: r.args.join(" ") }));
    });
  }

  async vmIds(): Promise<string[]> {
    return [...new Set((await this.list()).map((r) => r.vmId))];
  }

  /** Remove everything banger added: the whole banger table (nft) or every tagged rule. */
  teardownAll(): Promise<void> {
    return this.serial(async () => {
      if (this.opts.backend === "nft") await runNft(planNftTeardown(this.opts, (await this.nftTable()) !== undefined));
      else await runAll(planIptablesRemove(await this.iptablesRules()));
    });
  }

  private async nftRules(): Promise<NftRuleRef[]> {
    const json = await this.nftTable();
    return json === undefined ? [] : parseNftTaggedRules(json, this.opts.tagPrefix);
  }

  /** `nft -j list table`, or undefined when the table does not exist. */
  private async nftTable(): Promise<string | undefined> {
    const r = await execPrivileged(["nft", "-j", "list", "table", NFT_FAMILY, this.opts.table], { allowFailure: true });
    if (r.exitCode === 0) return r.stdout;
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new BangerError("exec_failed", `nft list table ${this.opts.table} failed: ${r.stderr.trim()}`, { stderr: r.stderr });
  }

  private async iptablesRules(): Promise<IptablesRuleRef[]> {
    const out: IptablesRuleRef[] = [];
    for (const { table, chain } of IPTABLES_CHAINS) {
      const r = await execPrivileged(["iptables", "-w", "-t", table, "-S", chain]);
      out.push(...parseIptablesTaggedRules(table, r.stdout, this.opts.tagPrefix));
    }
    return out;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** One atomic nft transaction; returns how many statements ran. */
async function runNft(lines: string[]): Promise<number> {
  if (lines.length > 0) await execPrivileged(["nft", "-f", "-"], { stdin: lines.join("\n") + "\n" });
  return lines.length;
}

async function runAll(steps: string[][]): Promise<number> {
  for (const s of steps) await execPrivileged(s as ["iptables", ...string[]]);
  return steps.length;
}

/**
 * Turn on IPv4 forwarding when it is off (NAT is useless without it). The old value is
 * logged, not restored: other software on the host may rely on forwarding by then.
 */
export async function ensureIpForward(log: Logger, procFile = "/proc/sys/net/ipv4/ip_forward"): Promise<boolean> {
  const current = readFileSync(procFile, "utf8");
  const steps = planIpForward(current);
  for (const s of steps) await execPrivileged(s as ["sysctl", ...string[]]);
  if (steps.length > 0) log.info("enabled IPv4 forwarding for NAT", { previous: current.trim() });
  return steps.length > 0;
}
