import type { Pool } from "mysql2/promise";
import {
  TRACKING_INSERT,
  TrackingWriter,
  trackingInsertParams,
} from "../infra/tooling/cassandra/tracking-writer.js";
import { seededRng } from "../infra/tooling/generator/random.js";
import {
  buildCatalogue,
  type Catalogue,
  randomTrackingEvent,
} from "../infra/tooling/generator/tracking-event-factory.js";
import type { CassandraClient } from "../lib/adapters/cassandra/connection.js";
import { eventId, type TrackingRow } from "../lib/core/tracking-row.js";
import { MYSQL_TABLES } from "../lib/schema-names.js";
import { mapLimit } from "../lib/use-cases/map-limit.js";
import { insertEventIds } from "./scratch-database.js";

/** Rows generated, written to the lake and accounted for at a time. */
const CHUNK_ROWS = 10_000;
/**
 * Rows per unlogged single-partition batch (≈ 15 KB: well under Cassandra's default
 * batch_size_fail_threshold of 50 KiB; it logs a warning above 5 KiB, harmless here).
 */
const BATCH_ROWS = 40;

export interface DaySpec {
  readonly rows: number;
  /** Ingest (and event) times of the rows, spread evenly over [fromMs, toMs). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly shards: number;
  readonly bucketMs: number;
  /** The rows' job ids are firstJobId .. firstJobId + jobs - 1 (a block nobody else uses). */
  readonly firstJobId: number;
  readonly jobs: number;
  readonly seed: number;
  /** Single-partition batches in flight to Cassandra at once. */
  readonly writeConcurrency: number;
}

/** A catalogue of `jobs` jobs numbered from `firstJobId`. */
function catalogueFrom(firstJobId: number, jobs: number): Catalogue {
  const base = buildCatalogue(jobs);
  return { ...base, jobs: base.jobs.map((j, i) => ({ ...j, jobId: firstJobId + i })) };
}

/**
 * Writes rows as unlogged batches of one partition each (the cheapest bulk write Cassandra has: one
 * mutation per batch), `concurrency` batches at once. Several times faster than one INSERT per row
 * (TrackingWriter.write) on this machine; only the bench's preparation uses it.
 */
export async function writeRowsBatched(
  client: CassandraClient,
  rows: readonly TrackingRow[],
  concurrency: number,
): Promise<void> {
  const byPartition = new Map<string, TrackingRow[]>();
  for (const r of rows) {
    const key = `${r.bucket}/${r.shard}`;
    const list = byPartition.get(key);
    if (list) list.push(r);
    else byPartition.set(key, [r]);
  }
  const batches: TrackingRow[][] = [];
  for (const list of byPartition.values())
    for (let i = 0; i < list.length; i += BATCH_ROWS) batches.push(list.slice(i, i + BATCH_ROWS));
  await mapLimit(batches, concurrency, (batch) =>
    client.batch(
      batch.map((r) => ({ query: TRACKING_INSERT, params: trackingInsertParams(r) })),
      { prepare: true, logged: false },
    ),
  );
}

/**
 * Writes the day into the lake (keys assigned by the lake writer, rows written by writeRowsBatched) and its event ids into
 * processed_events (`pool`: an account that may INSERT there), chunk by chunk, the two sides of a
 * chunk in parallel. `onChunk` is called with the rows done so far.
 */
export async function writeDay(
  client: CassandraClient,
  pool: Pool,
  spec: DaySpec,
  onChunk?: (done: number) => void,
): Promise<void> {
  const writer = new TrackingWriter(client, spec.shards, spec.bucketMs);
  const rng = seededRng(spec.seed);
  const catalogue = catalogueFrom(spec.firstJobId, spec.jobs);
  const span = spec.toMs - spec.fromMs;
  for (let done = 0; done < spec.rows; done += CHUNK_ROWS) {
    const rows = Array.from({ length: Math.min(CHUNK_ROWS, spec.rows - done) }, (_, i) => {
      const at = spec.fromMs + Math.floor(((done + i) / spec.rows) * span);
      return writer.prepare({ ...randomTrackingEvent(rng, catalogue, at), createdAt: new Date(at) });
    });
    await Promise.all([
      writeRowsBatched(client, rows, spec.writeConcurrency),
      insertEventIds(pool, rows.map(eventId)),
    ]);
    onChunk?.(done + rows.length);
  }
  await pool.query(`ANALYZE TABLE ${MYSQL_TABLES.processedEvents}`);
}

/**
 * Forgets `percent` % of the applied event ids (picked by a hash of the id, so spread over every
 * partition), as if those rows had never reached the warehouse. Returns how many were deleted.
 */
export async function forgetAccounted(pool: Pool, percent: number): Promise<number> {
  const [result] = await pool.query(
    `DELETE FROM ${MYSQL_TABLES.processedEvents} WHERE CRC32(event_id) % 10000 < ?`,
    [Math.round(percent * 100)],
  );
  return (result as { affectedRows: number }).affectedRows;
}

/** Event ids in processed_events. */
export async function accountedIds(pool: Pool): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${MYSQL_TABLES.processedEvents}`);
  return Number((rows as Array<{ n: string | number }>)[0]?.n ?? 0);
}
