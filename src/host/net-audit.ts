// Read-side of the host network: pure parsers for `ip -j -d addr show`, `nft -j list
// table` and `iptables -S`, and the audit `vm gc` uses to find banger-owned taps and NAT
// rules. Ownership is recognized ONLY by banger's markers: the tap name prefixes and the
// `<tagPrefix>:<vmId>` rule comment. Anything without them is never reported, so gc can
// never remove what banger did not create.
import { BangerError } from "../api/errors.ts";
import { exec } from "./exec.ts";

/** Taps created for one VM when the pool is empty: bgt + the first 12 hex of the VM id. */
export const VM_TAP_PREFIX = "bgt";
/** Idle taps pre-created by the warm pool: bgp + random hex. */
export const POOL_TAP_PREFIX = "bgp";
export const DEFAULT_TAG_PREFIX = "banger";

export interface LinkState {
  name: string;
  /** linkinfo.info_kind: "bridge", "tun", ... (undefined for plain devices). */
  kind?: string;
  /** For tun devices: "tap" or "tun". */
  tunType?: string;
  master?: string;
  /** Administratively up (the UP flag; a bridge without running ports still lacks carrier). */
  up: boolean;
  /** IPv4 addresses in CIDR form, "172.30.0.1/24". */
  ipv4: string[];
}

interface IpJsonLink {
  ifname?: string;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { type?: string } };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Parse `ip -j [-d] addr show` (or `ip -j [-d] link show`) output. */
export function parseIpLinks(json: string): LinkState[] {
  const data = parseJson(json, "ip -j") as IpJsonLink[];
  if (!Array.isArray(data)) throw new BangerError("internal", "ip -j output is not an array");
  return data.filter((l) => typeof l.ifname === "string").map((l) => ({
    name: l.ifname!,
    kind: l.linkinfo?.info_kind,
    tunType: l.linkinfo?.info_data?.type,
    master: l.master,
    up: (l.flags ?? []).includes("UP"),
    ipv4: (l.addr_info ?? []).filter((a) => a.family === "inet" && a.local).map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

export interface OwnedTap {
  name: string;
  kind: "vm" | "pool";
  /** For "vm" taps: the VM id prefix encoded in the name. */
  vmIdPrefix?: string;
  master?: string;
}

/** Exactly the names tap.ts generates: bgt + 4-12 hex (VM id prefix), bgp + 8 hex (pool). */
const VM_TAP_RE = new RegExp(`^${VM_TAP_PREFIX}([0-9a-f]{4,12})$`);
const POOL_TAP_RE = new RegExp(`^${POOL_TAP_PREFIX}[0-9a-f]{8}$`);

/**
 * Taps banger owns, recognized by their exact name shape (and, when -d was used, by being
 * a tap). A name that merely starts with "bgt" ("bgtap0", a test fixture) is not ours.
 */
export function ownedTaps(links: LinkState[]): OwnedTap[] {
  const out: OwnedTap[] = [];
  for (const l of links) {
    if (l.kind !== undefined && !(l.kind === "tun" && l.tunType === "tap")) continue;
    const vm = VM_TAP_RE.exec(l.name);
    if (vm) out.push({ name: l.name, kind: "vm", vmIdPrefix: vm[1], master: l.master });
    else if (POOL_TAP_RE.test(l.name)) out.push({ name: l.name, kind: "pool", master: l.master });
  }
  return out;
}

export interface NftRuleRef {
  chain: string;
  handle: number;
  comment: string;
  vmId: string;
}

/** Rules in `nft -j list table` output whose comment is `<tagPrefix>:<vmId>`. */
export function parseNftTaggedRules(json: string, tagPrefix = DEFAULT_TAG_PREFIX): NftRuleRef[] {
  const data = parseJson(json, "nft -j") as { nftables?: Record<string, unknown>[] };
  const items = Array.isArray(data?.nftables) ? data.nftables : [];
  const out: NftRuleRef[] = [];
  for (const item of items) {
    const rule = item.rule as { chain?: string; handle?: number; comment?: string } | undefined;
    const vmId = rule ? vmIdOfTag(rule.comment, tagPrefix) : undefined;
    if (rule && vmId !== undefined && typeof rule.chain === "string" && typeof rule.handle === "number") {
      out.push({ chain: rule.chain, handle: rule.handle, comment: rule.comment!, vmId });
    }
  }
  return out;
}

/** Chain names present in `nft -j list table` output (to know the table's layout). */
export function parseNftChains(json: string): string[] {
  const data = parseJson(json, "nft -j") as { nftables?: Record<string, unknown>[] };
  const items = Array.isArray(data?.nftables) ? data.nftables : [];
  return items.flatMap((i) => (i.chain ? [(i.chain as { name: string }).name] : []));
}

export interface IptablesRuleRef {
  table: string;
  /** The rule as `iptables -S` prints it, split into arguments: ["-A", "FORWARD", ...]. */
  args: string[];
  vmId: string;
}

/** Tagged rules in `iptables -t <table> -S [chain]` output. */
export function parseIptablesTaggedRules(table: string, text: string, tagPrefix = DEFAULT_TAG_PREFIX): IptablesRuleRef[] {
  const out: IptablesRuleRef[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("-A ")) continue;
    const args = splitIptablesLine(line);
    const at = args.indexOf("--comment");
    const vmId = at >= 0 ? vmIdOfTag(args[at + 1], tagPrefix) : undefined;
    if (vmId !== undefined) out.push({ table, args, vmId });
  }
  return out;
}

/** Split an `iptables -S` line: whitespace-separated, double quotes group, \" escapes. */
export function splitIptablesLine(line: string): string[] {
  const args: string[] = [];
  let cur = "";
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && inQuote && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (/\s/.test(c) && !inQuote) {
      if (has || cur) args.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) args.push(cur);
  return args;
}

export function natTag(vmId: string, tagPrefix = DEFAULT_TAG_PREFIX): string {
  return `${tagPrefix}:${vmId}`;
}

function vmIdOfTag(comment: string | undefined, tagPrefix: string): string | undefined {
  if (typeof comment !== "string" || !comment.startsWith(`${tagPrefix}:`)) return undefined;
  const id = comment.slice(tagPrefix.length + 1);
  return /^[0-9a-z]+$/.test(id) ? id : undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BangerError("internal", `cannot parse ${what} output: ${(err as Error).message}`);
  }
}

/** Banger-owned taps on this host right now (`ip -j -d link show`, no privilege needed). */
export async function auditTaps(): Promise<OwnedTap[]> {
  const r = await exec(["ip", "-j", "-d", "link", "show"]);
  return ownedTaps(parseIpLinks(r.stdout));
}
