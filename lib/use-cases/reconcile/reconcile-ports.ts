import type { OutgoingMessage } from "../../core/change-message.js";
import type { TrackingRow } from "../../core/tracking-row.js";
import type { WarehouseRow } from "../apply-batch-ports.js";

/**
 * What the reconciler and replay need from the outside world. Adapters: lib/adapters/cassandra
 * (lake side), lib/adapters/kafka (publishing), lib/adapters/mysql (what the warehouse accounted for).
 */

/** One lake partition: (ingest-time bucket start, epoch ms; shard). */
export interface PartitionKey {
  readonly bucket: number;
  readonly shard: number;
}

/** `${bucket}/${shard}`: the prefix every event id of the partition starts with (see tracking-row eventId). */
export function partitionKeyString(p: PartitionKey): string {
  return `${p.bucket}/${p.shard}`;
}

/** The lake side, per partition, never scanning the table. */
export interface LakePartitions {
  /** Number of rows in one partition. */
  countRows(p: PartitionKey): Promise<number>;
  /** Every create_time (timeuuid string) in one partition, ascending, paged by the adapter. */
  createTimes(p: PartitionKey): Promise<string[]>;
  /** Full rows for some create_times of one partition. */
  rowsByIds(p: PartitionKey, createTimes: readonly string[]): Promise<TrackingRow[]>;
  /** Rows of one partition in create_time order, `pageSize` at a time (bounded memory). */
  pages(p: PartitionKey, pageSize: number): AsyncIterable<readonly TrackingRow[]>;
}

/**
 * What the warehouse has accounted for: event ids applied (processed_events, the aggregator's
 * event-id guard) or dead-lettered with an event id (dead_letters.event_id), each counted once.
 */
export interface AccountedEvents {
  /**
   * Distinct accounted event ids per partition, for partitions whose bucket is in
   * [fromBucketMs, toBucketMs). Keyed by partitionKeyString(); partitions with none are absent.
   */
  countByPartition(fromBucketMs: number, toBucketMs: number): Promise<Map<string, number>>;
  /** The create_time part of every accounted event id of one partition. */
  createTimesOf(p: PartitionKey): Promise<Set<string>>;
  /** The create_time part of the event ids of one partition that were dead-lettered and never applied. */
  deadLetteredOf(p: PartitionKey): Promise<Set<string>>;
}

/**
 * Publishes change events to the tracking topic in Kafka transactions. connect() initialises a
 * transactional id of its own, which fences an older reconciler (ProducerFencedError there).
 */
export interface ChangePublisher {
  connect(): Promise<void>;
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * How far the streaming path has got: the reconciler's scheduled passes leave alone what the stream
 * is still delivering (re-publishing it would be harmless, through the event-id guard, but it would
 * add load exactly when the pipeline is behind).
 */
export interface StreamProgress {
  /** The streaming poller's slowest shard cursor (create_time, epoch ms); undefined: no poller has run. */
  pollerPositionMs(): Promise<number | undefined>;
  /** Change events in the topic not yet applied by the aggregator (per the offset ledger). */
  aggregatorBacklog(): Promise<number>;
}

export type ReconcileMode = "scheduled" | "cli" | "replay" | "rebuild";

export interface ReconcilePassCounts {
  readonly partitionsChecked: number;
  /** Lake rows compared (sum of the partitions' row counts). */
  readonly rowsCompared: number;
  /** Lake rows the warehouse had not accounted for. */
  readonly missingFound: number;
  /** Rows published again to the change topic. */
  readonly republished: number;
  /** Republished rows that came back dead-lettered (poison in the lake) by the end of the pass. */
  readonly deadLettered: number;
  /** Lake rows still not accounted for when the pass ended. */
  readonly driftLeft: number;
}

/** A pass that has counted nothing yet. */
export const NO_PASS_COUNTS: ReconcilePassCounts = {
  partitionsChecked: 0,
  rowsCompared: 0,
  missingFound: 0,
  republished: 0,
  deadLettered: 0,
  driftLeft: 0,
};

/** What a failed pass records as its error: a fenced publisher says so. */
export function passError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof Error && "code" in err && err.code === "PRODUCER_FENCED"
    ? `fenced: ${message}`
    : message;
}

export interface ReconcilePassStart {
  readonly mode: ReconcileMode;
  readonly fromMs: number;
  readonly toMs: number;
  readonly dryRun: boolean;
  readonly startedAtMs: number;
}

export interface ReconcilePassEnd extends ReconcilePassCounts {
  readonly status: "done" | "partial" | "failed";
  /** Scheduled passes: every check due up to this time was done (the next pass starts after it). */
  readonly coveredUntilMs: number | null;
  readonly finishedAtMs: number;
  readonly error?: string;
}

/** Each pass is recorded (table reconcile_passes) so Grafana and `jtp status` can show it. */
export interface ReconcilePassLog {
  start(pass: ReconcilePassStart): Promise<number>;
  finish(passId: number, end: ReconcilePassEnd): Promise<void>;
  /** coveredUntilMs of the newest scheduled pass that recorded one. */
  lastCoveredUntil(): Promise<number | undefined>;
}

/** Event-time hour of the warehouse (reporting time zone): the `dates`/`hours` columns. */
export interface WarehouseHour {
  readonly dates: string;
  readonly hours: number;
}

/** Replaces warehouse hours with aggregates recomputed from the lake (replay --rebuild). */
export interface WarehouseRebuild {
  /**
   * In ONE transaction: delete every fact row of `hours`, insert `rows` (aggregates of exactly
   * those hours), and record `eventIds` as applied (so a later redelivery of any of them is a
   * no-op). Returns the number of fact rows deleted and inserted.
   */
  replaceHours(
    hours: readonly WarehouseHour[],
    rows: readonly WarehouseRow[],
    eventIds: readonly string[],
  ): Promise<{ deletedRows: number; insertedRows: number }>;
}
