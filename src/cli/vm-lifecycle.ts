// vm create/start/stop/restart/kill/delete/set: thin verbs over the vm.* RPCs.
import { defineCommand, type ArgsDef } from "citty";
import { BangerError } from "../api/errors.ts";
import { loadConfig } from "../config/config.ts";
import { Paths } from "../config/paths.ts";
import { formatSize, parseSize } from "../config/size.ts";
import { hostFacts, resolveVmDefaults } from "../config/vm-defaults.ts";
import { call, callWithProgress } from "./context.ts";
import { printJson } from "./output.ts";
import { refsFrom, reportTargets } from "./targets.ts";

const json = { type: "boolean", description: "Output JSON" } as const;

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new BangerError("usage", `--${flag} must be a positive integer, got "${value}"`);
  return n;
}

function sizeFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSize(value);
  } catch (err) {
    throw new BangerError("usage", `--${flag}: ${(err as Error).message}`);
  }
}

/** Flags of vm create; --help shows the resolved defaults (F31), read locally from config. */
export function createArgs(): ArgsDef {
  const d = resolvedDefaults();
  return {
    name: { type: "string", description: "VM name (a DNS label); generated when omitted" },
    image: { type: "string", description: "Image name or id (default: config default_image, pulled when missing)" },
    vcpu: { type: "string", description: `Virtual CPUs${d.vcpu}` },
    memory: { type: "string", description: `Memory in MiB${d.memory}` },
    "disk-size": { type: "string", description: `Work disk size, e.g. 8G${d.disk}` },
    nat: { type: "boolean", description: "Give the VM outbound NAT" },
    vmm: { type: "enum", options: ["auto", "firecracker", "qemu"], description: "VMM driver" },
    json,
  };
}

function resolvedDefaults(): { vcpu: string; memory: string; disk: string } {
  try {
    const spec = resolveVmDefaults(loadConfig(Paths.fromEnv()).vmDefaults, hostFacts());
    return {
      vcpu: ` (default ${spec.vcpu.value}, ${spec.vcpu.source})`,
      memory: ` (default ${spec.memoryMib.value}, ${spec.memoryMib.source})`,
      disk: ` (default ${formatSize(spec.diskSizeBytes.value)}, ${spec.diskSizeBytes.source})`,
    };
  } catch {
    return { vcpu: "", memory: "", disk: "" }; // a broken config is reported by the command itself
  }
}

export function createParams(args: Record<string, unknown>) {
  return {
    name: args.name as string | undefined,
    image: args.image as string | undefined,
    vcpu: positiveInt("vcpu", args.vcpu as string | undefined),
    memory_mib: positiveInt("memory", args.memory as string | undefined),
    disk_size_bytes: sizeFlag("disk-size", args["disk-size"] as string | undefined),
    nat: Boolean(args.nat),
    vmm: args.vmm as "auto" | "firecracker" | "qemu" | undefined,
  };
}

export const create = defineCommand({
  meta: { name: "create", description: "Create and boot a VM" },
  args: createArgs,
  async run({ args }) {
    const r = await callWithProgress("vm.create", createParams(args), { quiet: Boolean(args.json) && !process.stderr.isTTY });
    if (args.json) return printJson(r);
    process.stdout.write(`${r.spec}\n${r.vm.name} is ${r.vm.state}: ip ${r.vm.ip ?? "-"}, ssh root@${r.vm.dns_name}\n`);
    process.stdout.write(`next: banger vm ssh ${r.vm.name}\n`);
  },
});

function lifecycleVerb(name: "start" | "stop" | "restart" | "delete", verb: string, description: string) {
  return defineCommand({
    meta: { name, description, alias: name === "delete" ? ["rm"] : undefined },
    args: {
      json,
      ...(name === "stop" ? { timeout: { type: "string", description: "Seconds before a forced stop" } } : {}),
      ...(name === "delete" ? { force: { type: "boolean", description: "Stop a running VM first" } } : {}),
    },
    async run({ args }) {
      const refs = refsFrom(args);
      const method = `vm.${name}` as const;
      const params: Record<string, unknown> = { refs };
      if (name === "stop" && args.timeout) params.timeout_s = positiveInt("timeout", args.timeout as string);
      if (name === "delete") params.force = Boolean(args.force);
      const r = await callWithProgress(method, params as never, { quiet: Boolean(args.json) });
      reportTargets(verb, r, Boolean(args.json));
    },
  });
}

export const start = lifecycleVerb("start", "started", "Boot stopped VMs");
export const stop = lifecycleVerb("stop", "stopped", "Stop VMs: guest shutdown, then forced after a grace window");
export const restart = lifecycleVerb("restart", "restarted", "Stop then start VMs");
export const del = lifecycleVerb("delete", "deleted", "Delete VMs and everything they own");

export const kill = defineCommand({
  meta: { name: "kill", description: "Send a signal to the VMM process (default KILL)" },
  args: { signal: { type: "string", alias: "s", description: "Signal name", default: "KILL" }, json },
  async run({ args }) {
    const r = await call("vm.kill", { refs: refsFrom(args), signal: String(args.signal).toUpperCase() });
    reportTargets("killed", r, Boolean(args.json));
  },
});

export const set = defineCommand({
  meta: { name: "set", description: "Change vcpu/memory (stopped VMs) or grow the work disk" },
  args: {
    vcpu: { type: "string", description: "Virtual CPUs" },
    memory: { type: "string", description: "Memory in MiB" },
    "disk-size": { type: "string", description: "New work disk size (grow only), e.g. 16G" },
    json,
  },
  async run({ args }) {
    const params = {
      refs: refsFrom(args),
      vcpu: positiveInt("vcpu", args.vcpu),
      memory_mib: positiveInt("memory", args.memory),
      disk_size_bytes: sizeFlag("disk-size", args["disk-size"]),
    };
    if (params.vcpu === undefined && params.memory_mib === undefined && params.disk_size_bytes === undefined) {
      throw new BangerError("usage", "nothing to set: give --vcpu, --memory or --disk-size");
    }
    reportTargets("updated", await call("vm.set", params), Boolean(args.json));
  },
});
