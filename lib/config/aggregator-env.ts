import { z } from "zod";
import { DEFAULT_EARLIEST_EVENT_MS, DEFAULT_MAX_FUTURE_MS } from "../core/change-event/event-time-bounds.js";
import { envBoolean } from "./env-boolean.js";

/**
 * Aggregator settings (environment → typed). Merged into the one env schema in env-schema.ts.
 */
const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const flag = envBoolean;

/** An instant in ISO-8601 with an explicit zone (or a bare date, which is UTC) → epoch ms, from 1970 on. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const instant = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const m = ISO_INSTANT.exec(s);
    const ms = m === null ? Number.NaN : Date.parse(s);
    const fail = (message: string) => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    };
    if (m === null || Number.isNaN(ms)) {
      return fail("must be an ISO-8601 date or instant with a zone, e.g. 2000-01-01T00:00:00Z");
    }
    const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (day.toISOString().slice(0, 10) !== s.slice(0, 10)) return fail("must be a real calendar date");
    if (ms < 0) return fail("must be 1970-01-01T00:00:00Z or later");
    return ms;
  });

export const aggregatorEnvShape = {
  /**
   * Skip records whose event id was already applied (table processed_events), on top of the offset
   * ledger. Guards against records of aborted Kafka transactions re-sent at new offsets, in case the
   * event source mapping reads uncommitted records. Default true.
   */
  AGG_DEDUP_BY_EVENT_ID: flag.default(true),
  /** How long applied event ids are remembered (older ones are pruned). Default 24 h. */
  AGG_DEDUP_WINDOW_HOURS: int(1, 24 * 90).default(24),
  /** How long a job_id → company_id answer is cached. Default 60 s. */
  AGG_JOB_CACHE_TTL_MS: int(0, 86_400_000).default(60_000),
  /** How long "job unknown" is cached (kept short: the dimension row may arrive soon). Default 5 s. */
  AGG_JOB_CACHE_NEGATIVE_TTL_MS: int(0, 3_600_000).default(5_000),
  /** Most jobs kept in the cache (oldest entries are dropped beyond it). Default 200,000. */
  AGG_JOB_CACHE_MAX_ENTRIES: int(1, 10_000_000).default(200_000),
  /** Rows per multi-row upsert statement. Default 500. */
  AGG_UPSERT_CHUNK_ROWS: int(1, 5_000).default(500),
  /**
   * Records per key group: a batch is split into up to 4 groups of records by key (job_id), and each
   * group is upserted while the next one is validated. 0 = never split. Default 2,500.
   */
  AGG_KEY_GROUP_RECORDS: int(0, 1_000_000).default(2_500),
  /** Attempts of one batch transaction on deadlock / lock-wait timeout before giving up (the batch is then retried by the event source mapping). Default 6. */
  AGG_TX_MAX_ATTEMPTS: int(1, 50).default(6),
  /** First retry delay; doubles each attempt (full jitter), capped at 2 s. Default 25 ms. */
  AGG_TX_RETRY_BASE_MS: int(1, 10_000).default(25),
  /** Records whose value is larger than this go to dead letters (payload kept up to this size). Default 1 MiB. */
  AGG_MAX_RECORD_BYTES: int(1_024, 6 * 1024 * 1024).default(1024 * 1024),
  /**
   * Connections in the aggregator's MySQL pool. At least 2: the batch transaction holds one while the
   * job → company lookups run on another at the same time. Default 2.
   */
  AGG_DB_POOL_SIZE: int(2, 64).default(2),
  /**
   * Records whose event time `ts` is earlier than this are dead-lettered as implausible_event_time
   * (a writer's clock at 0 / 1970). ISO-8601. Default 2000-01-01T00:00:00Z.
   */
  AGG_EARLIEST_EVENT_TIME: instant.default(DEFAULT_EARLIEST_EVENT_MS),
  /**
   * Records whose event time `ts` lies more than this ahead of the aggregator's clock are
   * dead-lettered as implausible_event_time. Default 1 h; at most 366 days.
   */
  AGG_MAX_EVENT_TIME_AHEAD_MS: int(0, 366 * 86_400_000).default(DEFAULT_MAX_FUTURE_MS),
} as const;

export interface AggregatorConfig {
  readonly dedupByEventId: boolean;
  readonly dedupWindowHours: number;
  readonly jobCacheTtlMs: number;
  readonly jobCacheNegativeTtlMs: number;
  readonly jobCacheMaxEntries: number;
  readonly upsertChunkRows: number;
  readonly keyGroupRecords: number;
  readonly txMaxAttempts: number;
  readonly txRetryBaseMs: number;
  readonly maxRecordBytes: number;
  readonly dbPoolSize: number;
  /** Earliest plausible event time, epoch ms. */
  readonly earliestEventMs: number;
  /** How far an event time may lie ahead of the aggregator's clock, ms. */
  readonly maxEventTimeAheadMs: number;
}

export interface AggregatorEnv {
  readonly AGG_DEDUP_BY_EVENT_ID: boolean;
  readonly AGG_DEDUP_WINDOW_HOURS: number;
  readonly AGG_JOB_CACHE_TTL_MS: number;
  readonly AGG_JOB_CACHE_NEGATIVE_TTL_MS: number;
  readonly AGG_JOB_CACHE_MAX_ENTRIES: number;
  readonly AGG_UPSERT_CHUNK_ROWS: number;
  readonly AGG_KEY_GROUP_RECORDS: number;
  readonly AGG_TX_MAX_ATTEMPTS: number;
  readonly AGG_TX_RETRY_BASE_MS: number;
  readonly AGG_MAX_RECORD_BYTES: number;
  readonly AGG_DB_POOL_SIZE: number;
  readonly AGG_EARLIEST_EVENT_TIME: number;
  readonly AGG_MAX_EVENT_TIME_AHEAD_MS: number;
}

export function toAggregatorConfig(e: AggregatorEnv): AggregatorConfig {
  return {
    dedupByEventId: e.AGG_DEDUP_BY_EVENT_ID,
    dedupWindowHours: e.AGG_DEDUP_WINDOW_HOURS,
    jobCacheTtlMs: e.AGG_JOB_CACHE_TTL_MS,
    jobCacheNegativeTtlMs: e.AGG_JOB_CACHE_NEGATIVE_TTL_MS,
    jobCacheMaxEntries: e.AGG_JOB_CACHE_MAX_ENTRIES,
    upsertChunkRows: e.AGG_UPSERT_CHUNK_ROWS,
    keyGroupRecords: e.AGG_KEY_GROUP_RECORDS,
    txMaxAttempts: e.AGG_TX_MAX_ATTEMPTS,
    txRetryBaseMs: e.AGG_TX_RETRY_BASE_MS,
    maxRecordBytes: e.AGG_MAX_RECORD_BYTES,
    dbPoolSize: e.AGG_DB_POOL_SIZE,
    earliestEventMs: e.AGG_EARLIEST_EVENT_TIME,
    maxEventTimeAheadMs: e.AGG_MAX_EVENT_TIME_AHEAD_MS,
  };
}
