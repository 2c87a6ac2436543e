import { aggregate } from "../core/aggregation.js";
import { distinctTopicPartitions, type KafkaRecord, topicPartitionKey } from "../core/kafka-record.js";
import { groupByKey } from "../core/key-groups.js";
import { type InvalidRecord, recordKeyBytes } from "../core/record-validation.js";
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
import { BatchPreparation, type PreparedRecord } from "./batch-preparation.js";
import { retryConflicts, type Sleep } from "./retry-conflicts.js";
import { SerialWork } from "./serial-work.js";

/**
 * Apply one Kafka batch to the warehouse, exactly once.
 *
 * Before the transaction: make sure the partitions' ledger rows exist (cached), and split the
 * records into key groups (groupByKey: records are keyed by job_id, so two groups never feed the
 * same aggregate row). Then ONE transaction:
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
  /** Decoding, validating and bucketing the records (inside the transaction, overlapping its I/O). */
  readonly validateMs: number;
  /** Time the upserts waited for company lookups (cache misses; the lookups overlap validation). */
  readonly lookupMs: number;
  /** Time the event-id claims took (statements on the transaction's connection, in the background of validation). */
  readonly claimMs: number;
  /** Time the aggregate upserts took (statements on the transaction's connection). */
  readonly upsertMs: number;
  /** The batch transaction from BEGIN to COMMIT, validation (overlapping the writes) and retries included. */
  readonly transactionMs: number;
  /** now − oldest event time among applied records; null when nothing was applied. */
  readonly freshnessMs: number | null;
}

export type ApplyBatch = (records: readonly KafkaRecord[]) => Promise<BatchSummary>;

interface TxOutcome {
  readonly applied: number;
  readonly deadLettered: number;
  readonly skippedReplays: number;
  readonly skippedDuplicates: number;
  readonly rowsUpserted: number;
  readonly otherTracks: number;
  readonly oldestEventMs: number | null;
  readonly lookupMs: number;
  readonly claimMs: number;
  readonly upsertMs: number;
}

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
    const groups = groupByKey(records, groupCount).map(
      (group) =>
        new BatchPreparation(group, deps.bucketer, {
          maxRecordBytes: options.maxRecordBytes,
          sliceRecords: options.sliceRecords ?? DEFAULT_SLICE_RECORDS,
        }),
    );
    const begun = clock();

    const { value: outcome, attempts } = await retryConflicts(
      () =>
        deps.warehouse.transaction((tx) =>
          applyInTransaction(tx, { records, groups, partitions, jobs: deps.jobs, options, clock }),
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
      validateMs: Math.round(groups.reduce((sum, g) => sum + g.validateMs, 0)),
      lookupMs: outcome.lookupMs,
      claimMs: Math.round(outcome.claimMs),
      upsertMs: Math.round(outcome.upsertMs),
      transactionMs: committed - begun,
      freshnessMs: outcome.oldestEventMs === null ? null : finished - outcome.oldestEventMs,
    };
  };
}

interface TxInput {
  readonly records: readonly KafkaRecord[];
  /** The key groups, in the order they are applied. */
  readonly groups: readonly BatchPreparation[];
  readonly partitions: ReturnType<typeof distinctTopicPartitions>;
  readonly jobs: JobCompanyLookup;
  readonly options: ApplyBatchOptions;
  readonly clock: () => number;
}

/** The transaction body. Pure function of its input and what it reads: safe to run again on retry. */
async function applyInTransaction(tx: WarehouseTx, input: TxInput): Promise<TxOutcome> {
  const { options } = input;
  const ledger = await tx.lockLedger(input.partitions);
  const isNew = (r: KafkaRecord) => r.offset > (ledger.get(topicPartitionKey(r)) ?? -1);
  const guard = options.dedupByEventId;
  const claimIds = options.claimIds ?? DEFAULT_CLAIM_IDS;

  const work = new SerialWork();
  const totals = { applied: 0, duplicates: 0, rows: 0, otherTracks: 0, lookupMs: 0, claimMs: 0, upsertMs: 0 };
  let oldestEventMs: number | null = null;
  const freshBad: InvalidRecord[] = [];
  const firstSeen = new Set<string>();
  let skippedReplays = 0;
  try {
    for (const group of input.groups) {
      if (work.failed) break;
      const candidates: PreparedRecord[] = [];
      const jobIds = new Set<number>();
      const alreadyApplied = new Set<string>();
      let toClaim: string[] = [];
      const claim = (ids: readonly string[]) => {
        const sorted = [...ids].sort();
        work.enqueue(async () => {
          const started = performance.now();
          for (const id of await tx.claimEventIds(sorted)) alreadyApplied.add(id);
          totals.claimMs += performance.now() - started;
        });
      };
      for await (const slice of group.slices()) {
        if (work.failed) break; // the transaction is lost: stop here, settle() throws
        for (const g of slice.good) {
          if (!isNew(g.record)) {
            skippedReplays++;
            continue;
          }
          if (guard && g.eventId !== null) {
            // first occurrence in the batch wins; later ones are duplicates whatever the warehouse says
            if (firstSeen.has(g.eventId)) {
              totals.duplicates++;
              continue;
            }
            firstSeen.add(g.eventId);
            toClaim.push(g.eventId);
          }
          candidates.push(g);
          jobIds.add(g.jobId);
        }
        for (const b of slice.bad) {
          if (isNew(b.record)) freshBad.push(b);
          else skippedReplays++;
        }
        if (toClaim.length >= claimIds) {
          claim(toClaim);
          toClaim = [];
        }
      }
      if (toClaim.length > 0) claim(toClaim);

      const lookup = input.jobs.companyIds([...jobIds]);
      lookup.catch(() => undefined); // awaited by the queued upsert (or never, if the queue failed)
      work.enqueue(async () => {
        // runs after this group's claims: alreadyApplied is complete
        const toApply =
          alreadyApplied.size === 0
            ? candidates
            : candidates.filter((g) => g.eventId === null || !alreadyApplied.has(g.eventId));
        const waited = input.clock();
        const companies = await lookup;
        totals.lookupMs += input.clock() - waited;
        const rows: WarehouseRow[] = aggregate(toApply.map((g) => g.contribution))
          .rows()
          .map((r) => ({ ...r, companyId: companies.get(r.jobId) ?? null }));
        const upserting = performance.now();
        if (rows.length > 0) await tx.upsertAggregates(rows);
        totals.upsertMs += performance.now() - upserting;
        totals.applied += toApply.length;
        totals.duplicates += candidates.length - toApply.length;
        totals.rows += rows.length;
        for (const g of toApply) {
          if (oldestEventMs === null || g.ts < oldestEventMs) oldestEventMs = g.ts;
          if (g.contribution.kind === "other") totals.otherTracks++;
        }
      });
    }
    await work.settle();
  } finally {
    // never end the transaction with one of its statements still on the way
    await work.idle();
  }

  if (freshBad.length > 0) await tx.insertDeadLetters(freshBad.map(toDeadLetter));
  const advances = ledgerAdvances(input.records, input.partitions, ledger);
  if (advances.length > 0) await tx.advanceLedger(advances);
  return {
    applied: totals.applied,
    deadLettered: freshBad.length,
    skippedReplays,
    skippedDuplicates: totals.duplicates,
    rowsUpserted: totals.rows,
    otherTracks: totals.otherTracks,
    oldestEventMs,
    lookupMs: totals.lookupMs,
    claimMs: totals.claimMs,
    upsertMs: totals.upsertMs,
  };
}

/** The highest offset of each partition in the batch, where it is above the ledger's. */
function ledgerAdvances(
  records: readonly KafkaRecord[],
  partitions: TxInput["partitions"],
  ledger: ReadonlyMap<string, number>,
): LedgerPosition[] {
  const maxOffsets = new Map<string, LedgerPosition>();
  for (const r of records) {
    const k = topicPartitionKey(r);
    const current = maxOffsets.get(k);
    if (current === undefined || r.offset > current.offset) {
      maxOffsets.set(k, { topic: r.topic, partition: r.partition, offset: r.offset });
    }
  }
  return partitions
    .map((tp) => maxOffsets.get(topicPartitionKey(tp)))
    .filter(
      (p): p is LedgerPosition => p !== undefined && p.offset > (ledger.get(topicPartitionKey(p)) ?? -1),
    );
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
