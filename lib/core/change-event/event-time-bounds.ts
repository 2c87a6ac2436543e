/**
 * Plausible event times. A record whose event time `ts` lies before `earliestMs` or after
 * `latestMs` (the aggregator's clock + the allowed lead) is not applied: it is dead-lettered as
 * `implausible_event_time`, so a writer with a broken clock (ts = 0, year 2100) creates no warehouse
 * rows for those hours and does not make the batch's freshness figure decades long. Both bounds are
 * inclusive: a `ts` exactly at a bound is accepted.
 */
export interface EventTimeBounds {
  /** Earliest accepted event time, epoch ms. */
  readonly earliestMs: number;
  /** Latest accepted event time, epoch ms (now + the allowed lead into the future). */
  readonly latestMs: number;
}

/** Default lead into the future: 1 h (clock skew between writers and the aggregator, time zones gone wrong). */
export const DEFAULT_MAX_FUTURE_MS = 3_600_000;
/** Default earliest event time: 2000-01-01T00:00:00Z. */
export const DEFAULT_EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);

/** The bounds for a batch validated at `nowMs`. */
export function eventTimeBounds(nowMs: number, earliestMs: number, maxFutureMs: number): EventTimeBounds {
  return { earliestMs, latestMs: nowMs + maxFutureMs };
}

export function isPlausibleEventTime(ts: number, bounds: EventTimeBounds): boolean {
  return ts >= bounds.earliestMs && ts <= bounds.latestMs;
}

/** Why `ts` is implausible (for the dead letter's reason). */
export function implausibleReason(ts: number, bounds: EventTimeBounds): string {
  const at = (ms: number) =>
    Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
  return ts < bounds.earliestMs
    ? `ts ${ts} (${at(ts)}) is before the earliest accepted event time ${at(bounds.earliestMs)} (AGG_EARLIEST_EVENT_TIME)`
    : `ts ${ts} (${at(ts)}) is more than AGG_MAX_EVENT_TIME_AHEAD_MS ahead of the aggregator's clock (latest accepted ${at(bounds.latestMs)})`;
}
