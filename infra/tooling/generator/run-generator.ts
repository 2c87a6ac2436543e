import { setTimeout as sleep } from "node:timers/promises";
import type { TrackingRow } from "../../../lib/core/tracking-row.js";
import { seededRng } from "./random.js";
import { type Catalogue, randomTrackingEvent } from "./tracking-event-factory.js";

export interface LakeSink {
  /** Assigns the lake keys (create_time from `createdAt` or now, bucket, shard). */
  prepare(event: Omit<TrackingRow, "bucket" | "shard" | "create_time"> & { createdAt?: Date }): TrackingRow;
  write(rows: readonly TrackingRow[], concurrency?: number): Promise<void>;
}

export interface GeneratorOptions {
  /** Events per second (0 = as fast as possible). */
  readonly rate: number;
  /** Stop after this many events (0 = no limit). */
  readonly count: number;
  /** Stop after this long (0 = no limit; then `signal` or `count` stops it). */
  readonly durationMs: number;
  /** Fraction of events written with a create_time `lateMs` in the past (late / out-of-order rows). */
  readonly lateFraction: number;
  readonly lateMs: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
  /** Called after every write with the running totals. */
  readonly onProgress?: (stats: GeneratorStats) => void;
  /** Called with every row written (e.g. to record write times for freshness). */
  readonly onWritten?: (rows: readonly TrackingRow[], writtenAtMs: number) => void;
}

export interface GeneratorStats {
  written: number;
  late: number;
  byTrack: Record<string, number>;
  startedAtMs: number;
  elapsedMs: number;
}

const TICK_MS = 50;

/**
 * Writes realistic tracking events into the lake at a steady rate (token bucket, 50 ms ticks),
 * the way the ad front ends do. Returns what it wrote, by track.
 */
export async function runGenerator(
  sink: LakeSink,
  catalogue: Catalogue,
  o: GeneratorOptions,
): Promise<GeneratorStats> {
  const rng = seededRng(o.seed);
  const stats: GeneratorStats = { written: 0, late: 0, byTrack: {}, startedAtMs: Date.now(), elapsedMs: 0 };
  const deadline = o.durationMs > 0 ? stats.startedAtMs + o.durationMs : Number.POSITIVE_INFINITY;
  const limit = o.count > 0 ? o.count : Number.POSITIVE_INFINITY;
  while (!o.signal?.aborted && Date.now() < deadline && stats.written < limit) {
    const tickStart = Date.now();
    const due =
      o.rate > 0
        ? Math.floor(((tickStart - stats.startedAtMs + TICK_MS) / 1000) * o.rate) - stats.written
        : 2_000;
    const n = Math.min(Math.max(due, 0), limit - stats.written, 20_000);
    if (n > 0) {
      const now = Date.now();
      const rows = Array.from({ length: n }, () => {
        const event = randomTrackingEvent(rng, catalogue, now);
        const late = o.lateFraction > 0 && rng() < o.lateFraction;
        if (late) stats.late++;
        const track = event.custom_track ?? "null";
        stats.byTrack[track] = (stats.byTrack[track] ?? 0) + 1;
        return sink.prepare(
          late ? { ...event, ts: now - o.lateMs, createdAt: new Date(now - o.lateMs) } : event,
        );
      });
      await sink.write(rows, 128);
      stats.written += rows.length;
      o.onWritten?.(rows, Date.now());
    }
    stats.elapsedMs = Date.now() - stats.startedAtMs;
    o.onProgress?.(stats);
    const wait = TICK_MS - (Date.now() - tickStart);
    if (wait > 0 && o.rate > 0) await sleep(wait);
  }
  stats.elapsedMs = Date.now() - stats.startedAtMs;
  return stats;
}

/** Each job belongs to one company: 1 company per 40 jobs. */
export function companyOf(jobId: number): number {
  return 1 + Math.floor((jobId - 1000) / 40);
}
