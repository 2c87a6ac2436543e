import cassandra from "cassandra-driver";
import type { CassandraClient } from "../../../lib/adapters/cassandra/connection.js";
import { bucketStart } from "../../../lib/core/cdc/buckets.js";
import { TRACKING_COLUMNS, type TrackingRow } from "../../../lib/core/tracking-row.js";
import { TRACKING_TABLE } from "../../../lib/schema-names.js";

/** A tracking event as a writer produces it: the lake adds the key columns. */
export type NewTrackingEvent = Omit<TrackingRow, "bucket" | "shard" | "create_time"> & {
  /** Writer-side creation time (defaults to now); lets tests and the generator simulate skewed clocks. */
  readonly createdAt?: Date;
};

export interface WrittenRow {
  readonly row: TrackingRow;
}

/** The lake's INSERT of one whole row (every column, bound in TRACKING_COLUMNS order). */
export const TRACKING_INSERT = `INSERT INTO ${TRACKING_TABLE} (${TRACKING_COLUMNS.join(", ")}) VALUES (${TRACKING_COLUMNS.map(() => "?").join(", ")})`;

/** TRACKING_INSERT's parameters for a row (timestamps as Dates, create_time as a TimeUuid). */
export function trackingInsertParams(r: TrackingRow): unknown[] {
  return TRACKING_COLUMNS.map((c) => {
    const v = r[c];
    if (c === "bucket" || c === "ts") return v === null ? null : new Date(v as number);
    if (c === "create_time") return cassandra.types.TimeUuid.fromString(v as string);
    return v;
  });
}

/**
 * Writes tracking events into the lake like the ad-tracking front ends do: create_time = a fresh
 * timeuuid of the writer's clock, bucket = its ingest-time bucket, shard = spread round-robin.
 */
export class TrackingWriter {
  private next = Math.floor(Math.random() * 1_000);

  constructor(
    private readonly client: CassandraClient,
    private readonly shards: number,
    private readonly bucketMs: number,
  ) {}

  /** Assigns keys without writing (so a caller can record what it is about to write). */
  prepare(event: NewTrackingEvent): TrackingRow {
    const { createdAt, ...rest } = event;
    const id = createdAt ? cassandra.types.TimeUuid.fromDate(createdAt) : cassandra.types.TimeUuid.now();
    const shard = this.next++ % this.shards;
    return {
      ...rest,
      bucket: bucketStart(id.getDate().getTime(), this.bucketMs),
      shard,
      create_time: id.toString(),
    };
  }

  /** Writes rows concurrently (bounded); resolves when all are acknowledged (LOCAL_QUORUM). */
  async write(rows: readonly TrackingRow[], concurrency = 64): Promise<void> {
    if (rows.length === 0) return;
    const params = rows.map(trackingInsertParams);
    await cassandra.concurrent.executeConcurrent(this.client, TRACKING_INSERT, params, {
      concurrencyLevel: concurrency,
      executionProfile: undefined,
    });
  }
}
