import { aggregate, type Contribution, contributionOf } from "../core/aggregation.js";
import { distinctTopicPartitions, type KafkaRecord, topicPartitionKey } from "../core/kafka-record.js";
import {
  type InvalidRecord,
  recordKeyBytes,
  type ValidRecord,
  validateRecord,
} from "../core/record-validation.js";
import type { BackoffPolicy } from "../core/retry-backoff.js";
import type { HourBucketer } from "../core/time-bucket.js";
import type {
  DeadLetter,
  JobCompanyLookup,
  LedgerPosition,
  Warehouse,
  WarehouseRow,
  WarehouseTx,
} from "./apply-batch-ports.js";
import { retryConflicts, type Sleep } from "./retry-conflicts.js";

/**
 * Apply one Kafka batch to the warehouse, exactly once.
 *
 * Outside the transaction (no locks held): validate and bucket every record, look up company ids
 * (cached), make sure the partitions' ledger rows exist. Inside ONE transaction:
 *   1. lock the ledger rows of the batch's partitions (SELECT … FOR UPDATE, fixed order) and drop
 *      every record at or below its partition's applied offset (a redelivered or overlapping batch);
 *   2. with the guard on, drop records whose event id was already applied, or appears earlier in
 *      the batch, and record the new ids (an event re-sent at a new offset counts once);
 *   3. upsert the aggregates (sorted by grain), insert the dead letters, advance the ledger.
 * Commit. A lock conflict retries the whole transaction; any other failure throws with nothing
 * applied, and the event source mapping redelivers the batch.
 */
export interface ApplyBatchOptions {
  readonly dedupByEventId: boolean;
  readonly dedupWindowHours: number;
  readonly maxRecordBytes: number;
  readonly retry: BackoffPolicy;
  /** Minimum pause between two prunings of old event ids by one process. */
  readonly pruneEveryMs?: number;
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

export interface BatchSummary {
  /** Records in the event. */
  readonly recordsIn: number;
  /** Valid records whose measures were added to the warehouse. */
  readonly applied: number;
  /** Invalid records stored as dead letters. */
  readonly deadLettered: number;
  /** Records at or below their partition's ledger offset (already applied by an earlier delivery). */
  readonly skippedReplays: number;
  /** Records whose event id was already applied (at another offset) or repeated in the batch. */
  readonly skippedDuplicates: number;
  /** Aggregate rows upserted. */
  readonly rowsUpserted: number;
  /** Records that were not clicks/conversions/qualified/unqualified (they add no measure). */
  readonly otherTracks: number;
  readonly partitions: number;
  /** Transaction attempts (1 = no conflict). */
  readonly attempts: number;
  /** Old event ids deleted by this call's pruning (0 when it did not prune). */
  readonly prunedEventIds: number;
  /** Set when pruning failed (it is retried later; the batch itself is applied). */
  readonly pruneError?: string;
  readonly batchMs: number;
  /** Decoding, validating and bucketing the records. */
  readonly validateMs: number;
  /** Company lookup (cache misses) and ledger rows. */
  readonly lookupMs: number;
  /** The batch transaction, retries included. */
  readonly transactionMs: number;
  /** now − oldest event time among applied records; null when nothing was applied. */
  readonly freshnessMs: number | null;
}

export type ApplyBatch = (records: readonly KafkaRecord[]) => Promise<BatchSummary>;

/** What is kept of a valid record (the parsed row itself is dropped right after validation). */
interface Prepared {
  readonly record: KafkaRecord;
  readonly eventId: string | null;
  readonly ts: number;
  readonly contribution: Contribution;
}

interface TxOutcome {
  readonly applied: number;
  readonly deadLettered: number;
  readonly skippedReplays: number;
  readonly skippedDuplicates: number;
  readonly rowsUpserted: number;
  readonly otherTracks: number;
  readonly oldestEventMs: number | null;
}

const DEFAULT_PRUNE_EVERY_MS = 60_000;

export function createApplyBatch(deps: ApplyBatchDeps): ApplyBatch {
  const clock = deps.clock ?? Date.now;
  const { options } = deps;
  let lastPruneAt = Number.NEGATIVE_INFINITY;

  return async (records) => {
    const started = clock();
    const good: Prepared[] = [];
    const bad: InvalidRecord[] = [];
    const jobIds = new Set<number>();
    for (const r of records) {
      const verdict = validateRecord(r, { maxRecordBytes: options.maxRecordBytes });
      if (verdict.ok) good.push(prepare(verdict, deps.bucketer));
      else bad.push(verdict);
      if (verdict.ok) jobIds.add(verdict.row.job_id);
    }
    const partitions = distinctTopicPartitions(records);
    const validated = clock();
    const [companies] = await Promise.all([
      deps.jobs.companyIds([...jobIds]),
      deps.warehouse.ensureLedger(partitions),
    ]);
    const looked = clock();

    const { value: outcome, attempts } = await retryConflicts(
      () =>
        deps.warehouse.transaction((tx) =>
          applyInTransaction(tx, { records, good, bad, partitions, companies, options }),
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
      applied: outcome.applied,
      deadLettered: outcome.deadLettered,
      skippedReplays: outcome.skippedReplays,
      skippedDuplicates: outcome.skippedDuplicates,
      rowsUpserted: outcome.rowsUpserted,
      otherTracks: outcome.otherTracks,
      partitions: partitions.length,
      attempts,
      prunedEventIds,
      ...(pruneError === undefined ? {} : { pruneError }),
      batchMs: finished - started,
      validateMs: validated - started,
      lookupMs: looked - validated,
      transactionMs: committed - looked,
      freshnessMs: outcome.oldestEventMs === null ? null : finished - outcome.oldestEventMs,
    };
  };
}

interface TxInput {
  readonly records: readonly KafkaRecord[];
  readonly good: readonly Prepared[];
  readonly bad: readonly InvalidRecord[];
  readonly partitions: ReturnType<typeof distinctTopicPartitions>;
  readonly companies: ReadonlyMap<number, number>;
  readonly options: ApplyBatchOptions;
}

/** The transaction body. Pure function of its input and what it reads: safe to run again on retry. */
async function applyInTransaction(tx: WarehouseTx, input: TxInput): Promise<TxOutcome> {
  const ledger = await tx.lockLedger(input.partitions);
  const isNew = (r: KafkaRecord) => r.offset > (ledger.get(topicPartitionKey(r)) ?? -1);

  const freshGood = input.good.filter((g) => isNew(g.record));
  const freshBad = input.bad.filter((b) => isNew(b.record));
  const skippedReplays = input.good.length + input.bad.length - freshGood.length - freshBad.length;

  let toApply = freshGood;
  let skippedDuplicates = 0;
  if (input.options.dedupByEventId) {
    // first occurrence in the batch wins; later ones are duplicates whatever the warehouse says
    const firstSeen = new Set<string>();
    const candidates = freshGood.filter((g) => {
      const id = g.eventId;
      if (id === null) return true;
      if (firstSeen.has(id)) return false;
      firstSeen.add(id);
      return true;
    });
    const already = firstSeen.size > 0 ? await tx.claimEventIds([...firstSeen].sort()) : new Set<string>();
    toApply = candidates.filter((g) => g.eventId === null || !already.has(g.eventId));
    skippedDuplicates = freshGood.length - toApply.length;
  }

  const aggregation = aggregate(toApply.map((g) => g.contribution));
  const rows: WarehouseRow[] = aggregation
    .rows()
    .map((r) => ({ ...r, companyId: input.companies.get(r.jobId) ?? null }));
  if (rows.length > 0) await tx.upsertAggregates(rows);
  if (freshBad.length > 0) await tx.insertDeadLetters(freshBad.map(toDeadLetter));

  const maxOffsets = new Map<string, LedgerPosition>();
  for (const r of input.records) {
    const k = topicPartitionKey(r);
    const current = maxOffsets.get(k);
    if (current === undefined || r.offset > current.offset) {
      maxOffsets.set(k, { topic: r.topic, partition: r.partition, offset: r.offset });
    }
  }
  const advances = input.partitions
    .map((tp) => maxOffsets.get(topicPartitionKey(tp)))
    .filter(
      (p): p is LedgerPosition => p !== undefined && p.offset > (ledger.get(topicPartitionKey(p)) ?? -1),
    );
  if (advances.length > 0) await tx.advanceLedger(advances);

  let oldestEventMs: number | null = null;
  let otherTracks = 0;
  for (const g of toApply) {
    if (oldestEventMs === null || g.ts < oldestEventMs) oldestEventMs = g.ts;
    if (g.contribution.kind === "other") otherTracks++;
  }
  return {
    applied: toApply.length,
    deadLettered: freshBad.length,
    skippedReplays,
    skippedDuplicates,
    rowsUpserted: rows.length,
    otherTracks,
    oldestEventMs,
  };
}

function prepare(v: ValidRecord, bucketer: HourBucketer): Prepared {
  return {
    record: v.record,
    eventId: v.eventId,
    ts: v.row.ts,
    contribution: contributionOf(v.row, bucketer),
  };
}

function toDeadLetter(b: InvalidRecord): DeadLetter {
  return {
    topic: b.record.topic,
    partition: b.record.partition,
    offset: b.record.offset,
    key: recordKeyBytes(b.record),
    payload: b.payload,
    reasonCode: b.reasonCode,
    reason: b.reason,
    recordTimestampMs: b.record.timestamp,
  };
}
