import type { ShardPosition } from "../../core/cdc/checkpoint.js";
import { PublishedWindow } from "../../core/cdc/published-window.js";
import type { TrackingRow } from "../../core/tracking-row.js";

/** A lake row read by the poller, with its event id and create_time (ms). */
export interface PendingRow {
  readonly row: TrackingRow;
  readonly id: string;
  readonly createMs: number;
}

/**
 * The poller's in-memory state for one shard: the cursor (what is committed in the checkpoint), the
 * ids published within the look-back (to publish a row met again by a sweep only once), and when each
 * sweep tier last ran. Changed only after a Kafka transaction committed.
 */
export class ShardState {
  readonly window = new PublishedWindow();
  private readonly sweptAt: number[];

  constructor(
    readonly shard: number,
    private cursor: ShardPosition,
    tiers: number,
  ) {
    this.sweptAt = Array.from({ length: tiers }, () => Number.NEGATIVE_INFINITY);
  }

  get position(): ShardPosition {
    return this.cursor;
  }

  /** When each sweep tier last ran (epoch ms; -Infinity = never). */
  get lastSweeps(): readonly number[] {
    return this.sweptAt;
  }

  isPublished(id: string): boolean {
    return this.window.has(id);
  }

  markPublished(id: string, createMs: number): void {
    this.window.add(id, createMs);
  }

  /**
   * After a commit: move the cursor, record the sweep that ran (tier `swept` and every shorter one it
   * covered; -1 = none) and forget ids that fell out of the look-back.
   */
  advance(next: ShardPosition, swept: number, nowMs: number, lookBackMs: number): void {
    this.cursor = next;
    for (let i = 0; i <= swept; i++) this.sweptAt[i] = nowMs;
    this.window.prune(next.ms - lookBackMs);
  }
}
