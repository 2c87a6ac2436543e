import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config/index.js";
import { ConfigError } from "../../lib/errors.js";

const NO_FILE = { readSecretsFile: false } as const;

describe("aggregator config", () => {
  it("has documented defaults", () => {
    expect(loadConfig({}, NO_FILE).aggregator).toEqual({
      dedupByEventId: true,
      dedupWindowHours: 24,
      jobCacheTtlMs: 60_000,
      jobCacheNegativeTtlMs: 5_000,
      jobCacheMaxEntries: 200_000,
      upsertChunkRows: 500,
      keyGroupRecords: 2_500,
      txMaxAttempts: 6,
      txRetryBaseMs: 25,
      maxRecordBytes: 1_048_576,
      dbPoolSize: 2,
    });
  });

  it("reads and validates the variables", () => {
    const a = loadConfig(
      { AGG_DEDUP_BY_EVENT_ID: "false", AGG_DEDUP_WINDOW_HOURS: "6", AGG_UPSERT_CHUNK_ROWS: "1000" },
      NO_FILE,
    ).aggregator;
    expect(a).toMatchObject({ dedupByEventId: false, dedupWindowHours: 6, upsertChunkRows: 1_000 });
    expect(() => loadConfig({ AGG_UPSERT_CHUNK_ROWS: "0" }, NO_FILE)).toThrow(ConfigError);
    expect(() => loadConfig({ AGG_DEDUP_BY_EVENT_ID: "maybe" }, NO_FILE)).toThrow(/AGG_DEDUP_BY_EVENT_ID/);
    expect(() => loadConfig({ AGG_TX_MAX_ATTEMPTS: "-1" }, NO_FILE)).toThrow(/AGG_TX_MAX_ATTEMPTS/);
    // the batch transaction holds one connection while the job lookups need another
    expect(() => loadConfig({ AGG_DB_POOL_SIZE: "1" }, NO_FILE)).toThrow(/AGG_DB_POOL_SIZE/);
    expect(loadConfig({ AGG_KEY_GROUP_RECORDS: "0" }, NO_FILE).aggregator.keyGroupRecords).toBe(0);
    expect(() => loadConfig({ AGG_KEY_GROUP_RECORDS: "-5" }, NO_FILE)).toThrow(/AGG_KEY_GROUP_RECORDS/);
  });
});
