import type { Pool } from "mysql2/promise";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { MysqlJobCompanyLookup } from "../../lib/adapters/mysql/job-company-lookup.js";
import { MysqlWarehouse } from "../../lib/adapters/mysql/mysql-warehouse.js";
import type { Config } from "../../lib/config/index.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import { type ApplyBatch, createApplyBatch } from "../../lib/use-cases/apply-batch.js";
import { cachedJobCompanies } from "../../lib/use-cases/cached-job-companies.js";

/** Caps the backoff between two transaction attempts. */
const RETRY_CAP_MS = 2_000;

export interface AggregatorWiring {
  readonly config: Config;
  /** Writer-account pool; created from the config when not given. */
  readonly pool?: Pool;
  readonly clock?: () => number;
}

/** The apply-batch use case and how to release what it holds (the pool, when this wiring created it). */
export interface AggregatorRuntime {
  readonly applyBatch: ApplyBatch;
  close(): Promise<void>;
}

/** buildApplyBatch as a runtime: closing it ends the pool it created (a given pool is left open). */
export function wireAggregator(w: AggregatorWiring): AggregatorRuntime {
  const { applyBatch, pool } = buildApplyBatch(w);
  return { applyBatch, close: async () => (w.pool ? undefined : pool.end()) };
}

/** Wires the apply-batch use case to MySQL (writer account), the job cache and the reporting time zone. */
export function buildApplyBatch(w: AggregatorWiring): { applyBatch: ApplyBatch; pool: Pool } {
  const a = w.config.aggregator;
  const pool = w.pool ?? createMysqlPool(w.config, w.config.mysql.writer, { connectionLimit: a.dbPoolSize });
  const applyBatch = createApplyBatch({
    warehouse: new MysqlWarehouse(pool, { upsertChunkRows: a.upsertChunkRows }),
    jobs: cachedJobCompanies(new MysqlJobCompanyLookup(pool), {
      ttlMs: a.jobCacheTtlMs,
      negativeTtlMs: a.jobCacheNegativeTtlMs,
      maxEntries: a.jobCacheMaxEntries,
      ...(w.clock ? { clock: w.clock } : {}),
    }),
    bucketer: hourBucketer(w.config.reportingTimeZone),
    options: {
      dedupByEventId: a.dedupByEventId,
      dedupWindowHours: a.dedupWindowHours,
      maxRecordBytes: a.maxRecordBytes,
      groupRecords: a.keyGroupRecords,
      earliestEventMs: a.earliestEventMs,
      maxEventTimeAheadMs: a.maxEventTimeAheadMs,
      retry: { maxAttempts: a.txMaxAttempts, baseMs: a.txRetryBaseMs, capMs: RETRY_CAP_MS },
    },
    ...(w.clock ? { clock: w.clock } : {}),
  });
  return { applyBatch, pool };
}
