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
  /** Rows returned by Cassandra. */
  readonly rowsRead: number;
}

/** What a look-back sweep of one shard found: rows behind the cursor that were not published yet. */
export interface SweepRead {
  readonly rows: PendingRow[];
  /** Ids (and full rows of the missing ones) returned by Cassandra. */
  readonly rowsRead: number;
}

function pending(row: TrackingRow): PendingRow {
  return { row, id: eventId(row), createMs: timeuuidToMs(row.create_time) };
}

/** Reads one shard of the lake for the poller: range reads on (bucket, shard) partitions only. Reads, never writes. */
export class ShardReader {
  constructor(
    private readonly lake: LakeReader,
    private readonly bucketMs: number,
  ) {}

  /** Rows after `from` up to `upper` (create_time), bucket by bucket, at most `budget` rows. */
  async fastRead(st: ShardState, from: ShardPosition, upper: number, budget: number): Promise<FastRead> {
    const rows: PendingRow[] = [];
    let rowsRead = 0;
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
      rowsRead += read.length;
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
    return { shard: st.shard, rows, position, cut, rowsRead };
  }

  /** Ids in (cursor − lookBackMs, cursor]; full rows only for those not published yet (at most `budget`). */
  async sweep(st: ShardState, lookBackMs: number, budget: number): Promise<SweepRead> {
    const rows: PendingRow[] = [];
    let rowsRead = 0;
    const to = st.position.ms;
    const from = to - lookBackMs;
    for (const bucket of bucketsBetween(from + 1, to, this.bucketMs)) {
      if (rows.length >= budget) break;
      const ids = await this.lake.idsBetween(bucket, st.shard, from, to);
      rowsRead += ids.length;
      const missing = ids
        .map((r) => r.createTime)
        .filter((u) => !st.isPublished(eventId({ bucket, shard: st.shard, create_time: u })));
      if (missing.length === 0) continue;
      const full = await this.lake.rowsByIds(bucket, st.shard, missing.slice(0, budget - rows.length));
      rowsRead += full.length;
      for (const row of full) rows.push(pending(row));
    }
    return { rows, rowsRead };
  }
}
