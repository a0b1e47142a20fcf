// The guest kernel command line for a VM (pure), plus the host TSC frequency the QEMU
// driver needs under TCG. The agent parses the banger.* keys (src/api/guest.ts).
import { readFileSync } from "node:fs";
import { AGENT_GUEST_PATH, CMDLINE } from "../api/guest.ts";
import { BangerError } from "../api/errors.ts";

export interface GuestCmdlineInput {
  /** Guest IPv4 address, e.g. 172.30.0.2. */
  ip: string;
  /** Prefix length of the guest subnet, 0..32. */
  prefix: number;
  /** Default gateway (the bridge address). */
  gateway: string;
  /** Nameservers written to /etc/resolv.conf; empty = leave the image's file alone. */
  dns: string[];
  hostname: string;
  /** The image's real init for the shim to exec (default: /sbin/init, then the usual places). */
  init?: string;
  /** vsock port for the agent (Firecracker); omitted = the agent's default. */
  vsockPort?: number;
  /** Serial console device, e.g. "ttyS0". */
  console: string;
  /** Set under QEMU TCG: the guest TSC is the host TSC; without this the guest may hang. */
  tcg: { tscKhz: number } | null;
  /** Root block device; default /dev/vda. */
  root?: string;
  /** Work disk device the init shim mounts on /root (e.g. /dev/vdb); omitted = none. */
  workDevice?: string;
  /** "reboot" for VMMs that exit on guest reboot but cannot power off. */
  poweroff?: "off" | "reboot";
  /** Extra parameters, appended verbatim (each must be one token). */
  extra: string[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const TOKEN = /^[^\s"]+$/;

function invalid(field: string, value: unknown, why: string): never {
  throw new BangerError("invalid_params", `guest command line: ${field} ${JSON.stringify(value)} ${why}`, {
    field,
  });
}

function check(input: GuestCmdlineInput): void {
  if (!IPV4.test(input.ip)) invalid("ip", input.ip, "is not an IPv4 address");
  if (!Number.isInteger(input.prefix) || input.prefix < 0 || input.prefix > 32) {
    invalid("prefix", input.prefix, "must be an integer 0..32");
  }
  if (!IPV4.test(input.gateway)) invalid("gateway", input.gateway, "is not an IPv4 address");
  for (const d of input.dns) if (!TOKEN.test(d) || d.includes(",")) invalid("dns", d, "is not a nameserver address");
  if (!HOSTNAME.test(input.hostname)) invalid("hostname", input.hostname, "is not a valid hostname");
  if (input.init !== undefined && !/^\/[^\s"]*$/.test(input.init)) invalid("init", input.init, "must be an absolute path");
  if (input.vsockPort !== undefined && !(Number.isInteger(input.vsockPort) && input.vsockPort > 0 && input.vsockPort < 2 ** 32)) {
    invalid("vsockPort", input.vsockPort, "is not a vsock port");
  }
  if (!TOKEN.test(input.console)) invalid("console", input.console, "must be one token");
  if (input.tcg && !(Number.isInteger(input.tcg.tscKhz) && input.tcg.tscKhz > 0)) {
    invalid("tcg.tscKhz", input.tcg.tscKhz, "must be a positive integer (kHz)");
  }
  if (input.root !== undefined && !TOKEN.test(input.root)) invalid("root", input.root, "must be one token");
  if (input.workDevice !== undefined && !/^\/dev\/[a-z0-9]+$/.test(input.workDevice)) invalid("workDevice", input.workDevice, "must be a /dev/ device");
  for (const e of input.extra) if (!TOKEN.test(e)) invalid("extra", e, "must be one token without spaces or quotes");
}

/** Builds the kernel command line; throws BangerError(invalid_params) on bad input. */
export function buildGuestCmdline(input: GuestCmdlineInput): string {
  check(input);
  const args = [
    `console=${input.console}`,
    `root=${input.root ?? "/dev/vda"}`,
    "rw",
    "panic=-1", // reboot on panic: the VMM (-no-reboot / Firecracker) then exits
    `init=${AGENT_GUEST_PATH}`,
    `${CMDLINE.ip}=${input.ip}/${input.prefix}`,
    `${CMDLINE.gateway}=${input.gateway}`,
  ];
  if (input.dns.length > 0) args.push(`${CMDLINE.dns}=${input.dns.join(",")}`);
  args.push(`${CMDLINE.hostname}=${input.hostname}`);
  if (input.init !== undefined) args.push(`${CMDLINE.init}=${input.init}`);
  if (input.vsockPort !== undefined) args.push(`${CMDLINE.vsockPort}=${input.vsockPort}`);
  if (input.poweroff === "reboot") args.push(`${CMDLINE.poweroff}=reboot`);
  if (input.workDevice !== undefined) args.push(`${CMDLINE.work}=${input.workDevice}`);
  if (input.tcg) args.push(`tsc_early_khz=${input.tcg.tscKhz}`, "tsc=reliable");
  args.push(...input.extra);
  return args.join(" ");
}

/**
 * TSC frequency in kHz from /proc/cpuinfo text: the first "cpu MHz" line.
 * Caveat: "cpu MHz" is the TSC frequency when the CPU has a constant TSC and the kernel
 * knows it (flag tsc_known_freq, typical in VMs and on modern Intel); on bare metal
 * with frequency scaling it can be the current core clock instead. Under TCG the value
 * only has to be close: it stops the guest from calibrating against the missing PIT/HPET.
 */
export function parseTscKhz(cpuinfo: string): number | null {
  const m = /^cpu MHz\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*$/m.exec(cpuinfo);
  if (!m) return null;
  const khz = Math.round(Number(m[1]) * 1000);
  return khz > 0 ? khz : null;
}

/**
 * The host's TSC frequency in kHz, or null when it cannot be read. Prefers the exact
 * value some kernels expose in sysfs (tsc_freq_khz), else /proc/cpuinfo (see parseTscKhz).
 */
export function hostTscKhz(read: (path: string) => string = (p) => readFileSync(p, "utf8")): number | null {
  try {
    const exact = Number.parseInt(read("/sys/devices/system/cpu/cpu0/tsc_freq_khz").trim(), 10);
    if (exact > 0) return exact;
  } catch {
    // not exposed by this kernel
  }
  try {
    return parseTscKhz(read("/proc/cpuinfo"));
  } catch {
    return null;
  }
}
