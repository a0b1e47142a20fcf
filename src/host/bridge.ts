// The host bridge VMs' taps attach to. Plan, then apply: planBridge() compares the live
// link with what we want and returns the `ip` commands that close the gap (none when the
// bridge is already right), applyIpPlan() runs them with privilege. Idempotent; an
// existing bridge is never flushed or re-created, only completed.
import { existsSync } from "node:fs";
import { BangerError } from "../api/errors.ts";
import type { Logger } from "../log.ts";
import { exec, execPrivileged } from "./exec.ts";
import { parseIpLinks, type LinkState } from "./net-audit.ts";
import { bridgeSubnet } from "./subnet.ts";

/** One `ip` invocation: ["ip", "link", "add", ...]. */
export type IpStep = string[];

const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** Linux interface names: at most 15 bytes (IFNAMSIZ 16 with the NUL), no whitespace or "/". */
export function checkIfname(name: string): string {
  if (!IFNAME_RE.test(name)) {
    throw new BangerError("usage", `"${name}" is not a valid interface name (1-15 letters, digits, ".", "_", "-")`);
  }
  return name;
}

/** Pure: the steps that make `current` (undefined = absent) a bridge with `hostCidr`, up. */
export function planBridge(name: string, hostCidr: string, current: LinkState | undefined): IpStep[] {
  checkIfname(name);
  if (current && current.kind !== "bridge") {
    throw new BangerError(
      "conflict",
      `${name} exists but is not a bridge (${current.kind ?? "plain device"}); set bridge_name to another name or remove it`,
    );
  }
  const steps: IpStep[] = [];
  if (!current) steps.push(["ip", "link", "add", "name", name, "type", "bridge"]);
  // An extra address on an existing bridge stays: the user may have put it there.
  if (!current?.ipv4.includes(hostCidr)) steps.push(["ip", "addr", "add", hostCidr, "dev", name]);
  if (!current?.up) steps.push(["ip", "link", "set", "dev", name, "up"]);
  return steps;
}

/** Pure: remove the bridge (tests and an explicit teardown only; the daemon keeps it). */
export function planBridgeDelete(name: string, current: LinkState | undefined): IpStep[] {
  return current ? [["ip", "link", "del", "dev", checkIfname(name)]] : [];
}

/** The link's current state, or undefined when no such interface exists. No privilege. */
export async function readLink(name: string): Promise<LinkState | undefined> {
  checkIfname(name);
  if (!existsSync(`/sys/class/net/${name}`)) return undefined;
  const r = await exec(["ip", "-j", "-d", "addr", "show", "dev", name], { allowFailure: true });
  if (r.exitCode !== 0) {
    if (/does not exist|cannot find device/i.test(r.stderr)) return undefined;
    throw new BangerError("exec_failed", `ip addr show ${name} failed: ${r.stderr.trim()}`, { stderr: r.stderr });
  }
  return parseIpLinks(r.stdout)[0];
}

/**
 * Run a plan. Several steps go through one `ip -batch -` process (one sudo, one fork) —
 * that is most of what makes a cold tap create cheap. Arguments never contain whitespace
 * (names and addresses are validated), so the batch line format cannot split them wrongly.
 */
export async function applyIpPlan(steps: IpStep[]): Promise<void> {
  if (steps.length === 0) return;
  for (const s of steps) {
    if (s[0] !== "ip" || s.some((a) => a === "" || /\s/.test(a))) throw new BangerError("internal", `bad ip step: ${JSON.stringify(s)}`);
  }
  if (steps.length === 1) {
    await execPrivileged(steps[0] as ["ip", ...string[]]);
    return;
  }
  const script = steps.map((s) => s.slice(1).join(" ")).join("\n") + "\n";
  await execPrivileged(["ip", "-batch", "-"], { stdin: script });
}

export interface BridgeOptions {
  name: string;
  /** bridge_subnet, e.g. "172.30.0.0/24"; the bridge gets its first host address. */
  subnet: string;
  log: Logger;
}

/** Make sure the bridge exists with its address and is up; returns the steps it ran. */
export async function ensureBridge(opts: BridgeOptions): Promise<IpStep[]> {
  const { hostCidr } = bridgeSubnet(opts.subnet);
  const steps = planBridge(opts.name, hostCidr, await readLink(opts.name));
  if (steps.length > 0) {
    opts.log.info("configuring bridge", { bridge: opts.name, address: hostCidr, steps: steps.map((s) => s.join(" ")) });
    await applyIpPlan(steps);
  }
  return steps;
}

export async function deleteBridge(name: string): Promise<void> {
  await applyIpPlan(planBridgeDelete(name, await readLink(name)));
}
