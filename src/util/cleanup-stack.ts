// LIFO undo stack for multi-step work (VM create, image build): each step that makes
// something registers how to remove it; a failure unwinds everything done so far.
import type { Logger } from "../log.ts";

export class CleanupStack {
  private readonly undo: { what: string; fn: () => Promise<void> | void }[] = [];

  push(what: string, fn: () => Promise<void> | void): void {
    this.undo.push({ what, fn });
  }

  /** Forget everything: the work succeeded and its products are kept. */
  commit(): void {
    this.undo.length = 0;
  }

  /** Run every undo step, newest first; one failing step does not stop the others. */
  async unwind(log: Logger): Promise<string[]> {
    const failures: string[] = [];
    while (this.undo.length > 0) {
      const step = this.undo.pop()!;
      try {
        await step.fn();
      } catch (err) {
        failures.push(`${step.what}: ${(err as Error).message}`);
        log.warn("cleanup step failed", { step: step.what, error: (err as Error).message });
      }
    }
    return failures;
  }
}
