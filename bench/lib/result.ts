// The contract between a bench file and bench/run.ts. A bench file is a script run as
// `bun run bench/<name>.bench.ts`; it measures, prints its own human-readable lines, and
// hands its figures to emitResult(). When run.ts started it, BANGER_BENCH_RESULT names a
// file to write the result to as JSON; when run alone, the result is printed as a table.
// A bench that cannot measure something fails (ok: false, error says which step) and
// reports only the figures it really measured: never a placeholder value.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";

export interface Figure {
  /** Stable, dotted name: "vm_list_cli.p50". */
  name: string;
  value: number;
  unit: "ms" | "x" | "MB/s" | "MB" | "count" | "s";
  note?: string;
}

export interface BenchResult {
  bench: string;
  ok: boolean;
  /** What failed, naming the command or step, when ok is false. */
  error?: string;
  figures: Figure[];
  /** Anything else worth keeping in results.json (raw samples, per-stage timings). */
  details?: Record<string, unknown>;
  started_at: string;
  duration_ms: number;
}

export const RESULT_ENV = "BANGER_BENCH_RESULT";

export function fig(name: string, value: number, unit: Figure["unit"], note?: string): Figure {
  const rounded = unit === "x" ? Math.round(value * 100) / 100 : Math.round(value * 10) / 10;
  return note === undefined ? { name, value: rounded, unit } : { name, value: rounded, unit, note };
}

/** Writes the result where run.ts asked for it, or prints it; sets the exit code. */
export function emitResult(result: BenchResult): void {
  const target = process.env[RESULT_ENV];
  if (target) writeFileSync(target, JSON.stringify(result, null, 2));
  else console.log(formatFigures([result]));
  if (!result.ok) process.exitCode = 1;
}

export function formatFigures(results: readonly BenchResult[]): string {
  const rows: string[][] = [["BENCH", "FIGURE", "VALUE", "UNIT", "NOTE"]];
  for (const r of results) {
    for (const f of r.figures) rows.push([r.bench, f.name, String(f.value), f.unit, f.note ?? ""]);
    if (!r.ok) rows.push([r.bench, "FAILED", "-", "", r.error ?? "no error message"]);
    else if (r.figures.length === 0) rows.push([r.bench, "(no figures)", "-", "", ""]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

/** Runs `body` with a figure list it fills in; any throw becomes ok:false with its message. */
export async function runBench(
  bench: string,
  body: (figures: Figure[], details: Record<string, unknown>) => Promise<void>,
): Promise<BenchResult> {
  const started = Date.now();
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { loadavg_start: loadavg() };
  let error: string | undefined;
  try {
    await body(figures, details);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  details.loadavg_end = loadavg();
  return {
    bench, ok: error === undefined, ...(error === undefined ? {} : { error }), figures, details,
    started_at: new Date(started).toISOString(), duration_ms: Date.now() - started,
  };
}
