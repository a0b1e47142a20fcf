// Warm pool of idle taps (F65): creating a tap costs a privileged `ip` run (a fork, and a
// sudo when not root) on the VM create path; taking one from the pool costs nothing.
//
// Contract:
// - start() fills the pool to `size` and resolves when it is full (or a create failed;
//   that is logged, and acquire() then falls back to a cold create).
// - acquire(vmId) returns an idle pool tap at once and refills in the background, or
//   creates the VM's own tap (bgt<id>) when the pool is empty. Safe to call concurrently:
//   handing out a tap is a synchronous shift, so no tap is given twice.
// - release(name) DELETES the tap; it never goes back into the pool. A used tap carries
//   state from its VM (learned FDB entries, neighbour entries, qdisc or MTU changes); a
//   fresh tap never does, and the refill after acquire already keeps the pool full.
// - drain() stops refilling, waits for an in-flight refill and deletes the idle taps (daemon
//   shutdown). Taps handed out are not the pool's any more: their VMs keep running.
// - Pool taps are named bgp<hex>; idle() lists them so `vm gc` can tell a warm tap from
//   an orphan.
import type { Logger } from "../log.ts";
import { createTap, deleteTap, poolTapName, tapAttachedTo, tapNameForVm } from "./tap.ts";

export interface TapOps {
  create(name: string, bridge: string): Promise<void>;
  destroy(name: string): Promise<void>;
  /** Does the tap still exist and hang off `bridge`? (Someone may have deleted either.) */
  isAttached(name: string, bridge: string): boolean;
  newPoolName(): string;
  vmTapName(vmId: string): string;
}

export const realTapOps: TapOps = {
  create: createTap,
  destroy: deleteTap,
  isAttached: tapAttachedTo,
  newPoolName: () => poolTapName(),
  vmTapName: tapNameForVm,
};

export interface TapPoolOptions {
  bridge: string;
  /** tap_pool_size; 0 disables the pool (every acquire is a cold create). */
  size: number;
  log: Logger;
  ops?: TapOps;
}

export interface AcquiredTap {
  name: string;
  fromPool: boolean;
}

export class TapPool {
  private readonly idleTaps: string[] = [];
  private refilling: Promise<void> | null = null;
  private closed = false;
  private readonly ops: TapOps;

  constructor(private readonly opts: TapPoolOptions) {
    this.ops = opts.ops ?? realTapOps;
  }

  /** Fill the pool; resolves when it is full or a create failed (logged). */
  start(): Promise<void> {
    this.closed = false;
    return this.refill();
  }

  async acquire(vmId: string): Promise<AcquiredTap> {
    for (let pooled = this.idleTaps.shift(); pooled !== undefined; pooled = this.idleTaps.shift()) {
      if (this.ops.isAttached(pooled, this.opts.bridge)) {
        void this.refill();
        return { name: pooled, fromPool: true };
      }
      this.opts.log.warn("dropping a pool tap that lost its bridge", { tap: pooled });
      await this.ops.destroy(pooled).catch(() => {});
    }
    const name = this.ops.vmTapName(vmId);
    await this.ops.create(name, this.opts.bridge);
    void this.refill();
    return { name, fromPool: false };
  }

  /** Delete a tap that was handed out (see the contract above for why not re-pool it). */
  async release(name: string): Promise<void> {
    await this.ops.destroy(name);
  }

  idle(): string[] {
    return [...this.idleTaps];
  }

  async drain(): Promise<void> {
    this.closed = true;
    await this.refilling;
    const taps = this.idleTaps.splice(0);
    for (const t of taps) {
      await this.ops.destroy(t).catch((err) => this.opts.log.warn("could not delete idle pool tap", { tap: t, error: String(err) }));
    }
  }

  /** Single-flight: concurrent callers share one refill loop. */
  private refill(): Promise<void> {
    if (this.refilling) return this.refilling;
    this.refilling = this.fillLoop().finally(() => {
      this.refilling = null;
    });
    return this.refilling;
  }

  private async fillLoop(): Promise<void> {
    while (!this.closed && this.idleTaps.length < this.opts.size) {
      const name = this.ops.newPoolName();
      try {
        await this.ops.create(name, this.opts.bridge);
      } catch (err) {
        // Stop here: the next acquire tries again; until then cold creates still work.
        this.opts.log.warn("tap pool refill failed", { tap: name, error: String(err) });
        return;
      }
      if (this.closed) {
        await this.ops.destroy(name).catch(() => {});
        return;
      }
      this.idleTaps.push(name);
    }
  }
}
