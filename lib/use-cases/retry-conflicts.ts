import { type BackoffPolicy, backoffDelayMs } from "../core/retry-backoff.js";
import { TransactionConflictError } from "../errors.js";

export interface RetryResult<T> {
  readonly value: T;
  readonly attempts: number;
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` again after a TransactionConflictError (deadlock, lock-wait timeout), with
 * exponential backoff and jitter, up to `policy.maxAttempts` in all. Any other error, or the last
 * conflict, is thrown unchanged (a TransactionConflictError is a TransientError: the event source
 * mapping retries the batch).
 */
export async function retryConflicts<T>(
  attempt: () => Promise<T>,
  policy: BackoffPolicy,
  sleep: Sleep = realSleep,
  random: () => number = Math.random,
): Promise<RetryResult<T>> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(), attempts: n };
    } catch (err) {
      if (!(err instanceof TransactionConflictError) || n >= policy.maxAttempts) throw err;
      await sleep(backoffDelayMs(n, policy, random));
    }
  }
}
