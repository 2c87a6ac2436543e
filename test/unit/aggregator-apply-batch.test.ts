import { describe, expect, it } from "vitest";
import { microsToDecimal } from "../../lib/core/aggregation.js";
import { type KafkaRecord, topicPartitionKey } from "../../lib/core/kafka-record.js";
import { type HourBucketer, hourBucketer } from "../../lib/core/time-bucket.js";
import type { TrackingRow } from "../../lib/core/tracking-row.js";
import { TransactionConflictError, TransientError } from "../../lib/errors.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import { type ApplyBatchOptions, createApplyBatch } from "../../lib/use-cases/apply-batch.js";
import type { JobCompanyLookup } from "../../lib/use-cases/apply-batch-ports.js";
import { cachedJobCompanies } from "../../lib/use-cases/cached-job-companies.js";
import { mskEvent, mskRecord, recordsOf, trackingRow } from "../support/aggregator-fixtures.js";
import { FakeWarehouse } from "../support/fake-warehouse.js";

const noJobs: JobCompanyLookup = { companyIds: async () => new Map() };
const OPTIONS: ApplyBatchOptions = {
  dedupByEventId: true,
  dedupWindowHours: 24,
  maxRecordBytes: 1024 * 1024,
  retry: { maxAttempts: 4, baseMs: 1, capMs: 5 },
};

function setup(options: Partial<ApplyBatchOptions> = {}, jobs: JobCompanyLookup = noJobs) {
  const warehouse = new FakeWarehouse();
  const apply = createApplyBatch({
    warehouse,
    jobs,
    bucketer: hourBucketer("UTC"),
    options: { ...OPTIONS, ...options },
    sleep: async () => undefined,
  });
  const run = (records: ReturnType<typeof mskRecord>[]) => apply(decodeKafkaEvent(mskEvent(records)).records);
  return { warehouse, run };
}

/** A UTC bucketer that counts its calls (one per valid record validated). */
function countingBucketer(): { bucketer: HourBucketer; calls: () => number } {
  const utc = hourBucketer("UTC");
  let calls = 0;
  return {
    bucketer: (ms) => {
      calls++;
      return utc(ms);
    },
    calls: () => calls,
  };
}

const clicks = (n: number, over: Partial<TrackingRow> = {}) =>
  Array.from({ length: n }, () => trackingRow({ custom_track: "click", ...over }));

describe("apply batch (exactly-once logic, in-memory warehouse)", () => {
  it("applies a batch and skips it entirely when redelivered", async () => {
    const { warehouse, run } = setup();
    const batch = recordsOf("t", 0, 0, clicks(10));
    const first = await run(batch);
    expect(first).toMatchObject({ recordsIn: 10, applied: 10, skippedReplays: 0, rowsUpserted: 1 });
    const again = await run(batch);
    expect(again).toMatchObject({ applied: 0, skippedReplays: 10 });
    expect(warehouse.totalClicks()).toBe(10);
    expect(warehouse.state.ledger.get(topicPartitionKey({ topic: "t", partition: 0 }))).toBe(9);
  });

  it("applies only the new part of an overlapping batch", async () => {
    const { warehouse, run } = setup({ dedupByEventId: false });
    const rows = clicks(10);
    await run(recordsOf("t", 0, 100, rows.slice(0, 6)));
    const s = await run(recordsOf("t", 0, 100, rows));
    expect(s).toMatchObject({ applied: 4, skippedReplays: 6 });
    expect(warehouse.totalClicks()).toBe(10);
  });

  it("with the guard on, counts events re-sent at new offsets once; with it off, twice", async () => {
    const rows = clicks(5);
    for (const [dedupByEventId, expected] of [
      [true, 5],
      [false, 10],
    ] as const) {
      const { warehouse, run } = setup({ dedupByEventId });
      await run(recordsOf("t", 0, 0, rows));
      const s = await run(recordsOf("t", 0, 50, rows));
      expect(s.skippedDuplicates).toBe(dedupByEventId ? 5 : 0);
      expect(warehouse.totalClicks()).toBe(expected);
    }
  });

  it("de-duplicates an event repeated inside one batch", async () => {
    const { warehouse, run } = setup();
    const [row] = clicks(1);
    const s = await run(recordsOf("t", 0, 0, [row as TrackingRow, row as TrackingRow]));
    expect(s).toMatchObject({ applied: 1, skippedDuplicates: 1 });
    expect(warehouse.totalClicks()).toBe(1);
  });

  it("dead-letters bad records once and applies the good ones", async () => {
    const { warehouse, run } = setup();
    const batch = [
      ...recordsOf("t", 0, 0, clicks(3)),
      mskRecord({ topic: "t", partition: 0, offset: 3, value: "{not json" }),
      mskRecord({ topic: "t", partition: 0, offset: 4, value: new Uint8Array([0xff, 0xfe]) }),
    ];
    expect(await run(batch)).toMatchObject({ applied: 3, deadLettered: 2 });
    expect(await run(batch)).toMatchObject({ applied: 0, deadLettered: 0, skippedReplays: 5 });
    expect([...warehouse.state.deadLetters.values()].map((d) => d.reasonCode).sort()).toEqual([
      "invalid_json",
      "invalid_utf8",
    ]);
  });

  it("retries the whole transaction after a lock conflict, without double counting", async () => {
    const { warehouse, run } = setup();
    warehouse.failNextTransactions.push(
      () => new TransactionConflictError("deadlock", { sqlErrno: 1213 }),
      () => new TransactionConflictError("lock wait", { sqlErrno: 1205 }),
    );
    const s = await run(recordsOf("t", 0, 0, clicks(4)));
    expect(s.attempts).toBe(3);
    expect(warehouse.totalClicks()).toBe(4);
  });

  it("gives up after the configured attempts and throws a TransientError with nothing applied", async () => {
    const { warehouse, run } = setup({ retry: { maxAttempts: 2, baseMs: 1, capMs: 1 } });
    warehouse.failNextTransactions.push(
      () => new TransactionConflictError("deadlock", { sqlErrno: 1213 }),
      () => new TransactionConflictError("deadlock", { sqlErrno: 1213 }),
    );
    await expect(run(recordsOf("t", 0, 0, clicks(4)))).rejects.toBeInstanceOf(TransientError);
    expect(warehouse.transactions).toBe(2);
    expect(warehouse.totalClicks()).toBe(0);
  });

  it("does not retry a connection failure itself (the event source mapping redelivers)", async () => {
    const { warehouse, run } = setup();
    warehouse.failNextTransactions.push(() => new TransientError("connection lost"));
    await expect(run(recordsOf("t", 0, 0, clicks(2)))).rejects.toThrow("connection lost");
    expect(warehouse.transactions).toBe(1);
    expect(await run(recordsOf("t", 0, 0, clicks(2)))).toMatchObject({ applied: 2 });
  });

  it("enriches with company ids through the cache, one lookup for the misses only", async () => {
    const asked: number[][] = [];
    const source: JobCompanyLookup = {
      companyIds: async (ids) => {
        asked.push([...ids]);
        return new Map(ids.filter((i) => i !== 3).map((i) => [i, i * 100]));
      },
    };
    let now = 0;
    const jobs = cachedJobCompanies(source, {
      ttlMs: 1_000,
      negativeTtlMs: 10,
      maxEntries: 100,
      clock: () => now,
    });
    const { warehouse, run } = setup({}, jobs);
    const rows = [1, 2, 3].map((job_id) => trackingRow({ job_id }));
    await run(recordsOf("t", 0, 0, rows));
    await run(
      recordsOf(
        "t",
        0,
        3,
        [1, 2].map((job_id) => trackingRow({ job_id })),
      ),
    );
    now = 100; // negative entry for job 3 expired, positive ones still cached
    await run(
      recordsOf(
        "t",
        0,
        5,
        [1, 3].map((job_id) => trackingRow({ job_id })),
      ),
    );
    expect(asked).toEqual([[1, 2, 3], [3]]);
    const companies = [...warehouse.state.facts.entries()].map(([k, f]): [number, number | null] => [
      Number(k.split("|")[0]),
      f.company,
    ]);
    expect(new Map(companies)).toEqual(
      new Map([
        [1, 100],
        [2, 200],
        [3, null],
      ]),
    );
  });

  it("splits a large batch into key groups: each group is upserted while the next is still being validated", async () => {
    const warehouse = new FakeWarehouse();
    const counting = countingBucketer();
    const apply = createApplyBatch({
      warehouse,
      jobs: noJobs,
      bucketer: counting.bucketer,
      options: { ...OPTIONS, groupRecords: 100, sliceRecords: 10, claimIds: 30 },
    });
    const rows = Array.from({ length: 400 }, (_, i) =>
      trackingRow({ custom_track: "click", job_id: 1 + (i % 40) }),
    );
    const bucketedAtUpsert: number[] = [];
    warehouse.onUpsert = () => bucketedAtUpsert.push(counting.calls());
    const s = await apply(decodeKafkaEvent(mskEvent(recordsOf("t", 0, 0, rows))).records);
    expect(s).toMatchObject({ applied: 400, skippedDuplicates: 0 });
    expect(bucketedAtUpsert.length).toBeGreaterThan(1); // one upsert per group
    expect(bucketedAtUpsert[0]).toBeLessThan(400); // the first group was written before the last was validated
    expect(warehouse.totalClicks()).toBe(400);
    expect(warehouse.calls.at(-1)).toBe("ledger");
    // the same batch as one group gives the same facts
    const whole = setup({ groupRecords: 0 });
    await whole.run(recordsOf("t", 0, 0, rows));
    expect(whole.warehouse.state.facts).toEqual(warehouse.state.facts);
  });

  it("with key groups, an event re-sent in the same batch or a later one still counts once", async () => {
    const { warehouse, run } = setup({ groupRecords: 20, sliceRecords: 7, claimIds: 9 });
    const rows = Array.from({ length: 120 }, (_, i) =>
      trackingRow({ custom_track: "click", job_id: 1 + (i % 12) }),
    );
    const s1 = await run(recordsOf("t", 0, 0, [...rows, ...rows.slice(0, 30)]));
    expect(s1).toMatchObject({ applied: 120, skippedDuplicates: 30 });
    const s2 = await run(recordsOf("t", 0, 500, rows.slice(60)));
    expect(s2).toMatchObject({ applied: 0, skippedDuplicates: 60 });
    expect(warehouse.totalClicks()).toBe(120);
  });

  it("a conflict raised by a claim mid-batch sends nothing more, rolls back and retries without validating again", async () => {
    const warehouse = new FakeWarehouse();
    const counting = countingBucketer();
    const apply = createApplyBatch({
      warehouse,
      jobs: noJobs,
      bucketer: counting.bucketer,
      options: { ...OPTIONS, groupRecords: 50, sliceRecords: 10, claimIds: 20 },
      sleep: async () => undefined,
    });
    warehouse.failNextClaim = () => new TransactionConflictError("deadlock", { sqlErrno: 1213 });
    const rows = Array.from({ length: 200 }, (_, i) =>
      trackingRow({ custom_track: "click", job_id: 1 + (i % 20) }),
    );
    const s = await apply(decodeKafkaEvent(mskEvent(recordsOf("t", 0, 0, rows))).records);
    expect(s).toMatchObject({ attempts: 2, applied: 200 });
    expect(warehouse.transactions).toBe(2);
    // the failed claim was the last call of the first attempt; the retry applied everything
    expect(warehouse.calls.slice(0, 3)).toEqual(["begin", "claim 20", "begin"]);
    expect(warehouse.calls.filter((c) => c.startsWith("upsert")).length).toBe(4);
    expect(counting.calls()).toBe(200);
    expect(warehouse.totalClicks()).toBe(200);
  });

  it("reports freshness from the oldest applied event time", async () => {
    const warehouse = new FakeWarehouse();
    const now = Date.UTC(2025, 0, 1, 12, 0, 10);
    const apply = createApplyBatch({
      warehouse,
      jobs: noJobs,
      bucketer: hourBucketer("UTC"),
      options: OPTIONS,
      clock: () => now,
    });
    const rows = [trackingRow({ ts: now - 5_000 }), trackingRow({ ts: now - 2_000 })];
    const records: KafkaRecord[] = decodeKafkaEvent(mskEvent(recordsOf("t", 0, 0, rows))).records;
    const s = await apply(records);
    expect(s.freshnessMs).toBe(5_000);
    expect(microsToDecimal([...warehouse.state.facts.values()][0]?.spend ?? 0n)).toBe("0.200000");
  });
});
