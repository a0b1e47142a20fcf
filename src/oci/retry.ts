// Retries for registry traffic: only transient failures (network errors, truncated
// bodies, 429 and 5xx answers, stalls) are retried, with exponential backoff; anything
// else (404, refused credentials, a digest that lies) fails at once.
import { BangerError } from "../api/errors.ts";

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time (with up to 25% jitter). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250 };

/** An error worth another attempt. */
export class TransientError extends BangerError {
  constructor(message: string) {
    super("unavailable", message);
    this.name = "TransientError";
  }
}

export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (err instanceof BangerError) return false;
  // fetch() network failures (refused, reset, cut mid-body) surface as plain errors.
  return err instanceof Error;
}

export function statusIsTransient(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Pure: the wait before attempt `n` (n >= 2). */
export function backoffMs(policy: RetryPolicy, n: number, random = Math.random()): number {
  const base = policy.baseDelayMs * 2 ** (n - 2);
  return Math.round(base + base * 0.25 * random);
}

export async function withRetry<T>(
  policy: RetryPolicy,
  what: string,
  fn: (attempt: number) => Promise<T>,
  onRetry?: (attempt: number, err: Error) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.attempts) {
        if (isTransient(err) && !(err instanceof BangerError)) {
          throw new BangerError("unavailable", `${what} failed after ${attempt} attempt(s): ${(err as Error).message}`);
        }
        if (err instanceof TransientError && attempt > 1) {
          throw new BangerError("unavailable", `${err.message} (after ${attempt} attempts)`);
        }
        throw err;
      }
      onRetry?.(attempt, err as Error);
      await Bun.sleep(backoffMs(policy, attempt + 1));
    }
  }
}
