// Route `.vm` lookups to banger's DNS server through systemd-resolved (F66), per link:
// the bridge gets our server as its DNS server and `~vm` as a routing-only domain, so
// only *.vm queries go there. Reverted on daemon shutdown. Where resolved is not running
// this is a no-op with a logged reason (the managed ssh-config block still makes
// `ssh root@<name>.vm` work; other tools can query the server directly).
//
// Note: resolved only uses a link's DNS settings while the link has carrier, i.e. once a
// VM is running on the bridge. That is exactly when `.vm` names exist.
import { existsSync } from "node:fs";
import type { Logger } from "../log.ts";
import { checkIfname } from "./bridge.ts";
import { execPrivileged, hasCommand } from "./exec.ts";
import { ZONE } from "./dns-server.ts";

export interface ResolvedProbe {
  active: boolean;
  reason: string;
}

/** The facts detection looks at, injectable for tests. */
export interface ResolvedFacts {
  hasResolvectl: boolean;
  /** resolved's runtime directory exists (it is created by the running service). */
  runtimeDir: boolean;
}

export function hostResolvedFacts(): ResolvedFacts {
  return { hasResolvectl: hasCommand("resolvectl"), runtimeDir: existsSync("/run/systemd/resolve") };
}

/** Pure: is resolved usable, and why not. */
export function probeResolved(f: ResolvedFacts): ResolvedProbe {
  if (!f.hasResolvectl) return { active: false, reason: "resolvectl is not installed (systemd-resolved absent)" };
  if (!f.runtimeDir) return { active: false, reason: "systemd-resolved is not running (/run/systemd/resolve missing)" };
  return { active: true, reason: "systemd-resolved is running" };
}

/**
 * Pure: the resolvectl commands for the bridge. `default-route false` keeps every other
 * domain away from our server even if resolved's defaults change; DNSSEC is off for the
 * link because `.vm` is not a signed zone and allow-downgrade would still try.
 */
export function planResolvedRouting(bridge: string, dnsListen: string): string[][] {
  checkIfname(bridge);
  return [
    ["resolvectl", "dns", bridge, dnsListen],
    ["resolvectl", "domain", bridge, `~${ZONE}`],
    ["resolvectl", "default-route", bridge, "false"],
    ["resolvectl", "dnssec", bridge, "no"],
  ];
}

/** Pure: drop every per-link setting banger made on the bridge. */
export function planResolvedRevert(bridge: string): string[][] {
  return [["resolvectl", "revert", checkIfname(bridge)]];
}

export interface ResolvedOptions {
  bridge: string;
  /** The DNS server's actual listen address, "127.0.0.1:42069". */
  dnsListen: string;
  log: Logger;
  facts?: ResolvedFacts;
}

/** Apply the routing; returns false (and logs why) when resolved is not there. */
export async function routeVmZone(opts: ResolvedOptions): Promise<boolean> {
  return applyIfActive(opts, planResolvedRouting(opts.bridge, opts.dnsListen), "routed .vm to banger's DNS via systemd-resolved");
}

export async function revertVmZone(opts: ResolvedOptions): Promise<boolean> {
  return applyIfActive(opts, planResolvedRevert(opts.bridge), "reverted systemd-resolved settings on the bridge");
}

async function applyIfActive(opts: ResolvedOptions, steps: string[][], done: string): Promise<boolean> {
  const probe = probeResolved(opts.facts ?? hostResolvedFacts());
  if (!probe.active) {
    opts.log.info("skipping systemd-resolved routing", { reason: probe.reason, bridge: opts.bridge });
    return false;
  }
  for (const s of steps) await execPrivileged(s as ["resolvectl", ...string[]]);
  opts.log.info(done, { bridge: opts.bridge, dns: opts.dnsListen });
  return true;
}
