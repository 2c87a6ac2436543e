import { Aggregation, contributionOf } from "../../core/aggregation.js";
import { bucketStart } from "../../core/cdc/buckets.js";
import { MAX_EVENT_TIME_MS, rowProblem } from "../../core/record-schema.js";
import type { BackoffPolicy } from "../../core/retry-backoff.js";
import type { HourBucket, HourBucketer } from "../../core/time-bucket.js";
import { eventId, type TrackingRow } from "../../core/tracking-row.js";
import { PipelineError } from "../../errors.js";
import type { JobCompanyLookup, WarehouseRow } from "../apply-batch-ports.js";
import { retryConflicts, type Sleep } from "../retry-conflicts.js";
import type { LakePartitions, PartitionKey, WarehouseHour, WarehouseRebuild } from "./reconcile-ports.js";

/**
 * `jtp replay --rebuild`: recompute warehouse hours from the lake and replace them, in one
 * transaction. For ranges outside the reconciliation horizon, where the applied event ids are no
 * longer remembered and a plain replay could count events twice.
 *
 * What is replaced: every fact row (`events`) whose (dates, hours) is an hour of the reporting time
 * zone inside the event-time range [fromMs, toMs), which must start and end on whole hours of that
 * zone (a DST fall-back hour cannot be split).
 *
 * With what: the aggregate, exactly as the aggregator computes it (same validation rules, same
 * grain, same measures, company ids from the job dimension), of every lake row that
 *   - lies in an ingest-time bucket [bucketStart(fromMs − EARLY_INGEST_MS), toMs + maxLatenessMs)
 *     of one of `shards` (rows that became visible up to maxLatenessMs after the range ended, or
 *     that were stamped up to 5 min before the event time they carry), and
 *   - has an event time `ts` in [fromMs, toMs), and
 *   - passes the aggregator's row validation (job_id and ts present, known columns of the right
 *     type); the others are skipped and counted (the aggregator dead-letters them).
 * Their event ids are recorded as applied (so a later redelivery of any of them is a no-op).
 *
 * Rows of those hours that become visible later than toMs + maxLatenessMs are not included: run it
 * only once the hours are complete in the lake, never while rows of them are still arriving.
 *
 * Memory: rows are read page by page and aggregated as they come; what is kept is the aggregate
 * rows (one per grain) and the event ids of the rows in range (≈ 100 bytes each in memory).
 */

/** Rows are read from buckets starting this long before fromMs (writer clocks ahead of the bucket). */
export const EARLY_INGEST_MS = 5 * 60_000;
const MINUTE_MS = 60_000;
const DEFAULT_PAGE_SIZE = 5_000;
const DEFAULT_PARALLEL_PARTITIONS = 4;
const DEFAULT_MAX_RANGE_MS = 24 * 3_600_000;
const DEFAULT_RETRY: BackoffPolicy = { maxAttempts: 6, baseMs: 50, capMs: 2_000 };

/** The rebuild's range or settings cannot be used; nothing was read or written. */
export class RebuildRangeError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("REBUILD_RANGE_INVALID", message, options);
  }
}

export interface RebuildHoursInput {
  /** Event-time range [fromMs, toMs), epoch ms: whole hours of the reporting time zone. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Lake shards to read (normally all of 0 … CASSANDRA_SHARDS − 1). */
  readonly shards: readonly number[];
}

export interface RebuildHoursOptions {
  /** Lake rows visible up to this long after toMs are included (ingest buckets read up to toMs + this). */
  readonly maxLatenessMs: number;
  /** Length of the lake's ingest-time buckets (CASSANDRA_BUCKET_SECONDS × 1000). */
  readonly bucketMs: number;
  /** Rows per lake page (default 5,000). */
  readonly pageSize?: number;
  /** Lake partitions read at the same time (default 4). */
  readonly parallelPartitions?: number;
  /** Longest range accepted (default 24 h: one transaction per day at most). */
  readonly maxRangeMs?: number;
  /** Retries of the transaction on a lock conflict (default 6 attempts, 50 ms doubling, 2 s cap). */
  readonly retry?: BackoffPolicy;
}

export interface RebuildProgress {
  readonly partitionsDone: number;
  readonly partitions: number;
  readonly rowsRead: number;
}

export interface RebuildHoursDeps {
  readonly lake: LakePartitions;
  readonly rebuild: WarehouseRebuild;
  readonly jobs: JobCompanyLookup;
  readonly bucketer: HourBucketer;
  readonly options: RebuildHoursOptions;
  /** Called after each partition is read (CLI progress). */
  readonly onProgress?: (p: RebuildProgress) => void;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

export interface RebuildHoursResult {
  /** Lake partitions (bucket, shard) read. */
  readonly partitionsRead: number;
  readonly rowsRead: number;
  /** Valid rows with ts in the range: aggregated, their event ids recorded. */
  readonly rowsInRange: number;
  /** Rows with a valid ts outside the range (they belong to other hours; left alone). */
  readonly rowsOutOfRange: number;
  /** Rows the aggregator would dead-letter (ts missing or unreadable, or ts in range but the row invalid). */
  readonly skippedInvalid: number;
  /** Rows read twice (the lake adapter repeated a row): counted once. */
  readonly duplicateRows: number;
  /** Warehouse hours replaced. */
  readonly hours: number;
  readonly deletedRows: number;
  readonly insertedRows: number;
  /** Transaction attempts (1 = no lock conflict). */
  readonly attempts: number;
}

export async function rebuildHours(
  input: RebuildHoursInput,
  deps: RebuildHoursDeps,
): Promise<RebuildHoursResult> {
  const { options } = deps;
  const hours = checkAndListHours(input, options, deps.bucketer);
  const partitions = partitionsToRead(input, options);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;

  const aggregation = new Aggregation();
  // Event ids of the rows in range. Ids of different partitions never collide (the id starts with
  // the partition key), so repeats are looked for within a partition only (a small set per partition).
  const eventIds: string[] = [];
  const jobIds = new Set<number>();
  const counts = { rowsRead: 0, rowsInRange: 0, rowsOutOfRange: 0, skippedInvalid: 0, duplicateRows: 0 };

  const take = (row: TrackingRow, seen: Set<string>) => {
    counts.rowsRead++;
    const ts = row.ts;
    const tsReadable = typeof ts === "number" && Number.isInteger(ts) && ts >= 0 && ts <= MAX_EVENT_TIME_MS;
    if (tsReadable && (ts < input.fromMs || ts >= input.toMs)) {
      counts.rowsOutOfRange++;
      return;
    }
    if (!tsReadable || rowProblem(row as unknown as Record<string, unknown>) !== null) {
      counts.skippedInvalid++;
      return;
    }
    const id = eventId(row);
    if (seen.has(id)) {
      counts.duplicateRows++;
      return;
    }
    seen.add(id);
    eventIds.push(id);
    counts.rowsInRange++;
    // validated: job_id and ts are numbers
    const valid = row as TrackingRow & { job_id: number; ts: number };
    aggregation.add(contributionOf(valid, deps.bucketer));
    jobIds.add(valid.job_id);
  };

  let next = 0;
  let done = 0;
  const reader = async () => {
    for (let i = next++; i < partitions.length; i = next++) {
      const seen = new Set<string>();
      for await (const page of deps.lake.pages(partitions[i] as PartitionKey, pageSize)) {
        for (const row of page) take(row, seen);
      }
      done++;
      deps.onProgress?.({ partitionsDone: done, partitions: partitions.length, rowsRead: counts.rowsRead });
    }
  };
  const parallel = Math.max(1, options.parallelPartitions ?? DEFAULT_PARALLEL_PARTITIONS);
  await Promise.all(Array.from({ length: Math.min(parallel, partitions.length) }, reader));

  const companies = await deps.jobs.companyIds([...jobIds]);
  const rows: WarehouseRow[] = aggregation
    .rows()
    .map((r) => ({ ...r, companyId: companies.get(r.jobId) ?? null }));
  eventIds.sort();

  const { value, attempts } = await retryConflicts(
    () => deps.rebuild.replaceHours(hours, rows, eventIds),
    options.retry ?? DEFAULT_RETRY,
    deps.sleep,
    deps.random,
  );
  return {
    partitionsRead: partitions.length,
    ...counts,
    hours: hours.length,
    deletedRows: value.deletedRows,
    insertedRows: value.insertedRows,
    attempts,
  };
}

/**
 * The warehouse hours of [fromMs, toMs), after checking the range: whole numbers, not empty, not
 * longer than maxRangeMs, both ends on an hour boundary of the reporting time zone (the hour just
 * before differs from the hour at: this also refuses to split a DST fall-back hour, whose two UTC
 * hours share one (dates, hours)).
 */
export function checkAndListHours(
  input: Pick<RebuildHoursInput, "fromMs" | "toMs" | "shards">,
  options: RebuildHoursOptions,
  bucketer: HourBucketer,
): WarehouseHour[] {
  const { fromMs, toMs } = input;
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
  if (!Number.isInteger(fromMs) || !Number.isInteger(toMs) || fromMs < 0) {
    throw new RebuildRangeError(`rebuild range must be epoch milliseconds, got ${fromMs} … ${toMs}`);
  }
  if (toMs <= fromMs) {
    throw new RebuildRangeError(
      `rebuild range is empty: --to ${iso(toMs)} is not after --from ${iso(fromMs)}`,
    );
  }
  const maxRangeMs = options.maxRangeMs ?? DEFAULT_MAX_RANGE_MS;
  if (toMs - fromMs > maxRangeMs) {
    throw new RebuildRangeError(
      `rebuild range ${iso(fromMs)} … ${iso(toMs)} is longer than ${maxRangeMs / 3_600_000} h: rebuild it in parts (each part is one transaction)`,
    );
  }
  for (const [name, t] of [
    ["--from", fromMs],
    ["--to", toMs],
  ] as const) {
    if (sameHour(bucketer(t - 1), bucketer(t))) {
      const h = bucketer(t);
      throw new RebuildRangeError(
        `rebuild ${name} ${iso(t)} is not the start of an hour in the reporting time zone (it is inside ${h.dates} hour ${h.hours}): use whole hours`,
      );
    }
  }
  if (!Number.isInteger(options.maxLatenessMs) || options.maxLatenessMs < 0) {
    throw new RebuildRangeError(
      `maxLatenessMs must be a whole number of ms >= 0, got ${options.maxLatenessMs}`,
    );
  }
  if (!Number.isInteger(options.bucketMs) || options.bucketMs < 1) {
    throw new RebuildRangeError(`bucketMs must be a whole number of ms >= 1, got ${options.bucketMs}`);
  }
  if (input.shards.length === 0 || input.shards.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RebuildRangeError(
      `rebuild needs shards (whole numbers >= 0), got [${input.shards.join(", ")}]`,
    );
  }
  // Every UTC offset in use is a whole number of minutes: one probe per minute meets every hour.
  const out = new Map<string, WarehouseHour>();
  for (let t = fromMs; t < toMs; t += MINUTE_MS) {
    const h = bucketer(t);
    out.set(`${h.dates} ${h.hours}`, { dates: h.dates, hours: h.hours });
  }
  const last = bucketer(toMs - 1);
  out.set(`${last.dates} ${last.hours}`, { dates: last.dates, hours: last.hours });
  return [...out.values()];
}

/** Lake partitions (bucket, shard) whose rows may carry an event time in the range. */
export function partitionsToRead(
  input: Pick<RebuildHoursInput, "fromMs" | "toMs" | "shards">,
  options: Pick<RebuildHoursOptions, "bucketMs" | "maxLatenessMs">,
): PartitionKey[] {
  const shards = [...new Set(input.shards)].sort((a, b) => a - b);
  const end = input.toMs + options.maxLatenessMs;
  const out: PartitionKey[] = [];
  for (
    let b = bucketStart(input.fromMs - EARLY_INGEST_MS, options.bucketMs);
    b < end;
    b += options.bucketMs
  ) {
    for (const shard of shards) out.push({ bucket: b, shard });
  }
  return out;
}

function sameHour(a: HourBucket, b: HourBucket): boolean {
  return a.dates === b.dates && a.hours === b.hours;
}
