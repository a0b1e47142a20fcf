// Pure planners for per-VM NAT (F65). nftables: one banger-owned table with a nat
// postrouting chain and a filter forward chain; every rule carries the comment
// `<tagPrefix>:<vmId>`, which is how removal finds exactly that VM's rules. iptables
// fallback: the same three rules in the built-in nat POSTROUTING / filter FORWARD chains,
// tagged with `-m comment --comment <tagPrefix>:<vmId>`. Plans only ever name rules that
// were found by that tag (or the banger table itself): nothing else can be touched.
import { BangerError } from "../api/errors.ts";
import { checkIfname } from "./bridge.ts";
import { natTag, type IptablesRuleRef, type NftRuleRef } from "./net-audit.ts";

export interface NatLayout {
  /** nftables table name (family inet); "banger" in production, unique in tests. */
  table: string;
  bridge: string;
  /** Rule comment prefix; "banger" in production. */
  tagPrefix: string;
}

export const NFT_FAMILY = "inet";
export const POSTROUTING_CHAIN = "postrouting";
export const FORWARD_CHAIN = "forward";

export function checkLayout(l: NatLayout): NatLayout {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(l.table)) throw new BangerError("usage", `bad nftables table name "${l.table}"`);
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(l.tagPrefix)) throw new BangerError("usage", `bad NAT tag prefix "${l.tagPrefix}"`);
  checkIfname(l.bridge);
  return l;
}

function checkVm(vmId: string, ip: string | undefined): void {
  if (!/^[0-9a-z]{1,64}$/.test(vmId)) throw new BangerError("usage", `bad VM id "${vmId}" for a NAT rule`);
  if (ip !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new BangerError("usage", `bad IPv4 address "${ip}"`);
}

// ---- nftables ----

/** `add` is idempotent in nft: these create the table and chains only when missing. */
export function planNftEnsureTable(l: NatLayout): string[] {
  const t = `${NFT_FAMILY} ${checkLayout(l).table}`;
  return [
    `add table ${t}`,
    `add chain ${t} ${POSTROUTING_CHAIN} { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${t} ${FORWARD_CHAIN} { type filter hook forward priority filter; policy accept; }`,
  ];
}

/** The VM's three rules: masquerade what leaves through another interface, forward both ways. */
export function planNftVmRules(l: NatLayout, vmId: string, ip: string): string[] {
  checkVm(vmId, ip);
  const t = `${NFT_FAMILY} ${checkLayout(l).table}`;
  const tag = `comment "${natTag(vmId, l.tagPrefix)}"`;
  const br = `"${l.bridge}"`;
  return [
    `add rule ${t} ${POSTROUTING_CHAIN} ip saddr ${ip} oifname != ${br} masquerade ${tag}`,
    `add rule ${t} ${FORWARD_CHAIN} iifname ${br} ip saddr ${ip} accept ${tag}`,
    `add rule ${t} ${FORWARD_CHAIN} oifname ${br} ip daddr ${ip} ct state established,related accept ${tag}`,
  ];
}

/** Delete the given VM's rules among `existing` (refs parsed from the live table). */
export function planNftRemove(l: NatLayout, vmId: string, existing: NftRuleRef[]): string[] {
  const t = `${NFT_FAMILY} ${checkLayout(l).table}`;
  return existing.filter((r) => r.vmId === vmId).map((r) => `delete rule ${t} ${r.chain} handle ${r.handle}`);
}

/**
 * Add = ensure table, drop the VM's old rules, add the new ones — one nft transaction
 * (`nft -f`), so it is atomic and running it twice leaves the same three rules.
 */
export function planNftAdd(l: NatLayout, vmId: string, ip: string, existing: NftRuleRef[]): string[] {
  return [...planNftEnsureTable(l), ...planNftRemove(l, vmId, existing), ...planNftVmRules(l, vmId, ip)];
}

export function planNftTeardown(l: NatLayout, tableExists: boolean): string[] {
  return tableExists ? [`delete table ${NFT_FAMILY} ${checkLayout(l).table}`] : [];
}

// ---- iptables fallback ----

/** The chains the fallback writes to, and therefore the only ones it lists. */
export const IPTABLES_CHAINS = [
  { table: "nat", chain: "POSTROUTING" },
  { table: "filter", chain: "FORWARD" },
] as const;

export function planIptablesVmRules(l: NatLayout, vmId: string, ip: string): string[][] {
  checkVm(vmId, ip);
  checkLayout(l);
  const tag = ["-m", "comment", "--comment", natTag(vmId, l.tagPrefix)];
  const src = `${ip}/32`;
  return [
    ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", src, "!", "-o", l.bridge, ...tag, "-j", "MASQUERADE"],
    // Inserted first so a FORWARD policy of DROP (Docker sets one) does not eat VM traffic.
    ["iptables", "-w", "-t", "filter", "-I", "FORWARD", "1", "-i", l.bridge, "-s", src, ...tag, "-j", "ACCEPT"],
    ["iptables", "-w", "-t", "filter", "-I", "FORWARD", "1", "-o", l.bridge, "-d", src,
      "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...tag, "-j", "ACCEPT"],
  ];
}

/** `-D` commands for tagged rules of `vmId` (or of every VM when vmId is undefined). */
export function planIptablesRemove(existing: IptablesRuleRef[], vmId?: string): string[][] {
  return existing
    .filter((r) => vmId === undefined || r.vmId === vmId)
    .map((r) => {
      if (r.args[0] !== "-A") throw new BangerError("internal", `unexpected iptables -S line: ${r.args.join(" ")}`);
      return ["iptables", "-w", "-t", r.table, "-D", ...r.args.slice(1)];
    });
}

export function planIptablesAdd(l: NatLayout, vmId: string, ip: string, existing: IptablesRuleRef[]): string[][] {
  return [...planIptablesRemove(existing, vmId), ...planIptablesVmRules(l, vmId, ip)];
}

// ---- forwarding ----

/** Routing for NATed guests needs IPv4 forwarding; plan the sysctl only when it is off. */
export function planIpForward(current: string): string[][] {
  return current.trim() === "1" ? [] : [["sysctl", "-w", "net.ipv4.ip_forward=1"]];
}
