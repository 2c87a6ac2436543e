import type { AggregateRow } from "../core/aggregation.js";
import type { TopicPartition } from "../core/kafka-record.js";

/**
 * What the apply-batch use case needs from the outside world. The MySQL adapter
 * (lib/adapters/mysql) implements these; tests may use fakes.
 */

/** job_id → company_id from the job dimension. Jobs not in the dimension are absent from the map. */
export interface JobCompanyLookup {
  companyIds(jobIds: readonly number[]): Promise<ReadonlyMap<number, number>>;
}

export interface Warehouse {
  /** Makes sure a ledger row exists for each topic-partition (outside any batch transaction). */
  ensureLedger(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Runs `work` in one transaction and commits it, or rolls it back and throws a typed error:
   * TransactionConflictError (deadlock / lock wait: retry the whole thing), TransientError
   * (connection: let the caller retry later), WarehouseError (anything else).
   */
  transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T>;
  /** Deletes applied event ids older than `olderThanHours`; returns how many were deleted. */
  pruneProcessedEvents(olderThanHours: number): Promise<number>;
}

export interface LedgerPosition extends TopicPartition {
  readonly offset: number;
}

export interface WarehouseRow extends AggregateRow {
  /** From the job dimension; null when the job is not known (yet). */
  readonly companyId: number | null;
}

export interface DeadLetter extends LedgerPosition {
  /**
   * The record's event id when one could be read (source.event_id, the jtp-event-id header, or the
   * row's key columns), else null: a dead-lettered lake row counts as accounted for (reconciler).
   */
  readonly eventId: string | null;
  readonly key: Uint8Array | null;
  readonly payload: Uint8Array | null;
  readonly reasonCode: string;
  readonly reason: string;
  /** The Kafka record's timestamp, epoch ms. */
  readonly recordTimestampMs: number | null;
}

export interface WarehouseTx {
  /**
   * Locks the ledger rows of `partitions` (in the given order) until commit and returns the last
   * applied offset of each, keyed by topicPartitionKey (-1 = nothing applied yet).
   */
  lockLedger(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, number>>;
  /**
   * Records `eventIds` (distinct, sorted) as applied in this transaction and returns those that were
   * already applied before (and not pruned): the caller skips them. A concurrent transaction
   * claiming the same id makes this wait for it, or raise TransactionConflictError.
   */
  claimEventIds(eventIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Adds `rows` to the fact table (rows sorted by grain). */
  upsertAggregates(rows: readonly WarehouseRow[]): Promise<void>;
  /** Stores dead letters; one already stored for the same topic/partition/offset is kept as is. */
  insertDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  /** Moves each partition's ledger offset up to `offset` (never down). */
  advanceLedger(positions: readonly LedgerPosition[]): Promise<void>;
}
