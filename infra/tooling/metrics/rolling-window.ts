import { LatencyHistogram } from "./latency-histogram.js";

export interface RollingWindowOptions {
  /** Width of one time slot, ms: windows are whole slots, so this is their resolution. Default 500. */
  readonly slotMs?: number;
  /** Longest window that will be asked for, ms (older slots are dropped). Default 60,000. */
  readonly horizonMs?: number;
  /**
   * When observation began: rates of a window longer than the time observed so far are divided by
   * the time observed (default: the first event seen).
   */
  readonly startedAtMs?: number;
}

/** What happened in one rolling window: how many events, how fast, how fresh. */
export interface WindowFigures {
  readonly windowMs: number;
  /** Events in the window. */
  readonly count: number;
  /** Events per second over the window (over the time observed so far, while it is shorter). */
  readonly perSecond: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

/**
 * Latency samples bucketed by the time they were observed, so percentiles and rates can be read
 * over the last N seconds instead of since start (a slow start then stops weighing on the figures
 * once it has left the window). Time is passed in, never read from the clock: pure and testable.
 */
export class RollingWindow {
  private readonly slotMs: number;
  private readonly horizonMs: number;
  private readonly slots = new Map<number, { count: number; latency: LatencyHistogram }>();
  private firstAtMs: number | undefined;

  constructor(options: RollingWindowOptions = {}) {
    this.firstAtMs = options.startedAtMs;
    this.slotMs = options.slotMs ?? 500;
    this.horizonMs = options.horizonMs ?? 60_000;
    if (!(this.slotMs > 0) || !(this.horizonMs >= this.slotMs)) {
      throw new RangeError("slotMs must be > 0 and horizonMs >= slotMs");
    }
  }

  /** Counts `weight` events observed at `atMs`, without a latency (e.g. events written). */
  count(atMs: number, weight = 1): void {
    if (weight > 0) this.slot(atMs).count += weight;
  }

  /** Counts `weight` events observed at `atMs` that took `latencyMs` (e.g. write → applied). */
  add(atMs: number, latencyMs: number, weight = 1): void {
    if (!(weight > 0)) return;
    const slot = this.slot(atMs);
    slot.count += weight;
    slot.latency.add(latencyMs, weight);
  }

  /**
   * Figures over the last `windowMs` up to `nowMs`: the slots that begin after nowMs − windowMs, so
   * the span covered is between windowMs − slotMs and windowMs; rates are divided by that span.
   */
  figures(windowMs: number, nowMs: number): WindowFigures {
    this.prune(nowMs);
    const from = Math.floor((nowMs - windowMs) / this.slotMs) + 1;
    const to = Math.floor(nowMs / this.slotMs);
    const latency = new LatencyHistogram();
    let count = 0;
    for (const [index, slot] of this.slots) {
      if (index < from || index > to) continue;
      count += slot.count;
      latency.merge(slot.latency);
    }
    const spanMs = nowMs - from * this.slotMs;
    const observedMs =
      this.firstAtMs === undefined ? spanMs : Math.min(spanMs, Math.max(nowMs - this.firstAtMs, this.slotMs));
    return {
      windowMs,
      count,
      perSecond: count / (observedMs / 1000),
      p50Ms: latency.percentile(50),
      p99Ms: latency.percentile(99),
    };
  }

  private slot(atMs: number): { count: number; latency: LatencyHistogram } {
    if (this.firstAtMs === undefined || atMs < this.firstAtMs) this.firstAtMs = atMs;
    const index = Math.floor(atMs / this.slotMs);
    let slot = this.slots.get(index);
    if (!slot) {
      slot = { count: 0, latency: new LatencyHistogram() };
      this.slots.set(index, slot);
    }
    return slot;
  }

  private prune(nowMs: number): void {
    const oldest = Math.floor((nowMs - this.horizonMs) / this.slotMs);
    for (const index of this.slots.keys()) if (index < oldest) this.slots.delete(index);
  }
}
