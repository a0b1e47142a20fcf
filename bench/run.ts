// `bun run bench [name ...] [--out FILE] [--no-build]`: builds dist/banger (unless
// --no-build), runs each bench/<name>.bench.ts in its own process, one after the other,
// then prints one figures table and writes every result as JSON to --out (default: a
// new file in the temp dir; results are never committed). Exit 1 when any bench failed.
// Bench files talk to this runner through bench/lib/result.ts (BANGER_BENCH_RESULT).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { formatFigures, RESULT_ENV, type BenchResult } from "./lib/result.ts";

const BENCH_DIR = import.meta.dir;
const REPO = resolve(BENCH_DIR, "..");
/** Cheap ones first; the rest in name order. */
const ORDER = ["cli-latency", "images", "vm-create"];

interface Args {
  names: string[];
  out: string;
  build: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { names: [], out: join(tmpdir(), `banger-bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out") args.out = resolve(argv[++i] ?? fail("--out needs a file"));
    else if (a.startsWith("--out=")) args.out = resolve(a.slice("--out=".length));
    else if (a === "--no-build") args.build = false;
    else if (a === "--help" || a === "-h") {
      console.log("usage: bun run bench [name ...] [--out FILE] [--no-build]\nbenches: " + available().join(", "));
      process.exit(0);
    } else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else args.names.push(a.replace(/\.bench\.ts$/, "").replace(/^bench\//, ""));
  }
  return args;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function available(): string[] {
  const names = readdirSync(BENCH_DIR).filter((f) => f.endsWith(".bench.ts")).map((f) => f.slice(0, -".bench.ts".length));
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function build(): void {
  const started = Date.now();
  const r = Bun.spawnSync([process.execPath, "run", "build.ts"], { cwd: REPO, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) fail(`build failed (exit ${r.exitCode}); fix it or pass --no-build`);
  console.error(`bench: build ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function runOne(name: string): Promise<BenchResult> {
  const resultFile = join(tmpdir(), `banger-bench-${name}-${process.pid}.json`);
  rmSync(resultFile, { force: true });
  const started = Date.now();
  console.error(`\n== ${name} ==`);
  const proc = Bun.spawn([process.execPath, "run", join(BENCH_DIR, `${name}.bench.ts`)], {
    cwd: REPO, stdin: "ignore", stdout: "inherit", stderr: "inherit", env: { ...process.env, [RESULT_ENV]: resultFile },
  });
  const code = await proc.exited;
  const duration = Date.now() - started;
  console.error(`== ${name}: exit ${code} in ${(duration / 1000).toFixed(1)} s ==`);
  if (existsSync(resultFile)) {
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as BenchResult;
    rmSync(resultFile, { force: true });
    if (code !== 0 && result.ok) return { ...result, ok: false, error: `exited ${code} after reporting success` };
    return result;
  }
  return {
    bench: name, ok: false, figures: [], started_at: new Date(started).toISOString(), duration_ms: duration,
    error: code === 0 ? `reported no figures (it did not write ${RESULT_ENV}; see bench/lib/result.ts)` : `exited ${code} without a result`,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const known = available();
  const names = args.names.length ? args.names : known;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) fail(`no such bench: ${unknown.join(", ")} (have: ${known.join(", ")})`);
  if (args.build) build();
  const results: BenchResult[] = [];
  for (const name of names) results.push(await runOne(name));
  const report = {
    date: new Date().toISOString(),
    commit: Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: REPO }).stdout.toString().trim(),
    host: { cpus: cpus().length, cpu_model: cpus()[0]?.model, kernel: release(), mem_bytes: totalmem(), loadavg_end: loadavg() },
    results,
  };
  writeFileSync(args.out, JSON.stringify(report, null, 2));
  console.log(`\n${formatFigures(results)}\n\nresults: ${args.out}`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

await main();
