// Registry of long operations (F12): what is in flight and what finished recently.
// `banger update` and the stale-build restart consult `inFlight()`.
import type { Operation } from "../api/daemon.ts";

const KEEP_FINISHED = 50;

export interface OperationHandle {
  readonly id: string;
  stage(stage: string): void;
  finish(error?: string): void;
}

export class OperationRegistry {
  private readonly ops = new Map<string, Operation>();
  private seq = 0;

  start(kind: string, target: string | null): OperationHandle {
    const id = `op-${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
    const op: Operation = {
      id,
      kind,
      target,
      stage: null,
      started_at: new Date().toISOString(),
      finished_at: null,
      done: false,
      error: null,
    };
    this.ops.set(id, op);
    return {
      id,
      stage: (stage) => {
        op.stage = stage;
      },
      finish: (error) => {
        if (op.done) return;
        op.done = true;
        op.finished_at = new Date().toISOString();
        op.error = error ?? null;
        this.trim();
      },
    };
  }

  list(includeDone = true): Operation[] {
    const all = [...this.ops.values()].map((op) => ({ ...op }));
    return includeDone ? all : all.filter((op) => !op.done);
  }

  inFlight(): number {
    let n = 0;
    for (const op of this.ops.values()) if (!op.done) n++;
    return n;
  }

  private trim(): void {
    const finished = [...this.ops.values()].filter((op) => op.done);
    for (const op of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.ops.delete(op.id);
  }
}
