// Image pull throughput: `banger image pull` of the Debian test image from a local
// registry (cold blob cache: download, flatten, inject, ext4 + metadata pass, e2fsck,
// work-seed, register) against the same work done by the reference tools:
// `skopeo copy` (download) + `umoci unpack` (flatten) + `mkfs.ext4 -d` (ext4).
// MB/s are megabytes of uncompressed rootfs content per second; the ratio is banger's
// MB/s over the reference's (above 1 = banger faster). Runs alternate, medians reported.
// Run: bun run bench/images.bench.ts (dist/banger must be built; BANGER_BENCH_IMAGE_RUNS=3).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { debianImage, pushDebianImage } from "../tests/fixtures/debian-image.ts";
import { startRegistry } from "../tests/fixtures/registry.ts";
import { cleanupAll, onCleanup } from "./lib/cleanup.ts";
import { freePort, sh } from "./lib/host.ts";
import { BenchInstance, stripAnsi } from "./lib/instance.ts";
import { emitResult, fig, runBench } from "./lib/result.ts";
import { ms, summarize } from "./lib/stats.ts";

const RUNS = Math.max(1, Number(process.env.BANGER_BENCH_IMAGE_RUNS ?? 3));
const KERNEL = "bench-kernel";

const STAGE_PREFIXES: [string, string][] = [
  ["resolving", "download"], ["downloading", "download"], ["flattening", "flatten"], ["injecting", "inject"],
  ["building the work-seed", "work-seed"], ["building the", "ext4"], ["registering", "register"],
];

/** Stage durations (s) from the plain progress lines "[  1.2s] message" on stderr. */
export function stageSeconds(stderr: string): Record<string, number> {
  const marks = stripAnsi(stderr)
    .split("\n")
    .map((l) => /^\[\s*([\d.]+)s\] (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ t: Number(m[1]), stage: STAGE_PREFIXES.find(([p]) => m[2]!.startsWith(p))?.[1] ?? "other" }));
  const out: Record<string, number> = {};
  marks.forEach((m, i) => {
    const next = marks[i + 1]?.t ?? m.t;
    out[m.stage] = (out[m.stage] ?? 0) + (next - m.t);
  });
  return out;
}

async function referenceRun(ref: string, work: string): Promise<{ copy: number; unpack: number; mkfs: number }> {
  rmSync(work, { recursive: true, force: true });
  sh(["mkdir", "-p", work]);
  const policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  let t = performance.now();
  sh(["skopeo", "copy", "--quiet", "--policy", policy, "--src-tls-verify=false", `docker://${ref}`, `oci:${join(work, "oci")}:bookworm`]);
  const copy = ms(t);
  t = performance.now();
  const rootless = process.getuid?.() === 0 ? [] : ["--rootless"];
  sh(["umoci", "unpack", ...rootless, "--image", `${join(work, "oci")}:bookworm`, join(work, "bundle")]);
  const unpack = ms(t);
  t = performance.now();
  const image = join(work, "rootfs.ext4");
  sh(["truncate", "-s", "1G", image]);
  sh(["mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", join(work, "bundle", "rootfs"), image]);
  const mkfs = ms(t);
  rmSync(work, { recursive: true, force: true });
  return { copy, unpack, mkfs };
}

const result = await runBench("images", async (figures, details) => {
  for (const tool of ["skopeo", "umoci", "mkfs.ext4", "docker-registry"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} not found: apt-get install ${tool === "mkfs.ext4" ? "e2fsprogs" : tool}`);
  }
  const registry = await startRegistry();
  onCleanup("registry", () => registry.stop());
  const ref = await pushDebianImage(registry.host);
  const img = await debianImage();
  const mb = img.tarBytes / 1e6;
  const inst = new BenchInstance();
  inst.writeConfig(`dns_listen = "127.0.0.1:${await freePort()}"\n`);
  await inst.ok(["kernel", "import", KERNEL, "--from", "/"], 300_000);
  const work = mkdtempSync("/tmp/bgb-ref-");
  onCleanup("reference work dir", () => rmSync(work, { recursive: true, force: true }));

  const banger: number[] = [];
  const reference: { copy: number; unpack: number; mkfs: number }[] = [];
  const stages: Record<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await inst.ok(["image", "pull", ref, "--name", `deb${i}`, "--kernel", KERNEL], 900_000);
    banger.push(r.ms);
    stages.push(stageSeconds(r.stderr));
    await inst.ok(["image", "delete", `deb${i}`]);
    await inst.ok(["image", "cache", "prune"]); // the next pull starts cold again
    reference.push(await referenceRun(ref, join(work, `run${i}`)));
    const ref_s = (reference[i]!.copy + reference[i]!.unpack + reference[i]!.mkfs) / 1000;
    console.error(`run ${i + 1}/${RUNS}: banger ${(r.ms / 1000).toFixed(1)} s, reference ${ref_s.toFixed(1)} s`);
  }
  const b = summarize(banger).p50 / 1000;
  const refTotal = summarize(reference.map((r) => r.copy + r.unpack + r.mkfs)).p50 / 1000;
  const note = `Debian bookworm, ${mb.toFixed(0)} MB of content, ${(img.layerBytes / 1e6).toFixed(0)} MB gzip layer, median of ${RUNS}`;
  figures.push(
    fig("banger.pull_s", b, "s", note),
    fig("banger.mb_per_s", mb / b, "MB/s"),
    fig("reference.total_s", refTotal, "s", "skopeo copy + umoci unpack + mkfs.ext4 -d"),
    fig("reference.mb_per_s", mb / refTotal, "MB/s"),
    fig("reference.skopeo_copy_s", summarize(reference.map((r) => r.copy)).p50 / 1000, "s"),
    fig("reference.umoci_unpack_s", summarize(reference.map((r) => r.unpack)).p50 / 1000, "s"),
    fig("reference.mkfs_s", summarize(reference.map((r) => r.mkfs)).p50 / 1000, "s"),
    fig("ratio", mb / b / (mb / refTotal), "x", "banger MB/s / reference MB/s (>1: banger faster)"),
  );
  for (const stage of ["download", "flatten", "inject", "ext4", "work-seed", "register"]) {
    const vals = stages.map((s) => s[stage]).filter((v): v is number => v !== undefined);
    if (vals.length) figures.push(fig(`banger.stage.${stage}_s`, summarize(vals).p50, "s"));
  }
  details.samples = { banger_ms: banger, reference_ms: reference, banger_stages_s: stages };
});

await cleanupAll();
emitResult(result);
