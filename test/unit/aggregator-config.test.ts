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
      earliestEventMs: Date.UTC(2000, 0, 1),
      maxEventTimeAheadMs: 3_600_000,
    });
  });

  it("reads and validates the variables", () => {
    const a = loadConfig(
      {
        AGG_DEDUP_BY_EVENT_ID: "false",
        // longer than the default, which the reconciler's horizon (23h30m) must stay inside
        AGG_DEDUP_WINDOW_HOURS: "48",
        AGG_UPSERT_CHUNK_ROWS: "1000",
      },
      NO_FILE,
    ).aggregator;
    expect(a).toMatchObject({ dedupByEventId: false, dedupWindowHours: 48, upsertChunkRows: 1_000 });
    expect(() => loadConfig({ AGG_UPSERT_CHUNK_ROWS: "0" }, NO_FILE)).toThrow(ConfigError);
    expect(() => loadConfig({ AGG_DEDUP_BY_EVENT_ID: "maybe" }, NO_FILE)).toThrow(/AGG_DEDUP_BY_EVENT_ID/);
    expect(() => loadConfig({ AGG_TX_MAX_ATTEMPTS: "-1" }, NO_FILE)).toThrow(/AGG_TX_MAX_ATTEMPTS/);
    // the batch transaction holds one connection while the job lookups need another
    expect(() => loadConfig({ AGG_DB_POOL_SIZE: "1" }, NO_FILE)).toThrow(/AGG_DB_POOL_SIZE/);
    expect(loadConfig({ AGG_KEY_GROUP_RECORDS: "0" }, NO_FILE).aggregator.keyGroupRecords).toBe(0);
    expect(() => loadConfig({ AGG_KEY_GROUP_RECORDS: "-5" }, NO_FILE)).toThrow(/AGG_KEY_GROUP_RECORDS/);
  });

  it("reads the event-time bounds, one clear line per bad value", () => {
    const a = loadConfig(
      { AGG_EARLIEST_EVENT_TIME: "2020-06-01T00:00:00+02:00", AGG_MAX_EVENT_TIME_AHEAD_MS: "0" },
      NO_FILE,
    ).aggregator;
    expect(a).toMatchObject({ earliestEventMs: Date.UTC(2020, 4, 31, 22), maxEventTimeAheadMs: 0 });
    expect(loadConfig({ AGG_EARLIEST_EVENT_TIME: "2010-01-01" }, NO_FILE).aggregator.earliestEventMs).toBe(
      Date.UTC(2010, 0, 1),
    );
    const lines = (env: Record<string, string>) => {
      try {
        loadConfig(env, NO_FILE);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message.split("\n").filter((l) => l.includes("AGG_"));
      }
      throw new Error("expected a ConfigError");
    };
    expect(lines({ AGG_EARLIEST_EVENT_TIME: "yesterday" })).toEqual([
      '  - AGG_EARLIEST_EVENT_TIME: must be an ISO-8601 date or instant with a zone, e.g. 2000-01-01T00:00:00Z (got "yesterday")',
    ]);
    expect(lines({ AGG_EARLIEST_EVENT_TIME: "2024-02-30T00:00:00Z" })).toEqual([
      '  - AGG_EARLIEST_EVENT_TIME: must be a real calendar date (got "2024-02-30T00:00:00Z")',
    ]);
    // local time without a zone would depend on the machine's zone: refused
    expect(lines({ AGG_EARLIEST_EVENT_TIME: "2024-01-01T00:00:00" })).toHaveLength(1);
    expect(
      lines({ AGG_EARLIEST_EVENT_TIME: "1969-12-31T00:00:00Z", AGG_MAX_EVENT_TIME_AHEAD_MS: "soon" }),
    ).toEqual([
      '  - AGG_EARLIEST_EVENT_TIME: must be 1970-01-01T00:00:00Z or later (got "1969-12-31T00:00:00Z")',
      '  - AGG_MAX_EVENT_TIME_AHEAD_MS: must be a whole number (got "soon")',
    ]);
  });
});
