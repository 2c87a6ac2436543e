/**
 * When the reconciler checks a lake partition. Pure.
 *
 * A partition (ingest bucket, shard) is checked at fixed delays after its bucket closed (bucket start
 * + bucket length), e.g. +1 min, +10 min, +1 h, +6 h, +23 h: early checks repair what the streaming
 * poller missed within minutes; later ones catch rows that become visible much later (hinted handoff,
 * repair, clients retrying). Nothing is checked beyond the horizon: the aggregator's event-id guard
 * forgets ids after AGG_DEDUP_WINDOW_HOURS, and a re-published row must still find its id there.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "1h30m", "250ms", or plain milliseconds → ms. Throws a message for bad input. */
export function parseDuration(spec: string): number {
  const s = spec.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
    consumed += m[0].length;
  }
  if (consumed !== s.length || s.length === 0)
    throw new Error(`"${spec}" is not a duration like 90s, 10m, 1h30m`);
  return total;
}

/** "1m,10m,1h,6h,23h" → ascending delays in ms. */
export function parseCheckDelays(spec: string): number[] {
  const delays = spec.split(",").map((p) => parseDuration(p));
  if (delays.length === 0) throw new Error("at least one delay is needed");
  for (let i = 1; i < delays.length; i++) {
    if ((delays[i] ?? 0) <= (delays[i - 1] ?? 0)) throw new Error("delays must increase");
  }
  return delays;
}

export interface DueCheck {
  /** Bucket start, epoch ms. */
  readonly bucket: number;
  /** When the check fell due (bucket end + delay). */
  readonly dueAtMs: number;
  /** Index of the delay in the schedule (0 = first check). */
  readonly check: number;
}

/**
 * The checks that fell due in (afterMs, nowMs], oldest due first, for buckets whose start is not
 * older than `nowMs − horizonMs`. A bucket due at several delays in that interval (after a long
 * pause) is listed once, with its latest check.
 */
export function dueChecks(
  delays: readonly number[],
  bucketMs: number,
  afterMs: number,
  nowMs: number,
  horizonMs: number,
): DueCheck[] {
  const oldestBucket = nowMs - horizonMs;
  const byBucket = new Map<number, DueCheck>();
  delays.forEach((delay, check) => {
    // bucket + bucketMs + delay ∈ (afterMs, nowMs]  ⇔  bucket ∈ (afterMs − bucketMs − delay, nowMs − bucketMs − delay]
    const hi = nowMs - bucketMs - delay;
    const lo = afterMs - bucketMs - delay;
    let b = Math.floor(hi / bucketMs) * bucketMs;
    for (; b > lo; b -= bucketMs) {
      if (b < oldestBucket) break;
      const due = { bucket: b, dueAtMs: b + bucketMs + delay, check };
      const prev = byBucket.get(b);
      if (!prev || prev.dueAtMs < due.dueAtMs) byBucket.set(b, due);
    }
  });
  return [...byBucket.values()].sort((x, y) => x.dueAtMs - y.dueAtMs || x.bucket - y.bucket);
}
