import { aggregate } from "../core/aggregation.js";
import { type KafkaRecord, type TopicPartition, topicPartitionKey } from "../core/kafka-record.js";
import { type InvalidRecord, recordKeyBytes } from "../core/record-validation.js";
import type {
  DeadLetter,
  JobCompanyLookup,
  LedgerPosition,
  WarehouseRow,
  WarehouseTx,
} from "./apply-batch-ports.js";
import type { BatchPreparation, PreparedRecord } from "./batch-preparation.js";
import { SerialWork } from "./serial-work.js";

/**
 * The body of one batch transaction (see createApplyBatch for the whole flow). A pure function of
 * its input and of what it reads: safe to run again when the transaction is retried.
 */
export interface BatchTransactionInput {
  readonly records: readonly KafkaRecord[];
  /** The key groups, in the order they are applied. */
  readonly groups: readonly BatchPreparation[];
  readonly partitions: readonly TopicPartition[];
  readonly jobs: JobCompanyLookup;
  readonly dedupByEventId: boolean;
  /** Event ids per claim statement. */
  readonly claimIds: number;
}

/** What one batch transaction did (the counts and stage times of the batch summary). */
export interface BatchTransactionCounts {
  /** Valid records whose measures were added to the warehouse. */
  readonly applied: number;
  /** Invalid records stored as dead letters. */
  readonly deadLettered: number;
  /** Dead letters of this batch by reason code (codes from INVALID_REASON_CODES; absent = 0). */
  readonly deadLetteredByReason: Readonly<Record<string, number>>;
  /** Dead letters whose event time was implausible (reason implausible_event_time). */
  readonly implausible: number;
  /** Records at or below their partition's ledger offset (already applied by an earlier delivery). */
  readonly skippedReplays: number;
  /** Records whose event id was already applied (at another offset) or repeated in the batch. */
  readonly skippedDuplicates: number;
  /** Aggregate rows upserted. */
  readonly rowsUpserted: number;
  /** Records that were not clicks/conversions/qualified/unqualified (they add no measure). */
  readonly otherTracks: number;
  /** Time the upserts waited for company lookups (cache misses; the lookups overlap validation). */
  readonly lookupMs: number;
  /** Time the event-id claims took (statements on the transaction's connection, in the background of validation). */
  readonly claimMs: number;
  /** Time the aggregate upserts took (statements on the transaction's connection). */
  readonly upsertMs: number;
}

export interface BatchTransactionOutcome extends BatchTransactionCounts {
  /** Oldest event time among applied records; null when nothing was applied. */
  readonly oldestEventMs: number | null;
}

interface Totals {
  applied: number;
  duplicates: number;
  replays: number;
  rows: number;
  otherTracks: number;
  oldestEventMs: number | null;
  lookupMs: number;
  claimMs: number;
  upsertMs: number;
}

export async function applyBatchTransaction(
  tx: WarehouseTx,
  input: BatchTransactionInput,
): Promise<BatchTransactionOutcome> {
  const ledger = await tx.lockLedger(input.partitions);
  const work = new SerialWork();
  const totals: Totals = {
    applied: 0,
    duplicates: 0,
    replays: 0,
    rows: 0,
    otherTracks: 0,
    oldestEventMs: null,
    lookupMs: 0,
    claimMs: 0,
    upsertMs: 0,
  };
  const walk: GroupWalk = {
    tx,
    work,
    totals,
    isNew: (r) => r.offset > (ledger.get(topicPartitionKey(r)) ?? -1),
    firstSeen: new Set(),
    freshBad: [],
    input,
  };
  try {
    for (const group of input.groups) {
      if (work.failed) break;
      await queueGroup(group, walk);
    }
    await work.settle();
  } finally {
    // never end the transaction with one of its statements still on the way
    await work.idle();
  }

  if (walk.freshBad.length > 0) await tx.insertDeadLetters(walk.freshBad.map(toDeadLetter));
  const advances = ledgerAdvances(input.records, input.partitions, ledger);
  if (advances.length > 0) await tx.advanceLedger(advances);
  const deadLetteredByReason: Record<string, number> = {};
  for (const b of walk.freshBad)
    deadLetteredByReason[b.reasonCode] = (deadLetteredByReason[b.reasonCode] ?? 0) + 1;
  return {
    applied: totals.applied,
    deadLettered: walk.freshBad.length,
    deadLetteredByReason,
    implausible: deadLetteredByReason.implausible_event_time ?? 0,
    skippedReplays: totals.replays,
    skippedDuplicates: totals.duplicates,
    rowsUpserted: totals.rows,
    otherTracks: totals.otherTracks,
    oldestEventMs: totals.oldestEventMs,
    lookupMs: Math.round(totals.lookupMs),
    claimMs: Math.round(totals.claimMs),
    upsertMs: Math.round(totals.upsertMs),
  };
}

interface GroupWalk {
  readonly tx: WarehouseTx;
  readonly work: SerialWork;
  readonly totals: Totals;
  readonly isNew: (r: KafkaRecord) => boolean;
  /** Event ids seen in the batch so far (the first occurrence wins). */
  readonly firstSeen: Set<string>;
  readonly freshBad: InvalidRecord[];
  readonly input: BatchTransactionInput;
}

/**
 * Validates one key group slice by slice, queueing the claims of its new event ids as they add up,
 * then queues the group's upsert (which runs after those claims, so it knows which ids were applied
 * before).
 */
async function queueGroup(group: BatchPreparation, walk: GroupWalk): Promise<void> {
  const { tx, work, totals, input } = walk;
  const guard = input.dedupByEventId;
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
    if (work.failed) return; // the transaction is lost: settle() throws
    for (const g of slice.good) {
      if (!walk.isNew(g.record)) {
        totals.replays++;
        continue;
      }
      if (guard && g.eventId !== null) {
        // first occurrence in the batch wins; later ones are duplicates whatever the warehouse says
        if (walk.firstSeen.has(g.eventId)) {
          totals.duplicates++;
          continue;
        }
        walk.firstSeen.add(g.eventId);
        toClaim.push(g.eventId);
      }
      candidates.push(g);
      jobIds.add(g.jobId);
    }
    for (const b of slice.bad) {
      if (walk.isNew(b.record)) walk.freshBad.push(b);
      else totals.replays++;
    }
    if (toClaim.length >= input.claimIds) {
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
    const waited = performance.now();
    const companies = await lookup;
    totals.lookupMs += performance.now() - waited;
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
      if (totals.oldestEventMs === null || g.ts < totals.oldestEventMs) totals.oldestEventMs = g.ts;
      if (g.contribution.kind === "other") totals.otherTracks++;
    }
  });
}

/** The highest offset of each partition in the batch, where it is above the ledger's. */
function ledgerAdvances(
  records: readonly KafkaRecord[],
  partitions: readonly TopicPartition[],
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
    eventId: b.eventId,
    key: recordKeyBytes(b.record),
    payload: b.payload,
    reasonCode: b.reasonCode,
    reason: b.reason,
    recordTimestampMs: b.record.timestamp,
  };
}
