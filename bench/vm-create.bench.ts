// `banger vm create` to SSH-ready, against a hand-written raw baseline doing the same
// QEMU microvm (TCG) launch + SSH banner wait on the same image. Runs alternate raw,
// banger, raw, banger... so host-load drift hits both sides alike. Reports the per-stage
// create timings banger returns with --json, both wall times and their ratio.
// Run: bun run bench/vm-create.bench.ts   (root; dist/banger built; env BANGER_BENCH_RUNS=n)
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostTscKhz } from "../src/guest/cmdline.ts";
import { debianRootfsTar } from "../tests/fixtures/debian-rootfs.ts";
import { testKernel } from "../tests/fixtures/kernel.ts";
import { bangerCreate, setupBanger, teardownBanger, type BangerSetup, type CreateSample } from "./lib/banger-create.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { createRawNet, freeSubnet, hexId } from "./lib/host.ts";
import { BenchInstance } from "./lib/instance.ts";
import { rawRun, type RawConfig, type RawImage, type RawSample } from "./lib/raw-baseline.ts";
import { buildRawRootfs } from "./lib/raw-rootfs.ts";
import { emitResult, fig, runBench, type Figure } from "./lib/result.ts";
import { ms, summarize, summaryFigures } from "./lib/stats.ts";

const RUNS = Math.max(1, Number(process.env.BANGER_BENCH_RUNS ?? 3));
/** No new iteration starts after this much time in the measuring loop. */
const LOOP_BUDGET_MS = 7 * 60_000;
const BOOT_TIMEOUT_MS = 180_000;
const VCPU = 1;
const MEMORY_MIB = 1024;

const log = (line: string) => console.error(`vm-create: ${line}`);

/** Median per stage across runs, in the order the stages first appeared. */
function stageFigures(samples: CreateSample[]): Figure[] {
  const byStage = new Map<string, number[]>();
  for (const s of samples) for (const t of s.timings) byStage.set(t.stage, [...(byStage.get(t.stage) ?? []), t.ms]);
  return [...byStage].map(([stage, values]) => fig(`banger.stage.${stage}.p50`, summarize(values).p50, "ms"));
}

/** Stages that boot the guest: the part comparable to the raw launch -> banner. */
const BOOT_STAGES = ["launch_vmm", "wait_agent", "wait_ssh"];

function bootStagesMs(c: CreateSample): number {
  return c.timings.filter((t) => BOOT_STAGES.includes(t.stage)).reduce((n, t) => n + t.ms, 0);
}

async function tryBanger(tar: string, subnet: string): Promise<{ setup?: BangerSetup; error?: string }> {
  const inst = new BenchInstance();
  const bridge = `bgbbr${hexId()}`;
  onCleanup("banger side teardown", () => teardownBanger(inst, bridge));
  try {
    return { setup: await setupBanger(inst, tar, { bridge, subnet, vcpu: VCPU, memoryMib: MEMORY_MIB }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const result = await runBench("vm-create", async (figures, details) => {
  const kernel = testKernel();
  const tscKhz = hostTscKhz();
  if (!tscKhz) throw new Error("cannot read the host TSC frequency (needed for QEMU TCG guests)");
  const tar = await debianRootfsTar();
  const work = mkdtempSync("/tmp/bgb-raw-");
  onCleanup(`remove ${work}`, () => rmSync(work, { recursive: true, force: true }));

  const bangerSubnet = freeSubnet();
  log("setting up banger (kernel import, image import)");
  const banger = await tryBanger(tar, bangerSubnet);
  let image: RawImage;
  if (banger.setup) {
    image = { mode: "banger-image", rootfs: banger.setup.rootfs, ...(banger.setup.workSeed ? { workSeed: banger.setup.workSeed } : {}) };
    figures.push(fig("setup.kernel_import", banger.setup.kernel_import_ms, "ms"), fig("setup.image_import", banger.setup.image_import_ms, "ms"));
  } else {
    log(`banger side unavailable: ${banger.error}`);
    log("raw baseline uses a hand-built rootfs from the same Debian tar");
    const raw = buildRawRootfs(tar, kernel.modulesDir, work);
    image = { mode: "hand-built", rootfs: raw.ext4 };
    figures.push(fig("setup.raw_rootfs_build", raw.buildMs, "ms", "tar -x + modules + mkfs.ext4 -d"));
  }
  details.raw_rootfs = image.mode;

  const netStarted = performance.now();
  const net = createRawNet(freeSubnet([bangerSubnet]));
  onCleanup(`delete ${net.bridge}`, () => net.cleanup());
  details.raw_net_setup_ms = Math.round(ms(netStarted));
  const cfg: RawConfig = { kernel, tscKhz, vcpu: VCPU, memoryMib: MEMORY_MIB, bootTimeoutMs: BOOT_TIMEOUT_MS };

  const raw: RawSample[] = [];
  const created: CreateSample[] = [];
  let bangerError = banger.error;
  const loopStarted = performance.now();
  for (let i = 1; i <= RUNS; i++) {
    if (i > 1 && ms(loopStarted) > LOOP_BUDGET_MS) {
      log(`time budget spent: stopping after ${i - 1} run(s)`);
      break;
    }
    const r = await rawRun(image, net, cfg, join(work, `run${i}`), i);
    raw.push(r);
    log(`run ${i}: raw launch->banner ${(r.boot_ms / 1000).toFixed(1)} s (copy ${Math.round(r.copy_ms)} ms)`);
    if (banger.setup && !bangerError) {
      try {
        const c = await bangerCreate(banger.setup, `bench${i}`, BOOT_TIMEOUT_MS + 120_000);
        created.push(c);
        log(`run ${i}: banger vm create ${(c.wall_ms / 1000).toFixed(1)} s (${c.timings.map((t) => `${t.stage} ${t.ms}`).join(", ")})`);
        if (c.daemon_starts > 0) log(`run ${i}: the daemon (re)started during this create: its wall time includes that`);
      } catch (err) {
        bangerError = (err as Error).message;
        log(`banger vm create failed: ${bangerError}`);
      }
    }
  }

  const rawBoot = summarize(raw.map((r) => r.boot_ms));
  const rawScript = summarize(raw.map((r) => r.script_ms));
  const note = `n=${raw.length}, rootfs: ${image.mode}`;
  figures.push(
    ...summaryFigures("raw.launch_to_ssh", rawBoot, { note }),
    fig("raw.disk_copy.p50", summarize(raw.map((r) => r.copy_ms)).p50, "ms", "cp --sparse=always"),
    fig("raw.script.p50", rawScript.p50, "ms", "disk copy + launch->banner"),
  );
  details.raw_samples = raw;
  if (created.length > 0) {
    const wall = summarize(created.map((c) => c.wall_ms));
    const boot = summarize(created.map(bootStagesMs));
    figures.push(
      ...summaryFigures("banger.create_wall", wall, { note: `n=${created.length}, CLI spawn to exit` }),
      ...stageFigures(created),
      fig("banger.boot_stages.p50", boot.p50, "ms", BOOT_STAGES.join(" + ")),
      fig("banger.outside_stages.p50", summarize(created.map((c) => c.wall_ms - c.timings.reduce((n, t) => n + t.ms, 0))).p50, "ms",
        "wall minus the sum of stages: CLI start, RPC, record/IP insert, DNS"),
      fig("banger.delete_wall.p50", summarize(created.map((c) => c.delete_ms)).p50, "ms"),
      fig("ratio.create_vs_raw_script", wall.p50 / rawScript.p50, "x", "banger.create_wall.p50 / raw.script.p50"),
      fig("ratio.create_vs_raw_launch", wall.p50 / rawBoot.p50, "x", "banger.create_wall.p50 / raw.launch_to_ssh.p50"),
      fig("ratio.boot_stages_vs_raw_launch", boot.p50 / rawBoot.p50, "x", "banger.boot_stages.p50 / raw.launch_to_ssh.p50"),
      fig("overhead.create_minus_raw_script.p50", wall.p50 - rawScript.p50, "ms"),
    );
    details.banger_samples = created;
  }
  if (bangerError) throw new Error(`banger side not measured: ${bangerError}`);
});

await cleanupAll();
emitResult(result);
