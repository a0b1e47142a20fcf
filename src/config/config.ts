// config.toml (F30): read with smol-toml, checked with valibot, mapped to a typed Config.
// A missing file means all defaults. Every problem is ONE usage error naming the key:
//   config.toml: unknown key "vm_defaults.cpus"
//   config.toml: "vm_defaults.vcpu" must be a positive integer
//   config.toml: file_sync[2].guest must be under ~/ or /root/ (got "/etc/x")
//   config.toml: line 3, column 7: invalid value
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { parse as parseToml, TomlError } from "smol-toml";
import * as v from "valibot";
import { BangerError } from "../api/errors.ts";
import type { LogLevel } from "../log.ts";
import { checkFileSyncEntry, expandHome, type FileSyncEntry } from "./file-sync.ts";
import type { Paths } from "./paths.ts";
import { configSchema, parseLoopbackListen, type RawConfig, type VmmChoice } from "./schema.ts";
import { parseSize } from "./size.ts";
import type { VmDefaultsConfig } from "./vm-defaults.ts";

export interface Config {
  vmm: VmmChoice;
  firecrackerBin: string;
  qemuBin: string;
  bridgeName: string;
  bridgeSubnet: string;
  dnsListen: { host: string; port: number };
  logLevel: LogLevel;
  defaultImage: string;
  /** Absolute path of the private key; the .pub sits next to it. */
  sshKey: string;
  kernelCatalogUrl?: string;
  imageCatalogUrl?: string;
  insecureRegistries: string[];
  platform: string;
  tapPoolSize: number;
  stopTimeoutS: number;
  vmDefaults: VmDefaultsConfig;
  fileSync: FileSyncEntry[];
  /** Where it came from, for `doctor` and error details. */
  file: { path: string; exists: boolean };
}

export interface ConfigContext {
  /** The host user's $HOME, for `~/` in ssh_key and file_sync host paths. */
  home: string;
  /** Used when ssh_key is not set (Paths.defaultSshKey). */
  defaultSshKey: string;
  /** Shown in error details; the message always says "config.toml". */
  path: string;
}

const LABEL = "config.toml";

/** Read and validate the config file of `paths`; a missing file yields the defaults. */
export function loadConfig(paths: Paths, env: Record<string, string | undefined> = process.env): Config {
  const path = paths.configFile;
  const ctx: ConfigContext = { home: env.HOME || homedir(), defaultSshKey: paths.defaultSshKey, path };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return parseConfig("", ctx, false);
    throw new BangerError("usage", `${LABEL}: cannot read ${path}: ${(err as Error).message}`, { path });
  }
  return parseConfig(text, ctx, true);
}

/** Pure: TOML text -> Config, or a usage error naming the offending key. */
export function parseConfig(text: string, ctx: ConfigContext, exists = true): Config {
  const raw = checkShape(parseTomlText(text, ctx.path), ctx.path);
  return toConfig(raw, ctx, exists);
}

function parseTomlText(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    throw new BangerError("usage", `${LABEL}: line ${err.line}, column ${err.column}: ${reason}`, {
      path,
      line: err.line,
      column: err.column,
    });
  }
}

function checkShape(input: Record<string, unknown>, path: string): RawConfig {
  const result = v.safeParse(configSchema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new BangerError("usage", `${LABEL}: ${describeIssue(issue)}`, { path, key: keyPath(issue.path) });
}

type Issue = v.InferIssue<typeof configSchema>;

/** One issue -> the part of the message after "config.toml: ". */
export function describeIssue(issue: Issue): string {
  const key = keyPath(issue.path);
  const last = issue.path?.at(-1) as { origin?: string } | undefined;
  if (last?.origin === "key") {
    // strictObject reports both unknown and missing keys at the key itself.
    return issue.expected === "never" ? `unknown key "${key}"` : `"${key}" is required`;
  }
  return `"${key}" ${issue.message}`;
}

/** valibot path -> `vm_defaults.vcpu`, `file_sync[2].mode`. */
export function keyPath(path: Issue["path"]): string {
  let out = "";
  for (const item of path ?? []) {
    const key = (item as { key: unknown }).key;
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function toConfig(raw: RawConfig, ctx: ConfigContext, exists: boolean): Config {
  const config: Config = {
    vmm: raw.vmm,
    firecrackerBin: raw.firecracker_bin,
    qemuBin: raw.qemu_bin,
    bridgeName: raw.bridge_name,
    bridgeSubnet: raw.bridge_subnet,
    dnsListen: parseLoopbackListen(raw.dns_listen)!,
    logLevel: raw.log_level,
    defaultImage: raw.default_image,
    sshKey: raw.ssh_key === undefined ? ctx.defaultSshKey : expandHome(raw.ssh_key, ctx.home),
    insecureRegistries: raw.insecure_registries,
    platform: raw.platform,
    tapPoolSize: raw.tap_pool_size,
    stopTimeoutS: raw.stop_timeout_s,
    vmDefaults: toVmDefaults(raw.vm_defaults),
    fileSync: toFileSync(raw.file_sync, ctx),
    file: { path: ctx.path, exists },
  };
  if (raw.kernel_catalog_url !== undefined) config.kernelCatalogUrl = raw.kernel_catalog_url;
  if (raw.image_catalog_url !== undefined) config.imageCatalogUrl = raw.image_catalog_url;
  return config;
}

function toVmDefaults(raw: RawConfig["vm_defaults"]): VmDefaultsConfig {
  const out: VmDefaultsConfig = {};
  if (raw.vcpu !== undefined) out.vcpu = raw.vcpu;
  if (raw.memory_mib !== undefined) out.memoryMib = raw.memory_mib;
  if (raw.disk_size !== undefined) out.diskSizeBytes = parseSize(raw.disk_size);
  return out;
}

function toFileSync(entries: RawConfig["file_sync"], ctx: ConfigContext): FileSyncEntry[] {
  return entries.map((raw, index) => {
    const check = checkFileSyncEntry(raw, index, ctx.home);
    if (!check.ok) throw new BangerError("usage", `${LABEL}: ${check.message}`, { path: ctx.path, key: `file_sync[${index}]` });
    return check.entry;
  });
}
