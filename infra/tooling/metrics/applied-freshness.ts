import { timeuuidToMs } from "../../../lib/core/cdc/timeuuid.js";
import { parseEventId } from "../../../lib/core/tracking-row.js";
import { LatencyHistogram } from "./latency-histogram.js";
import { RollingWindow, type WindowFigures } from "./rolling-window.js";

/** One event the warehouse applied: its id and when it was applied (warehouse clock). */
export interface AppliedEvent {
  readonly eventId: string;
  readonly appliedAtMs: number;
}

/**
 * What freshness is measured from: `written` — when this run's generator wrote the event (events
 * it did not write, e.g. a backlog of an earlier run, are left out of rates and freshness);
 * `created` — the event's own create_time (any event; a late event's lateness is part of its age).
 */
export type FreshnessFrom = "written" | "created";

export interface FreshnessSnapshot {
  /** One entry per requested window, shortest first. */
  readonly windows: ReadonlyArray<{ readonly written: WindowFigures; readonly applied: WindowFigures }>;
  /** Freshness of every event measured since start. */
  readonly sinceStart: {
    readonly count: number;
    readonly p50Ms: number | undefined;
    readonly p99Ms: number | undefined;
  };
  readonly firstWrittenAtMs: number | undefined;
  /** When the first event with a freshness was applied. */
  readonly firstAppliedAtMs: number | undefined;
}

export interface AppliedFreshnessOptions {
  readonly from: FreshnessFrom;
  /** Rolling windows to report, ms (default: 10 s and 1 min). */
  readonly windowsMs?: readonly number[];
  readonly startedAtMs?: number;
  /** How long an applied id is remembered to ignore it when a later read returns it again. Default 10 s. */
  readonly seenForMs?: number;
}

/**
 * Per-event freshness (applied − written, or applied − created) from the warehouse's record of
 * applied event ids, over rolling windows and since start. Exact per event: unlike a count
 * watermark it is not fooled by partitions applying out of order or by a backlog of older events.
 * Reads may overlap (a read repeats the last seconds so no late-committed row is missed): an id
 * already counted is ignored. Pure: times are passed in.
 */
export class AppliedFreshness {
  private readonly writtenAt = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private readonly written: RollingWindow;
  private readonly applied: RollingWindow;
  private readonly total = new LatencyHistogram();
  private readonly windowsMs: readonly number[];
  private readonly seenForMs: number;
  private firstWrittenAtMs: number | undefined;
  private firstAppliedAtMs: number | undefined;

  constructor(private readonly options: AppliedFreshnessOptions) {
    this.windowsMs = [...(options.windowsMs ?? [10_000, 60_000])].sort((a, b) => a - b);
    const horizonMs = this.windowsMs.at(-1) ?? 60_000;
    const rolling = {
      horizonMs,
      ...(options.startedAtMs === undefined ? {} : { startedAtMs: options.startedAtMs }),
    };
    this.written = new RollingWindow(rolling);
    this.applied = new RollingWindow(rolling);
    this.seenForMs = options.seenForMs ?? 10_000;
  }

  /** The generator wrote these events at `atMs`. */
  recordWritten(eventIds: readonly string[], atMs: number): void {
    if (eventIds.length === 0) return;
    this.firstWrittenAtMs ??= atMs;
    this.written.count(atMs, eventIds.length);
    if (this.options.from === "written") for (const id of eventIds) this.writtenAt.set(id, atMs);
  }

  /** The warehouse reports these events applied (possibly some already reported). */
  recordApplied(events: readonly AppliedEvent[], nowMs: number): void {
    for (const e of events) {
      if (this.seen.has(e.eventId)) continue;
      this.seen.set(e.eventId, e.appliedAtMs);
      const startMs = this.startOf(e.eventId);
      if (startMs === undefined) continue;
      const freshness = Math.max(0, e.appliedAtMs - startMs);
      this.applied.add(e.appliedAtMs, freshness);
      this.total.add(freshness);
      if (this.firstAppliedAtMs === undefined || e.appliedAtMs < this.firstAppliedAtMs) {
        this.firstAppliedAtMs = e.appliedAtMs;
      }
    }
    for (const [id, at] of this.seen) {
      if (at >= nowMs - this.seenForMs) break; // insertion order ≈ applied order
      this.seen.delete(id);
    }
  }

  snapshot(nowMs: number): FreshnessSnapshot {
    return {
      windows: this.windowsMs.map((w) => ({
        written: this.written.figures(w, nowMs),
        applied: this.applied.figures(w, nowMs),
      })),
      sinceStart: {
        count: this.total.count,
        p50Ms: this.total.percentile(50),
        p99Ms: this.total.percentile(99),
      },
      firstWrittenAtMs: this.firstWrittenAtMs,
      firstAppliedAtMs: this.firstAppliedAtMs,
    };
  }

  /** Events written and not (yet) seen applied: their freshness is still unknown. */
  get pendingWritten(): number {
    return this.writtenAt.size;
  }

  private startOf(eventId: string): number | undefined {
    if (this.options.from === "written") {
      const at = this.writtenAt.get(eventId);
      this.writtenAt.delete(eventId);
      return at;
    }
    const parsed = parseEventId(eventId);
    if (!parsed) return undefined;
    try {
      return timeuuidToMs(parsed.create_time);
    } catch {
      return undefined;
    }
  }
}
