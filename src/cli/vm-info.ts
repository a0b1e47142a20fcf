// Read verbs: vm list/show/logs/stats/health/ports, all with --json.
import { defineCommand } from "citty";
import { BangerError } from "../api/errors.ts";
import type { VmInfo } from "../api/vms.ts";
import { call } from "./context.ts";
import { formatAge, formatBytes, printFields, printJson, printTable } from "./output.ts";
import { refsFrom } from "./targets.ts";

const json = { type: "boolean", description: "Output JSON" } as const;

export const list = defineCommand({
  meta: { name: "list", alias: ["ls", "ps"], description: "List VMs (running only unless --all)" },
  args: {
    all: { type: "boolean", alias: "a", description: "Include stopped VMs" },
    latest: { type: "boolean", alias: "l", description: "Only the most recently created VM" },
    quiet: { type: "boolean", alias: "q", description: "Print ids only" },
    json,
  },
  async run({ args }) {
    let { vms } = await call("vm.list", { all: Boolean(args.all) || Boolean(args.latest) });
    if (args.latest) vms = vms.slice(-1);
    if (args.json) return printJson({ vms });
    if (args.quiet) return void process.stdout.write(vms.map((v) => v.id + "\n").join(""));
    printTable(
      ["NAME", "ID", "STATE", "IP", "IMAGE", "VCPU", "MEMORY", "CREATED"],
      vms.map((v) => [v.name, v.id.slice(0, 12), v.state, v.ip, v.image.name, v.vcpu, `${v.memory_mib} MiB`, formatAge(v.created_at)]),
    );
  },
});

export function showFields(v: VmInfo): Record<string, unknown> {
  return {
    name: v.name,
    id: v.id,
    state: v.state,
    vmm: v.vmm_detail ? `${v.vmm}: ${v.vmm_detail}` : v.vmm,
    image: `${v.image.name} (${v.image.id})`,
    spec: `${v.vcpu} vcpu · ${v.memory_mib} MiB · ${formatBytes(v.disk_size_bytes)} disk`,
    ip: v.ip,
    dns: v.dns_name,
    mac: v.mac,
    tap: v.tap,
    nat: v.nat,
    pid: v.pid,
    created: v.created_at,
    started: v.started_at,
    "last error": v.last_error,
    dir: v.dir,
    "vmm log": v.log_path,
    console: v.console_log_path,
  };
}

export const show = defineCommand({
  meta: { name: "show", description: "Show one VM" },
  args: { vm: { type: "positional", required: true, description: "Name, id or unique id prefix" }, json },
  async run({ args }) {
    const v = await call("vm.show", { ref: args.vm });
    if (args.json) printJson(v);
    else printFields(showFields(v));
  },
});

export const logs = defineCommand({
  meta: { name: "logs", description: "Print a VM's console (or --vmm: the VMM's own log)" },
  args: {
    vm: { type: "positional", required: true, description: "Name, id or unique id prefix" },
    lines: { type: "string", alias: "n", description: "Last N lines", default: "200" },
    vmm: { type: "boolean", description: "The VMM's log instead of the guest console" },
    json,
  },
  async run({ args }) {
    const lines = Number(args.lines);
    if (!Number.isInteger(lines) || lines <= 0) throw new BangerError("usage", "--lines must be a positive integer");
    const r = await call("vm.logs", { ref: args.vm, lines, console: !args.vmm });
    if (args.json) printJson(r);
    else process.stdout.write(r.text.endsWith("\n") || r.text === "" ? r.text : r.text + "\n");
  },
});

export const stats = defineCommand({
  meta: { name: "stats", description: "CPU, memory and disk use per running VM" },
  args: { json },
  async run({ args }) {
    const { stats } = await call("vm.stats", { refs: args._ });
    if (args.json) return printJson({ stats });
    const b = (n: number | null) => (n === null ? null : formatBytes(n));
    printTable(
      ["NAME", "STATE", "CPU%", "VMM RSS", "GUEST MEM", "ROOT DISK", "WORK DISK", "LOAD"],
      stats.map((s) => [
        s.name, s.state, s.cpu_percent === null ? null : s.cpu_percent.toFixed(1), b(s.vmm_rss_bytes),
        s.guest_mem_used_bytes === null ? null : `${b(s.guest_mem_used_bytes)} / ${b(s.guest_mem_total_bytes)}`,
        s.disk_root_used_bytes === null ? null : `${b(s.disk_root_used_bytes)} / ${b(s.disk_root_total_bytes)}`,
        s.disk_work_used_bytes === null ? null : `${b(s.disk_work_used_bytes)} / ${b(s.disk_work_total_bytes)}`,
        s.load1,
      ]),
    );
  },
});

export const health = defineCommand({
  meta: { name: "health", description: "Ask the guest agent whether the VM is healthy" },
  args: { vm: { type: "positional", required: true, description: "Name, id or unique id prefix" }, json },
  async run({ args }) {
    const r = await call("vm.health", { ref: args.vm });
    if (args.json) printJson(r);
    else process.stdout.write(r.healthy ? `${r.vm}: healthy ${JSON.stringify(r.agent)}\n` : `${r.vm}: unhealthy: ${r.error}\n`);
    if (!r.healthy) throw new BangerError("unavailable", `${r.vm} is not healthy`);
  },
});

export const ports = defineCommand({
  meta: { name: "ports", description: "Listening sockets in the guest, with clickable URLs" },
  args: { vm: { type: "positional", required: true, description: "Name, id or unique id prefix" }, json },
  async run({ args }) {
    const r = await call("vm.ports", { ref: args.vm });
    if (args.json) return printJson(r);
    printTable(
      ["PROTO", "ENDPOINT", "PROCESS", "COMMAND"],
      r.ports.map((p) => [p.proto, p.url ?? p.endpoint, p.process && p.pid ? `${p.process}[${p.pid}]` : p.process, p.command]),
    );
  },
});

export const gc = defineCommand({
  meta: { name: "gc", description: "Find and remove host leftovers no VM owns (taps, NAT rules, dirs, DNS)" },
  args: { "dry-run": { type: "boolean", description: "Only report" }, json },
  async run({ args }) {
    const r = await call("vm.gc", { dry_run: Boolean(args["dry-run"]) });
    if (args.json) return printJson(r);
    if (r.found.length === 0) return void process.stdout.write("nothing to clean\n");
    for (const f of r.found) process.stdout.write(`${f.removed ? "removed" : "would remove"} ${f.kind} ${f.name}\n`);
  },
});

export function ensureRefs(args: { _: string[] }): string[] {
  return refsFrom(args);
}
