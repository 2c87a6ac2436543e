import {
  DEFAULT_EARLIEST_EVENT_MS,
  DEFAULT_MAX_FUTURE_MS,
  eventTimeBounds,
} from "../core/change-event/event-time-bounds.js";
import { distinctTopicPartitions, type KafkaRecord } from "../core/kafka-record.js";
import { groupByKey } from "../core/key-groups.js";
import type { BackoffPolicy } from "../core/retry-backoff.js";
import type { HourBucketer } from "../core/time-bucket.js";
import type { JobCompanyLookup, Warehouse } from "./apply-batch-ports.js";
import { BatchPreparation } from "./batch-preparation.js";
import { applyBatchTransaction, type BatchTransactionCounts } from "./batch-transaction.js";
import { retryConflicts, type Sleep } from "./retry-conflicts.js";

/**
 * Apply one Kafka batch to the warehouse, exactly once.
 *
 * Before the transaction: make sure the partitions' ledger rows exist (cached), and split the
 * records into key groups (groupByKey: records are keyed by job_id, so two groups never feed the
 * same aggregate row). Then ONE transaction (its body: batch-transaction.ts):
 *   1. lock the ledger rows of the batch's partitions (SELECT … FOR UPDATE, fixed order);
 *   2. for each key group: validate and bucket its records slice by slice (BatchPreparation),
 *      dropping records at or below their partition's applied offset (a redelivered or overlapping
 *      batch) and, with the guard on, events whose id came earlier in the batch; queue the claims
 *      of the new event ids, then the group's upsert: drop the events whose id was applied before
 *      (an event re-sent at a new offset counts once), aggregate, enrich with company ids (cached
 *      lookup), upsert the rows sorted by grain. Queued work runs on the connection in order
 *      (SerialWork) while the next slices and groups are validated: the database writes what is
 *      validated while the rest is being validated;
 *   3. wait for the queued work; insert the dead letters, advance the ledger.
 * Commit. A lock conflict retries the whole transaction (the records are not validated again); any
 * other failure throws with nothing applied, and the event source mapping redelivers the batch.
 */
export interface ApplyBatchOptions {
  readonly dedupByEventId: boolean;
  readonly dedupWindowHours: number;
  readonly maxRecordBytes: number;
  readonly retry: BackoffPolicy;
  /** Minimum pause between two prunings of old event ids by one process. */
  readonly pruneEveryMs?: number;
  /** Records validated between two turns of the event loop (default 100). */
  readonly sliceRecords?: number;
  /** Event ids per claim statement (default 1,000). */
  readonly claimIds?: number;
  /** Records per key group: a batch is split into at most 4 groups of about this size; 0 = never (default 2,500). */
  readonly groupRecords?: number;
  /** Earliest plausible event time `ts`, epoch ms (default 2000-01-01T00:00:00Z); earlier → implausible_event_time. */
  readonly earliestEventMs?: number;
  /** How far `ts` may lie ahead of the clock (default 1 h); further → implausible_event_time. */
  readonly maxEventTimeAheadMs?: number;
}

export interface ApplyBatchDeps {
  readonly warehouse: Warehouse;
  readonly jobs: JobCompanyLookup;
  readonly bucketer: HourBucketer;
  readonly options: ApplyBatchOptions;
  readonly clock?: () => number;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

export interface BatchSummary extends BatchTransactionCounts {
  /** Records in the event. */
  readonly recordsIn: number;
  readonly partitions: number;
  /** Transaction attempts (1 = no conflict). */
  readonly attempts: number;
  /** Old event ids deleted by this call's pruning (0 when it did not prune). */
  readonly prunedEventIds: number;
  /** Set when pruning failed (it is retried later; the batch itself is applied). */
  readonly pruneError?: string;
  readonly batchMs: number;
  /** Decoding, validating and bucketing the records (inside the transaction, overlapping its I/O). */
  readonly validateMs: number;
  /** The batch transaction from BEGIN to COMMIT, validation (overlapping the writes) and retries included. */
  readonly transactionMs: number;
  /** now − oldest event time among applied records (dead letters, implausible ones included, are ignored); null when nothing was applied. */
  readonly freshnessMs: number | null;
}

export type ApplyBatch = (records: readonly KafkaRecord[]) => Promise<BatchSummary>;

const DEFAULT_PRUNE_EVERY_MS = 60_000;
const DEFAULT_SLICE_RECORDS = 100;
const DEFAULT_CLAIM_IDS = 1_000;
const DEFAULT_GROUP_RECORDS = 2_500;
const MAX_GROUPS = 4;

export function createApplyBatch(deps: ApplyBatchDeps): ApplyBatch {
  const clock = deps.clock ?? Date.now;
  const { options } = deps;
  let lastPruneAt = Number.NEGATIVE_INFINITY;

  return async (records) => {
    const started = clock();
    const partitions = distinctTopicPartitions(records);
    await deps.warehouse.ensureLedger(partitions);
    const groupRecords = options.groupRecords ?? DEFAULT_GROUP_RECORDS;
    const groupCount =
      groupRecords === 0 ? 1 : Math.min(MAX_GROUPS, Math.max(1, Math.floor(records.length / groupRecords)));
    // one set of bounds per batch (validation happens once, whatever the transaction retries)
    const eventTime = eventTimeBounds(
      started,
      options.earliestEventMs ?? DEFAULT_EARLIEST_EVENT_MS,
      options.maxEventTimeAheadMs ?? DEFAULT_MAX_FUTURE_MS,
    );
    const groups = groupByKey(records, groupCount).map(
      (group) =>
        new BatchPreparation(group, deps.bucketer, {
          maxRecordBytes: options.maxRecordBytes,
          sliceRecords: options.sliceRecords ?? DEFAULT_SLICE_RECORDS,
          eventTime,
        }),
    );
    const begun = clock();

    const {
      value: { oldestEventMs, ...counts },
      attempts,
    } = await retryConflicts(
      () =>
        deps.warehouse.transaction((tx) =>
          applyBatchTransaction(tx, {
            records,
            groups,
            partitions,
            jobs: deps.jobs,
            dedupByEventId: options.dedupByEventId,
            claimIds: options.claimIds ?? DEFAULT_CLAIM_IDS,
          }),
        ),
      options.retry,
      deps.sleep,
      deps.random,
    );

    const committed = clock();
    let prunedEventIds = 0;
    let pruneError: string | undefined;
    const now = clock();
    if (options.dedupByEventId && now - lastPruneAt >= (options.pruneEveryMs ?? DEFAULT_PRUNE_EVERY_MS)) {
      lastPruneAt = now;
      try {
        prunedEventIds = await deps.warehouse.pruneProcessedEvents(options.dedupWindowHours);
      } catch (err) {
        pruneError = err instanceof Error ? err.message : String(err);
      }
    }

    const finished = clock();
    return {
      recordsIn: records.length,
      ...counts,
      partitions: partitions.length,
      attempts,
      prunedEventIds,
      ...(pruneError === undefined ? {} : { pruneError }),
      batchMs: finished - started,
      validateMs: Math.round(groups.reduce((sum, g) => sum + g.validateMs, 0)),
      transactionMs: committed - begun,
      freshnessMs: oldestEventMs === null ? null : finished - oldestEventMs,
    };
  };
}
