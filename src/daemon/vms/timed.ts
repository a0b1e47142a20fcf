// Named, timed stages: each announces itself on the progress stream, and its duration
// lands in the create/start timings (F63).
import type { ProgressSink } from "../../api/progress.ts";
import type { StageTiming } from "../../api/vms.ts";

export class StageClock {
  readonly timings: StageTiming[] = [];

  constructor(private readonly sink: ProgressSink) {}

  async run<T>(stage: string, message: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> {
    this.sink.stage(stage, message);
    const started = performance.now();
    const result = await fn();
    const ms = Math.round(performance.now() - started);
    const d = detail?.(result);
    this.timings.push({ stage, ms, ...(d ? { detail: d } : {}) });
    return result;
  }

  total(): number {
    return this.timings.reduce((n, t) => n + t.ms, 0);
  }
}
