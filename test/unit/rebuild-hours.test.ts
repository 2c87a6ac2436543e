import { describe, expect, it } from "vitest";
import { compareGrain, grainKeyString } from "../../lib/core/aggregation.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import { TransactionConflictError, WarehouseError } from "../../lib/errors.js";
import type {
  JobCompanyLookup,
  Warehouse,
  WarehouseRow,
  WarehouseTx,
} from "../../lib/use-cases/apply-batch-ports.js";
import {
  EARLY_INGEST_MS,
  type RebuildHoursOptions,
  RebuildRangeError,
  rebuildHours,
} from "../../lib/use-cases/reconcile/rebuild-hours.js";
import {
  type LakePartitions,
  type PartitionKey,
  partitionKeyString,
  type WarehouseHour,
  type WarehouseRebuild,
} from "../../lib/use-cases/reconcile/reconcile-ports.js";
import { mskRecord, trackingRow } from "../support/aggregator-fixtures.js";
import { applyBatchOn, applyMskRecords } from "../support/apply-batch-on-fakes.js";

const H = 3_600_000;
const MIN = 60_000;
const BUCKET_MS = 60_000;
const T0 = Date.UTC(2026, 2, 1, 10); // 2026-03-01 10:00 UTC

/** Lake partitions in memory; records which partitions were read and the page sizes asked for. */
class FakeLake implements LakePartitions {
  readonly byPartition = new Map<string, TrackingRow[]>();
  readonly read: string[] = [];
  readonly pageSizes: number[] = [];
  /** Repeat the last row of each page as the first of the next (a buggy pager). */
  repeatAcrossPages = false;

  add(rows: readonly TrackingRow[]): this {
    for (const r of rows) {
      const k = partitionKeyString(r);
      this.byPartition.set(k, [...(this.byPartition.get(k) ?? []), r]);
    }
    return this;
  }
  async countRows(p: PartitionKey): Promise<number> {
    return this.byPartition.get(partitionKeyString(p))?.length ?? 0;
  }
  async createTimes(p: PartitionKey): Promise<string[]> {
    return (this.byPartition.get(partitionKeyString(p)) ?? []).map((r) => r.create_time).sort();
  }
  async rowsByIds(p: PartitionKey, createTimes: readonly string[]): Promise<TrackingRow[]> {
    const want = new Set(createTimes);
    return (this.byPartition.get(partitionKeyString(p)) ?? []).filter((r) => want.has(r.create_time));
  }
  async *pages(p: PartitionKey, pageSize: number): AsyncIterable<readonly TrackingRow[]> {
    this.read.push(partitionKeyString(p));
    this.pageSizes.push(pageSize);
    const rows = this.byPartition.get(partitionKeyString(p)) ?? [];
    for (let i = 0; i < rows.length; i += pageSize) {
      const page = rows.slice(i, i + pageSize);
      yield this.repeatAcrossPages && i > 0 ? [rows[i - 1] as TrackingRow, ...page] : page;
    }
  }
}

interface ReplaceCall {
  readonly hours: readonly WarehouseHour[];
  readonly rows: readonly WarehouseRow[];
  readonly eventIds: readonly string[];
}

class FakeRebuild implements WarehouseRebuild {
  readonly calls: ReplaceCall[] = [];
  failures: Array<() => Error> = [];
  async replaceHours(
    hours: readonly WarehouseHour[],
    rows: readonly WarehouseRow[],
    eventIds: readonly string[],
  ) {
    this.calls.push({ hours, rows, eventIds });
    const fail = this.failures.shift();
    if (fail) throw fail();
    return { deletedRows: 7, insertedRows: rows.length };
  }
}

const jobs: JobCompanyLookup = {
  companyIds: async (ids) => new Map(ids.filter((id) => id !== 999).map((id) => [id, id * 10])),
};

const OPTIONS: RebuildHoursOptions = { maxLatenessMs: 10 * MIN, bucketMs: BUCKET_MS, pageSize: 3 };

/** A lake row ingested at `ingestMs` (its bucket) with event time `ts`. */
function lakeRow(ingestMs: number, ts: number | null, over: Partial<TrackingRow> = {}): TrackingRow {
  return trackingRow({ bucket: ingestMs - (ingestMs % BUCKET_MS), shard: 0, ts, ...over });
}

function setup(options: Partial<RebuildHoursOptions> = {}, zone = "UTC") {
  const lake = new FakeLake();
  const rebuild = new FakeRebuild();
  const run = (fromMs: number, toMs: number, shards: readonly number[] = [0, 1]) =>
    rebuildHours(
      { fromMs, toMs, shards },
      {
        lake,
        rebuild,
        jobs,
        bucketer: hourBucketer(zone),
        options: { ...OPTIONS, ...options },
        sleep: async () => undefined,
      },
    );
  return { lake, rebuild, run };
}

/** Everything the aggregator upserts, merged by grain (its in-memory warehouse keeps every measure). */
async function aggregatorRows(rows: readonly TrackingRow[]): Promise<WarehouseRow[]> {
  const facts = new Map<string, WarehouseRow>();
  const tx: WarehouseTx = {
    lockLedger: async () => new Map(),
    claimEventIds: async () => new Set(),
    upsertAggregates: async (upserted) => {
      for (const r of upserted) {
        const k = grainKeyString(r);
        const f = facts.get(k);
        facts.set(
          k,
          f === undefined
            ? { ...r }
            : {
                ...f,
                clicks: f.clicks + r.clicks,
                spendMicros: f.spendMicros + r.spendMicros,
                bidCount: f.bidCount + r.bidCount,
                conversion: f.conversion + r.conversion,
                qualified: f.qualified + r.qualified,
                disqualified: f.disqualified + r.disqualified,
                otherTracks: f.otherTracks + r.otherTracks,
              },
        );
      }
    },
    insertDeadLetters: async () => undefined,
    advanceLedger: async () => undefined,
  };
  const warehouse: Warehouse = {
    ensureLedger: async () => undefined,
    transaction: (work) => work(tx),
    pruneProcessedEvents: async () => 0,
  };
  const apply = applyBatchOn(warehouse, {
    jobs,
    options: { retry: { maxAttempts: 1, baseMs: 1, capMs: 1 }, groupRecords: 50 },
  });
  const records = rows.map((row, offset) => mskRecord({ topic: "t", partition: 0, offset, value: row }));
  await applyMskRecords(apply, records);
  return [...facts.values()].sort(compareGrain);
}

describe("rebuild warehouse hours from the lake (replay --rebuild)", () => {
  it("aggregates the range's rows exactly like the aggregator (same grains, measures and company ids)", async () => {
    const tracks = ["click", "click", "click", "conversion", "qualified", "unqualified", "view", null];
    const rows: TrackingRow[] = [];
    for (let i = 0; i < 400; i++) {
      const ts = T0 + ((i * 7_919) % (2 * H));
      rows.push(
        lakeRow(ts + (i % 5) * MIN, ts, {
          shard: i % 2,
          job_id: i % 3 === 0 ? 999 : 1 + (i % 7),
          custom_track: tracks[i % tracks.length] ?? null,
          bid: i % 11 === 0 ? null : Math.fround(0.05 + (i % 13) * 0.37),
          publisher_id: i % 4 === 0 ? null : i % 3,
          campaign_id: i % 6 === 0 ? null : 40 + (i % 2),
          group_id: i % 9 === 0 ? null : 7,
        }),
      );
    }
    const { lake, rebuild, run } = setup();
    lake.add(rows);
    const result = await run(T0, T0 + 2 * H);

    const call = rebuild.calls[0];
    expect(rebuild.calls).toHaveLength(1);
    const expected = await aggregatorRows(rows);
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.some((r) => r.otherTracks > 0 && r.spendMicros > 0n)).toBe(true);
    expect(call?.rows).toEqual(expected);
    expect(call?.rows.find((r) => r.jobId === 999)?.companyId).toBeNull();
    expect(call?.rows.find((r) => r.jobId === 2)?.companyId).toBe(20);
    expect(call?.eventIds).toEqual(rows.map(eventId).sort());
    expect(call?.hours).toEqual([
      { dates: "2026-03-01", hours: 10 },
      { dates: "2026-03-01", hours: 11 },
    ]);
    expect(result).toMatchObject({
      rowsRead: 400,
      rowsInRange: 400,
      rowsOutOfRange: 0,
      skippedInvalid: 0,
      hours: 2,
      deletedRows: 7,
      insertedRows: call?.rows.length,
      attempts: 1,
    });
  });

  it("reads ingest buckets [from − 5 min, to + max lateness) of every shard, page by page", async () => {
    const { lake, run } = setup({ maxLatenessMs: 10 * MIN, pageSize: 3 });
    await run(T0, T0 + H, [1, 0, 1]);
    const firstBucket = T0 - EARLY_INGEST_MS;
    const expected: string[] = [];
    for (let b = firstBucket; b < T0 + H + 10 * MIN; b += BUCKET_MS) expected.push(`${b}/0`, `${b}/1`);
    expect([...lake.read].sort()).toEqual(expected.sort());
    expect(new Set(lake.pageSizes)).toEqual(new Set([3]));
  });

  it("keeps rows whose event time is in the range, including late ones inside the lateness, and counts the rest", async () => {
    const inRange = [
      lakeRow(T0, T0), // on time, first ms of the range
      lakeRow(T0 + H + 9 * MIN, T0 + H - 1), // last ms of the range, visible 9 min later
      lakeRow(T0 - 4 * MIN, T0 + 30 * MIN, { shard: 1 }), // stamped before its event time (clock skew)
    ];
    const outOfRange = [
      lakeRow(T0 + 2 * MIN, T0 - 1), // an earlier hour's late row
      lakeRow(T0 + H, T0 + H), // the next hour
    ];
    const invalid = [
      lakeRow(T0 + MIN, T0 + MIN, { job_id: null }), // the aggregator dead-letters it
      lakeRow(T0 + MIN, null), // no event time
      lakeRow(T0 + MIN, T0 + MIN, { bid: -1 }), // out-of-range bid
      lakeRow(T0 + MIN, T0 + MIN, { custom_track: "x".repeat(300) }), // too long
    ];
    const tooLate = lakeRow(T0 + H + 10 * MIN, T0 + 5 * MIN); // visible after the lateness: not read
    const { lake, rebuild, run } = setup({ maxLatenessMs: 10 * MIN });
    lake.add([...inRange, ...outOfRange, ...invalid, tooLate]);
    const result = await run(T0, T0 + H);
    expect(result).toMatchObject({
      rowsRead: 9,
      rowsInRange: 3,
      rowsOutOfRange: 2,
      skippedInvalid: 4,
      duplicateRows: 0,
      hours: 1,
    });
    expect(rebuild.calls[0]?.eventIds).toEqual(inRange.map(eventId).sort());
    expect(rebuild.calls[0]?.rows.reduce((n, r) => n + r.clicks, 0)).toBe(3);
  });

  it("replaces every hour of the range, also hours the lake has no row for", async () => {
    const { rebuild, run } = setup();
    const result = await run(T0, T0 + 3 * H);
    expect(result).toMatchObject({ rowsRead: 0, hours: 3, insertedRows: 0 });
    expect(rebuild.calls[0]?.hours.map((h) => h.hours)).toEqual([10, 11, 12]);
    expect(rebuild.calls[0]?.rows).toEqual([]);
  });

  it("counts a row the lake repeats only once", async () => {
    const { lake, rebuild, run } = setup({ pageSize: 2 });
    lake.repeatAcrossPages = true;
    lake.add([0, 1, 2, 3, 4].map((i) => lakeRow(T0 + i, T0 + i)));
    const result = await run(T0, T0 + H, [0]);
    expect(result).toMatchObject({ rowsRead: 7, rowsInRange: 5, duplicateRows: 2 });
    expect(rebuild.calls[0]?.rows[0]?.clicks).toBe(5);
  });

  it("uses hours of the reporting time zone: whole hours at :30 UTC in Asia/Kolkata", async () => {
    const { lake, rebuild, run } = setup({}, "Asia/Kolkata");
    const from = Date.UTC(2026, 2, 1, 4, 30); // 10:00 IST
    lake.add([lakeRow(from + 5 * MIN, from + 5 * MIN), lakeRow(from + 70 * MIN, from + 70 * MIN)]);
    await run(from, from + 2 * H);
    expect(rebuild.calls[0]?.hours).toEqual([
      { dates: "2026-03-01", hours: 10 },
      { dates: "2026-03-01", hours: 11 },
    ]);
    expect(rebuild.calls[0]?.rows.map((r) => [r.hours, r.clicks])).toEqual([
      [10, 1],
      [11, 1],
    ]);
    await expect(run(T0, T0 + H)).rejects.toThrow(/not the start of an hour in the reporting time zone/);
  });

  it("refuses to split the repeated hour of a DST fall-back, and replaces it whole", async () => {
    // Europe/Berlin, 2026-10-25: 03:00 CEST → 02:00 CET at 01:00 UTC; local hour 2 lasts two UTC hours.
    const first02 = Date.UTC(2026, 9, 25, 0); // 02:00 CEST
    const { lake, rebuild, run } = setup({}, "Europe/Berlin");
    await expect(run(first02, first02 + H)).rejects.toBeInstanceOf(RebuildRangeError);
    await expect(run(first02 + H, first02 + 2 * H)).rejects.toBeInstanceOf(RebuildRangeError);
    lake.add([lakeRow(first02 + MIN, first02 + MIN), lakeRow(first02 + H + MIN, first02 + H + MIN)]);
    const result = await run(first02, first02 + 2 * H);
    expect(result.hours).toBe(1);
    expect(rebuild.calls[0]?.hours).toEqual([{ dates: "2026-10-25", hours: 2 }]);
    expect(rebuild.calls[0]?.rows.map((r) => [r.dates, r.hours, r.clicks])).toEqual([["2026-10-25", 2, 2]]);
  });

  it("rejects a range that is not whole hours, empty, too long, or without shards, before reading anything", async () => {
    const { lake, rebuild, run } = setup({ maxRangeMs: 24 * H });
    const bad: Array<[number, number, number[], RegExp]> = [
      [T0 + MIN, T0 + H, [0], /--from .* is not the start of an hour/],
      [T0, T0 + H + 1, [0], /--to .* is not the start of an hour/],
      [T0, T0, [0], /is empty/],
      [T0 + H, T0, [0], /is empty/],
      [T0, T0 + 25 * H, [0], /longer than 24 h/],
      [T0, T0 + H, [], /needs shards/],
      [T0, T0 + H, [-1], /needs shards/],
      [Number.NaN, T0, [0], /epoch milliseconds/],
    ];
    for (const [from, to, shards, message] of bad) {
      const err = await run(from, to, shards).catch((e: unknown) => e);
      expect(err, `${from} … ${to}`).toBeInstanceOf(RebuildRangeError);
      expect((err as Error).message).toMatch(message);
      expect((err as RebuildRangeError).code).toBe("REBUILD_RANGE_INVALID");
    }
    expect(lake.read).toEqual([]);
    expect(rebuild.calls).toEqual([]);
  });

  it("retries the transaction after a lock conflict, and gives up after the last attempt", async () => {
    const { lake, rebuild, run } = setup({ retry: { maxAttempts: 3, baseMs: 1, capMs: 1 } });
    lake.add([lakeRow(T0, T0)]);
    rebuild.failures = [() => new TransactionConflictError("deadlock", { sqlErrno: 1213 })];
    await expect(run(T0, T0 + H)).resolves.toMatchObject({ attempts: 2, rowsInRange: 1 });
    expect(rebuild.calls[1]).toEqual(rebuild.calls[0]);
    expect(lake.read.length).toBe(new Set(lake.read).size); // the lake was read once, not per attempt

    rebuild.failures = Array.from({ length: 3 }, () => () => new TransactionConflictError("deadlock"));
    await expect(run(T0, T0 + H)).rejects.toBeInstanceOf(TransactionConflictError);
    rebuild.failures = [() => new WarehouseError("denied")];
    const before = rebuild.calls.length;
    await expect(run(T0, T0 + H)).rejects.toBeInstanceOf(WarehouseError);
    expect(rebuild.calls.length).toBe(before + 1); // not retried
  });
});
