/**
 * Exponential backoff with full jitter: attempt 1 waits up to `baseMs`, attempt 2 up to 2×, …,
 * never more than `capMs`. `random` is injectable for tests (defaults to Math.random).
 */
export interface BackoffPolicy {
  /** Total attempts, the first one included (1 = no retry). */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly capMs: number;
}

export function backoffDelayMs(
  failedAttempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.floor(random() * ceiling);
}
