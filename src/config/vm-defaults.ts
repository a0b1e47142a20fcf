// VM size defaults (F31), resolved in three layers per field:
//   [vm_defaults] in config.toml  >  host heuristics  >  built-in floor.
// Each field carries its provenance so `doctor` and `--help` can say where it came from.
// Host facts are passed in, so the same inputs always give the same answer.
import { availableParallelism, totalmem } from "node:os";
import { BangerError } from "../api/errors.ts";
import { isPositiveInt } from "./schema.ts";
import { formatSize } from "./size.ts";

export type Provenance = "config" | "auto" | "builtin";

export interface Resolved<T> {
  value: T;
  source: Provenance;
}

export interface VmSpec {
  vcpu: Resolved<number>;
  memoryMib: Resolved<number>;
  diskSizeBytes: Resolved<number>;
}

/** What [vm_defaults] may set; absent = not configured. */
export interface VmDefaultsConfig {
  vcpu?: number;
  memoryMib?: number;
  diskSizeBytes?: number;
}

export interface HostFacts {
  cpus: number;
  memBytes: number;
}

export const BUILTIN_VM_DEFAULTS = { vcpu: 1, memoryMib: 1024, diskSizeBytes: 8 * 1024 ** 3 } as const;
const MAX_AUTO_VCPU = 4;
const MAX_AUTO_MEMORY_MIB = 8192;
const MEMORY_STEP_MIB = 256;

export function hostFacts(): HostFacts {
  return { cpus: availableParallelism(), memBytes: totalmem() };
}

/** Pure heuristics: a quarter of the CPUs (at most 4), an eighth of RAM (at most 8 GiB). */
export function heuristicVcpu(cpus: number): number {
  return Math.min(Math.floor(cpus / 4), MAX_AUTO_VCPU);
}

export function heuristicMemoryMib(memBytes: number): number {
  const mib = Math.floor(memBytes / 8 / 1024 ** 2 / MEMORY_STEP_MIB) * MEMORY_STEP_MIB;
  return Math.min(mib, MAX_AUTO_MEMORY_MIB);
}

export function resolveVmDefaults(config: VmDefaultsConfig, host: HostFacts): VmSpec {
  return {
    vcpu: layer(config.vcpu, heuristicVcpu(host.cpus), BUILTIN_VM_DEFAULTS.vcpu),
    memoryMib: layer(config.memoryMib, heuristicMemoryMib(host.memBytes), BUILTIN_VM_DEFAULTS.memoryMib),
    // No heuristic for disks: free space says nothing about what a VM needs.
    diskSizeBytes: layer(config.diskSizeBytes, undefined, BUILTIN_VM_DEFAULTS.diskSizeBytes),
  };
}

/** Config wins outright; a heuristic only when it reaches the floor; else the floor. */
function layer(configured: number | undefined, auto: number | undefined, floor: number): Resolved<number> {
  if (configured !== undefined) return { value: configured, source: "config" };
  if (auto !== undefined && auto >= floor) return { value: auto, source: "auto" };
  return { value: floor, source: "builtin" };
}

/** `spec: 4 vcpu · 8192 MiB · 8G disk` — printed by vm create / vm run before progress. */
export function formatSpec(spec: { vcpu: number; memoryMib: number; diskSizeBytes: number }): string {
  return `spec: ${spec.vcpu} vcpu · ${spec.memoryMib} MiB · ${formatSize(spec.diskSizeBytes)} disk`;
}

/** The plain values of a resolved spec. */
export function specValues(spec: VmSpec): { vcpu: number; memoryMib: number; diskSizeBytes: number } {
  return { vcpu: spec.vcpu.value, memoryMib: spec.memoryMib.value, diskSizeBytes: spec.diskSizeBytes.value };
}

/**
 * Reject zero, negative or fractional sizes. Shared by the CLI (flags) and the daemon
 * (RPC params) so both say the same thing (F31).
 */
export function validateVmSize(size: VmDefaultsConfig): void {
  const fields: [keyof VmDefaultsConfig, string][] = [
    ["vcpu", "vcpu"],
    ["memoryMib", "memory (MiB)"],
    ["diskSizeBytes", "disk size (bytes)"],
  ];
  for (const [key, label] of fields) {
    const value = size[key];
    if (value !== undefined && !isPositiveInt(value)) {
      throw new BangerError("usage", `${label} must be a positive integer (got ${value})`, { field: key, value });
    }
  }
}
