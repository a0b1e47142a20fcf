// CLI round-trip latency of `banger vm list --all --json` against a daemon holding 100
// VM records, next to the in-process RPC latency of the same call and the start-up time
// of `banger version` (no daemon involved: the floor of any CLI command's cost).
// Run: bun run bench/cli-latency.bench.ts (dist/banger must be built).
import { RpcClient } from "../src/client/rpc.ts";
import { allocateIp, closeDatabase, insertImage, insertVm, openDatabase } from "../src/store/index.ts";
import { cleanupAll } from "./lib/cleanup.ts";
import { deleteBridgeAndPorts, freePort, freeSubnet, hexId } from "./lib/host.ts";
import { BenchInstance } from "./lib/instance.ts";
import { emitResult, fig, runBench } from "./lib/result.ts";
import { ms, summarize, summaryFigures } from "./lib/stats.ts";

const VM_COUNT = 100;
const CLI_RUNS = 30;
const RPC_RUNS = 200;
const WARMUP = 5;

/** Fills the (stopped) daemon's database: one image, VM_COUNT stopped VMs with IPs. */
function seedDatabase(path: string, subnetCidr: string): void {
  const db = openDatabase(path);
  try {
    const image = insertImage(db, {
      name: "bench-image", source: "import", ref: "/nonexistent/bench-layout",
      rootfsPath: "/nonexistent/bench-image/rootfs.ext4", rootfsSizeBytes: 1 << 30,
    });
    for (let i = 0; i < VM_COUNT; i++) {
      const vm = insertVm(db, {
        name: `bench-${String(i).padStart(3, "0")}`, imageId: image.id, vmm: "qemu",
        vcpu: 1, memoryMib: 1024, diskSizeBytes: 8 * 2 ** 30, nat: false,
      });
      allocateIp(db, vm.id, subnetCidr);
    }
  } finally {
    closeDatabase(db);
  }
}

function countVms(stdout: string, what: string): number {
  let parsed: { vms?: unknown[] };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`${what} printed no JSON: ${stdout.slice(0, 200)}`);
  }
  if (!Array.isArray(parsed.vms)) throw new Error(`${what}: no "vms" array in its JSON`);
  return parsed.vms.length;
}

async function timeCli(inst: BenchInstance, args: string[], runs: number, check?: (stdout: string) => void): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await inst.ok(args);
    check?.(r.stdout);
    samples.push(r.ms);
  }
  return samples;
}

const result = await runBench("cli-latency", async (figures, details) => {
  const inst = new BenchInstance();
  const subnet = `${freeSubnet()}.0/24`;
  const bridge = `bgbbr${hexId()}`;
  inst.writeConfig(
    [`bridge_name = "${bridge}"`, `bridge_subnet = "${subnet}"`, `dns_listen = "127.0.0.1:${await freePort()}"`, "tap_pool_size = 0", ""].join("\n"),
  );
  try {
    await inst.ok(["daemon", "start"]);
    await inst.stopDaemon();
    const seeded = performance.now();
    seedDatabase(inst.database, subnet);
    details.seed_ms = Math.round(ms(seeded));
    await inst.ok(["daemon", "start"]);

    const listArgs = ["vm", "list", "--all", "--json"];
    const expect100 = (stdout: string) => {
      const n = countVms(stdout, "`banger vm list --all --json`");
      if (n !== VM_COUNT) throw new Error(`\`banger vm list --all --json\` returned ${n} VMs, expected ${VM_COUNT}`);
    };
    await timeCli(inst, listArgs, WARMUP, expect100);
    const cli = summarize(await timeCli(inst, listArgs, CLI_RUNS, expect100));

    const rpc = new RpcClient(inst.socket);
    const rpcSamples: number[] = [];
    for (let i = 0; i < WARMUP + RPC_RUNS; i++) {
      const t = performance.now();
      const res = await rpc.call("vm.list", { all: true });
      const elapsed = ms(t);
      if (res.vms.length !== VM_COUNT) throw new Error(`RPC vm.list returned ${res.vms.length} VMs, expected ${VM_COUNT}`);
      if (i >= WARMUP) rpcSamples.push(elapsed);
    }
    const rpcSummary = summarize(rpcSamples);

    await timeCli(inst, ["version"], WARMUP);
    const version = summarize(await timeCli(inst, ["version"], CLI_RUNS));

    figures.push(
      ...summaryFigures("vm_list_cli", cli, { note: `n=${CLI_RUNS}, ${VM_COUNT} VMs, spawned process wall time` }),
      ...summaryFigures("vm_list_rpc", rpcSummary, { short: true, note: `n=${RPC_RUNS}, in-process RpcClient` }),
      ...summaryFigures("version_cli", version, { note: `n=${CLI_RUNS}, process start floor` }),
      fig("vm_list_cli_minus_floor.p50", cli.p50 - version.p50, "ms", "vm_list_cli.p50 - version_cli.p50"),
    );
    details.vm_list_cli = cli;
    details.vm_list_rpc = rpcSummary;
    details.version_cli = version;
  } finally {
    await inst.cleanup();
    deleteBridgeAndPorts(bridge);
  }
});

await cleanupAll();
emitResult(result);
