// The shape of config.toml (F30), as valibot schemas over the parsed TOML. Keys are the
// TOML names (snake_case); config.ts maps the result to the camelCase Config. Every check
// carries the phrase that completes `config.toml: "<key>" ...`, so errors read naturally.
import * as v from "valibot";
import { LOG_LEVELS } from "../log.ts";
import { isLoopbackIpv4, parseSubnet } from "./ipv4.ts";
import { parseSize } from "./size.ts";

export const VMM_CHOICES = ["auto", "firecracker", "qemu"] as const;
export type VmmChoice = (typeof VMM_CHOICES)[number];

const MAX_TAP_POOL = 64;

/** A number that is an integer within [min, max], with one message for every failure. */
function int(min: number, max: number, message: string) {
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}

/** A string satisfying `ok`, with one message for every failure. */
function str(ok: (s: string) => boolean, message: string) {
  return v.pipe(v.string(message), v.check(ok, message));
}

function tryOk(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

export const isPositiveInt = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n > 0;

const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const HOST_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:([0-9]{1,5}))?$/;

export function isCommand(s: string): boolean {
  return s.length > 0 && !/\s/.test(s) && (!s.includes("/") || s.startsWith("/"));
}

export function isHostPort(s: string): boolean {
  const m = HOST_RE.exec(s);
  const port = m?.[6];
  return m !== null && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
}

/** "127.0.0.1:42069" or "[::1]:53" -> host and port; undefined unless the host is loopback. */
export function parseLoopbackListen(s: string): { host: string; port: number } | undefined {
  const m = /^(\[::1\]|[0-9.]+):([0-9]{1,5})$/.exec(s);
  if (!m) return undefined;
  const host = m[1] === "[::1]" ? "::1" : m[1]!;
  const port = Number(m[2]);
  if (port > 65535) return undefined; // 0 = any free port (isolated test instances)
  return host === "::1" || isLoopbackIpv4(host) ? { host, port } : undefined;
}

function isSubnetInRange(s: string): boolean {
  return tryOk(() => {
    const { prefix } = parseSubnet(s);
    if (prefix < 16 || prefix > 29) throw new Error("prefix");
  });
}

/** http(s) for served catalogs; file:// for air-gapped hosts with a catalog on disk. */
function isCatalogUrl(s: string): boolean {
  return tryOk(() => {
    if (!/^(https?|file):$/.test(new URL(s).protocol)) throw new Error("scheme");
  });
}

export const vmDefaultsSchema = v.strictObject({
  vcpu: v.optional(int(1, 1024, "must be a positive integer")),
  memory_mib: v.optional(int(1, 16 * 1024 * 1024, "must be a positive integer (MiB)")),
  disk_size: v.optional(str((s) => tryOk(() => parseSize(s)), 'must be a size like "8G", "512M" or "10GiB"')),
});

export const fileSyncSchema = v.strictObject({
  host: v.string("must be a string"),
  guest: v.string("must be a string"),
  mode: v.optional(v.string('must be an octal string like "0600"')),
}, "must be a table with host, guest and an optional mode");

export const configSchema = v.strictObject({
  vmm: v.optional(v.picklist(VMM_CHOICES, 'must be "auto", "firecracker" or "qemu"'), "auto"),
  firecracker_bin: v.optional(str(isCommand, "must be a command name or an absolute path"), "firecracker"),
  qemu_bin: v.optional(str(isCommand, "must be a command name or an absolute path"), "qemu-system-x86_64"),
  bridge_name: v.optional(
    str((s) => IFNAME_RE.test(s), 'must be a network interface name: 1-15 letters, digits, ".", "_" or "-"'),
    "br-banger",
  ),
  bridge_subnet: v.optional(str(isSubnetInRange, 'must be an IPv4 network with a /16 to /29 prefix, like "172.30.0.0/24"'), "172.30.0.0/24"),
  dns_listen: v.optional(
    str((s) => parseLoopbackListen(s) !== undefined, 'must be a loopback address and port, like "127.0.0.1:42069"'),
    "127.0.0.1:42069",
  ),
  log_level: v.optional(v.picklist(LOG_LEVELS, 'must be "debug", "info", "warn" or "error"'), "info"),
  default_image: v.optional(str((s) => /^\S+$/.test(s), "must be a non-empty image name"), "debian"),
  ssh_key: v.optional(str((s) => s.startsWith("/") || s.startsWith("~/"), "must be an absolute path (or start with ~/)")),
  kernel_catalog_url: v.optional(str(isCatalogUrl, "must be an http://, https:// or file:// URL")),
  image_catalog_url: v.optional(str(isCatalogUrl, "must be an http://, https:// or file:// URL")),
  insecure_registries: v.optional(
    v.array(str(isHostPort, 'must be "host" or "host:port"'), 'must be a list of "host[:port]" strings'),
    [],
  ),
  platform: v.optional(str((s) => /^linux\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(s), 'must be "linux/<arch>[/<variant>]", like "linux/amd64"'), "linux/amd64"),
  tap_pool_size: v.optional(int(0, MAX_TAP_POOL, `must be an integer from 0 to ${MAX_TAP_POOL}`), 2),
  stop_timeout_s: v.optional(int(1, 3600, "must be a positive integer (seconds, at most 3600)"), 30),
  vm_defaults: v.optional(v.strictObject(vmDefaultsSchema.entries, "must be a table ([vm_defaults])"), {}),
  file_sync: v.optional(v.array(fileSyncSchema, "must be an array of tables ([[file_sync]])"), []),
});

export type RawConfig = v.InferOutput<typeof configSchema>;
export type RawFileSync = v.InferOutput<typeof fileSyncSchema>;
