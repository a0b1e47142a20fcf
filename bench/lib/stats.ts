// Summaries of timing samples: nearest-rank percentiles (no interpolation, so p50 and
// p95 are always values that were really observed).
import { fig, type Figure } from "./result.ts";

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted samples, p in (0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile of no samples");
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** Figures `<prefix>.p50`, `.p95` (and `.min`, `.max` unless `short`). */
export function summaryFigures(prefix: string, s: Summary, opts: { short?: boolean; note?: string } = {}): Figure[] {
  const note = opts.note ?? `n=${s.n}`;
  const out = [fig(`${prefix}.p50`, s.p50, "ms", note), fig(`${prefix}.p95`, s.p95, "ms")];
  if (!opts.short) out.push(fig(`${prefix}.min`, s.min, "ms"), fig(`${prefix}.max`, s.max, "ms"));
  return out;
}

export function ms(from: number): number {
  return performance.now() - from;
}
