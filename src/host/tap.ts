// Tap devices for VMs: persistent taps (they outlive the process that opens them, so a
// VM survives a daemon restart), owned by the daemon's user when it is not root so the
// unprivileged VMM can open them, attached to the bridge and up. Plan, then apply.
import { existsSync, readlinkSync } from "node:fs";
import { basename } from "node:path";
import { BangerError } from "../api/errors.ts";
import { applyIpPlan, checkIfname, readLink, type IpStep } from "./bridge.ts";
import { isRoot } from "./exec.ts";
import { POOL_TAP_PREFIX, VM_TAP_PREFIX } from "./net-audit.ts";

/** IFNAMSIZ - 1. */
const MAX_IFNAME = 15;

/** A VM's own tap (cold path): bgt + the first 12 hex digits of its id. */
export function tapNameForVm(vmId: string): string {
  if (!/^[0-9a-f]{4,}$/.test(vmId)) throw new BangerError("internal", `tapNameForVm: not a hex VM id: ${vmId}`);
  return VM_TAP_PREFIX + vmId.slice(0, MAX_IFNAME - VM_TAP_PREFIX.length);
}

/** A pool tap: bgp + 8 random hex digits (names are never reused, so no stale state). */
export function poolTapName(random: () => string = () => randomHex(4)): string {
  return checkIfname(POOL_TAP_PREFIX + random());
}

/**
 * Pure: a persistent tap, owned by `uid` unless undefined (root), on `bridge`, up. A tap
 * that already exists (left by an earlier run of the same VM) is only re-attached:
 * `tuntap add` refuses an existing device with EBUSY.
 */
export function planTapCreate(name: string, bridge: string, uid: number | undefined, exists = false): IpStep[] {
  checkIfname(name);
  checkIfname(bridge);
  const owner = uid === undefined ? [] : ["user", String(uid)];
  return [
    ...(exists ? [] : [["ip", "tuntap", "add", "dev", name, "mode", "tap", ...owner]]),
    ["ip", "link", "set", "dev", name, "master", bridge, "up"],
  ];
}

/** Pure: delete the tap when it exists (deleting an absent tap is a no-op, not an error). */
export function planTapDelete(name: string, exists: boolean): IpStep[] {
  return exists ? [["ip", "link", "del", "dev", checkIfname(name)]] : [];
}

/** The uid a tap should belong to: none as root, else the daemon's own user. */
export function tapOwner(): number | undefined {
  return isRoot() ? undefined : process.getuid?.();
}

export async function createTap(name: string, bridge: string): Promise<void> {
  const existed = linkExists(name);
  if (existed) {
    const link = await readLink(name);
    if (link && !(link.kind === "tun" && link.tunType === "tap")) {
      throw new BangerError("conflict", `${name} exists and is not a tap (${link.kind ?? "plain device"})`);
    }
  }
  try {
    await applyIpPlan(planTapCreate(name, bridge, tapOwner(), existed));
  } catch (err) {
    // Half-made (created but not attached): take it away again so nothing leaks. A tap
    // that was there before is not ours to delete (a VMM may hold it: "busy").
    if (!existed) await deleteTap(name).catch(() => {});
    throw err;
  }
}

export async function deleteTap(name: string): Promise<void> {
  await applyIpPlan(planTapDelete(name, linkExists(name)));
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${checkIfname(name)}`);
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Is `name` an existing interface enslaved to `bridge`? One readlink, no exec. */
export function tapAttachedTo(name: string, bridge: string): boolean {
  try {
    return basename(readlinkSync(`/sys/class/net/${checkIfname(name)}/master`)) === bridge;
  } catch {
    return false;
  }
}
