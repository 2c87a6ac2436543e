/**
 * Look-back sweeps of the streaming poller, backing off with the rows' age. Pure.
 *
 * A row can become visible after the poller's cursor has passed its create_time (a write that lands
 * late). Each tier `{ ageMs, everyMs }` re-reads the ids of the last `ageMs` of create_time behind the
 * cursor every `everyMs` (0 = on every poll), and publishes the rows not published yet. Rows younger
 * behind the cursor are the likely late ones, so they are re-read more often. A sweep re-reads rows
 * (ageMs / everyMs re-reads per row published): the schedule is the price of catching late rows fast.
 * Rows that no sweep catches are found by the reconciler (the backstop), minutes later.
 */
export interface SweepTier {
  readonly ageMs: number;
  /** 0 = every poll. */
  readonly everyMs: number;
}

/** Parses "1000:2000,4000:20000" (age:every pairs, ms); "none" = no sweeps. Throws a message for bad input. */
export function parseSweepSchedule(spec: string): SweepTier[] {
  const s = spec.trim();
  if (s === "none" || s === "") return [];
  const tiers = s.split(",").map((part) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m?.[1] || !m[2]) throw new Error(`"${part}" is not age:every (milliseconds)`);
    const tier = { ageMs: Number(m[1]), everyMs: Number(m[2]) };
    if (tier.ageMs <= 0) throw new Error(`"${part}": age must be > 0`);
    return tier;
  });
  for (let i = 1; i < tiers.length; i++) {
    const prev = tiers[i - 1];
    const cur = tiers[i];
    if (prev && cur && cur.ageMs <= prev.ageMs) throw new Error("ages must increase from tier to tier");
  }
  return tiers;
}

/** The longest look-back of the schedule: ids published within it are kept for de-duplication. */
export function lookBackMs(tiers: readonly SweepTier[]): number {
  return tiers.at(-1)?.ageMs ?? 0;
}

/**
 * How long after its create_time a row is still the streaming poller's: the settle delay before it
 * is first read, then the longest look-back of the sweeps. Past that, only the reconciler finds it.
 */
export function streamingWindowMs(tiers: readonly SweepTier[], settleMs: number): number {
  return lookBackMs(tiers) + settleMs;
}

/**
 * Which look-back is due now: the longest tier whose interval has passed since that tier last ran
 * (a longer sweep covers the shorter ones). Returns the tier index, or -1 when none is due.
 */
export function dueTier(tiers: readonly SweepTier[], lastRunAt: readonly number[], nowMs: number): number {
  for (let i = tiers.length - 1; i >= 0; i--) {
    const t = tiers[i];
    if (t && nowMs - (lastRunAt[i] ?? Number.NEGATIVE_INFINITY) >= t.everyMs) return i;
  }
  return -1;
}

/** Expected sweep re-reads per row published at a steady rate: Σ ageMs / everyMs (every poll → pollIntervalMs). */
export function sweepReadRatio(tiers: readonly SweepTier[], pollIntervalMs: number): number {
  // A due longer tier also stands in for the shorter ones, so this is an upper bound.
  return tiers.reduce((ratio, t) => ratio + t.ageMs / Math.max(t.everyMs, pollIntervalMs, 1), 0);
}
