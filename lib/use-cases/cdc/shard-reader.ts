import { bucketsBetween } from "../../core/cdc/buckets.js";
import type { ShardPosition } from "../../core/cdc/checkpoint.js";
import { timeuuidToMs } from "../../core/cdc/timeuuid.js";
import { eventId, type TrackingRow } from "../../core/tracking-row.js";
import type { LakeReader } from "./poller-ports.js";
import type { PendingRow, ShardState } from "./shard-state.js";

/** What a fast read of one shard found: new rows after the cursor, and where the cursor goes next. */
export interface FastRead {
  readonly shard: number;
  readonly rows: PendingRow[];
  readonly position: ShardPosition;
  /** The row budget ran out before `upper`: a backlog remains. */
  readonly cut: boolean;
}

/** What a look-back sweep of one shard found: rows behind the cursor that were not published yet. */
export interface SweepRead {
  readonly rows: PendingRow[];
}

function pending(row: TrackingRow): PendingRow {
  return { row, id: eventId(row), createMs: timeuuidToMs(row.create_time) };
}

/** Reads one shard of the lake for the poller: range reads on (bucket, shard) partitions only. Reads, never writes. */
export class ShardReader {
  private returned = 0;

  constructor(
    private readonly lake: LakeReader,
    private readonly bucketMs: number,
  ) {}

  /** Rows and ids the lake returned since the last call: every read, including failed polls' and discarded prefetches'. */
  takeRowsRead(): number {
    const n = this.returned;
    this.returned = 0;
    return n;
  }

  /** Rows after `from` up to `upper` (create_time), bucket by bucket, at most `budget` rows. */
  async fastRead(st: ShardState, from: ShardPosition, upper: number, budget: number): Promise<FastRead> {
    const rows: PendingRow[] = [];
    let position = from;
    let cut = false;
    let left = budget;
    for (const bucket of bucketsBetween(position.ms, upper, this.bucketMs)) {
      if (left <= 0) {
        cut = true;
        break;
      }
      const after = position.kind === "row" ? { cursor: position.uuid } : { afterMs: position.ms };
      const read = await this.lake.readAfter(bucket, st.shard, after, upper, left);
      this.returned += read.length;
      for (const row of read) {
        const p = pending(row);
        if (!st.isPublished(p.id)) rows.push(p);
      }
      left -= read.length;
      const last = read.at(-1);
      if (left <= 0 && last) {
        position = { kind: "row", uuid: last.create_time, ms: timeuuidToMs(last.create_time) };
        cut = true;
        break;
      }
    }
    if (!cut && upper > position.ms) position = { kind: "time", ms: upper };
    return { shard: st.shard, rows, position, cut };
  }

  /** Ids in (cursor − lookBackMs, cursor]; full rows only for those not published yet (at most `budget`). */
  async sweep(st: ShardState, lookBackMs: number, budget: number): Promise<SweepRead> {
    const rows: PendingRow[] = [];
    // A cursor inside a millisecond ("row"): the rest of that millisecond is the fast read's, not late.
    const to = st.position.kind === "row" ? st.position.ms - 1 : st.position.ms;
    const from = to - lookBackMs;
    for (const bucket of bucketsBetween(from + 1, to, this.bucketMs)) {
      if (rows.length >= budget) break;
      const ids = await this.lake.idsBetween(bucket, st.shard, from, to);
      this.returned += ids.length;
      const missing = ids
        .map((r) => r.createTime)
        .filter((u) => !st.isPublished(eventId({ bucket, shard: st.shard, create_time: u })));
      if (missing.length === 0) continue;
      const full = await this.lake.rowsByIds(bucket, st.shard, missing.slice(0, budget - rows.length));
      this.returned += full.length;
      for (const row of full) rows.push(pending(row));
    }
    return { rows };
  }
}
