import { afterEach, describe, expect, it, vi } from "vitest";
import type { KafkaRecord } from "../../lib/core/kafka-record.js";
import { groupByKey } from "../../lib/core/key-groups.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import { BatchPreparation } from "../../lib/use-cases/batch-preparation.js";
import { SerialWork } from "../../lib/use-cases/serial-work.js";
import { mskEvent, mskRecord, recordsOf, trackingRow } from "../support/aggregator-fixtures.js";

const decoded = (records: ReturnType<typeof mskRecord>[]): KafkaRecord[] =>
  decodeKafkaEvent(mskEvent(records)).records;

describe("key groups", () => {
  const rows = Array.from({ length: 400 }, (_, i) => trackingRow({ job_id: 1 + (i % 37) }));
  const records = decoded(recordsOf("t", 0, 0, rows));

  it("puts every record in exactly one group, keeps the batch order, and one key in one group", () => {
    const groups = groupByKey(records, 4);
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.length).toBeLessThanOrEqual(4);
    expect(groups.flat().length).toBe(records.length);
    expect(new Set(groups.flat()).size).toBe(records.length);
    const groupOfKey = new Map<string | null, number>();
    groups.forEach((g, i) => {
      const offsets = g.map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      for (const r of g) {
        expect(groupOfKey.get(r.key) ?? i).toBe(i);
        groupOfKey.set(r.key, i);
      }
    });
  });

  it("keeps records without a key together, returns no empty group, and rejects a bad count", () => {
    const keyless = decoded([
      mskRecord({ topic: "t", partition: 0, offset: 0, value: trackingRow(), key: null }),
      mskRecord({ topic: "t", partition: 0, offset: 1, value: trackingRow(), key: null }),
    ]);
    expect(groupByKey(keyless, 4)).toEqual([keyless]);
    expect(groupByKey([], 3)).toEqual([]);
    expect(groupByKey(records, 1)).toEqual([records]);
    expect(() => groupByKey(records, 0)).toThrow(RangeError);
  });
});

describe("batch preparation", () => {
  const records = decoded([
    ...recordsOf(
      "t",
      0,
      0,
      Array.from({ length: 9 }, () => trackingRow()),
    ),
    mskRecord({ topic: "t", partition: 0, offset: 9, value: "{broken" }),
  ]);

  it("validates slice by slice, in order, letting I/O callbacks run between slices", async () => {
    const prep = new BatchPreparation(records, hourBucketer("UTC"), {
      maxRecordBytes: 1 << 20,
      sliceRecords: 3,
    });
    const seen: string[] = [];
    const sizes: number[] = [];
    // A callback queued while a slice is being used (as a database reply would be) must run before
    // the next slice is validated: the walk gives the event loop a turn between slices.
    const ranBeforeNextSlice: boolean[] = [];
    let pending: { ran: boolean } | undefined;
    for await (const slice of prep.slices()) {
      if (pending) ranBeforeNextSlice.push(pending.ran);
      sizes.push(slice.good.length + slice.bad.length);
      seen.push(
        ...slice.good.map((g) => String(g.record.offset)),
        ...slice.bad.map((b) => `bad${b.record.offset}`),
      );
      const callback = { ran: false };
      setImmediate(() => {
        callback.ran = true;
      });
      pending = callback;
    }
    expect(sizes).toEqual([3, 3, 3, 1]);
    expect(seen).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "bad9"]);
    expect(ranBeforeNextSlice).toEqual([true, true, true]);
  });

  it("validates each record once: a second walk (a retried transaction) gets the same slices", async () => {
    let calls = 0;
    const utc = hourBucketer("UTC");
    const counting = (ms: number) => {
      calls++;
      return utc(ms);
    };
    const prep = new BatchPreparation(records, counting, { maxRecordBytes: 1 << 20, sliceRecords: 4 });
    const first = [];
    for await (const s of prep.slices()) first.push(s);
    const spent = prep.validateMs;
    const second = [];
    for await (const s of prep.slices()) second.push(s);
    expect(second).toEqual(first);
    expect(calls).toBe(9);
    expect(prep.validateMs).toBe(spent);
  });

  it("resumes where an interrupted walk stopped", async () => {
    const prep = new BatchPreparation(records, hourBucketer("UTC"), {
      maxRecordBytes: 1 << 20,
      sliceRecords: 4,
    });
    for await (const _ of prep.slices()) break;
    const offsets: number[] = [];
    for await (const s of prep.slices())
      offsets.push(...s.good.map((g) => g.record.offset), ...s.bad.map((b) => b.record.offset));
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("rejects a slice size that is not a positive integer", () => {
    expect(
      () => new BatchPreparation(records, hourBucketer("UTC"), { maxRecordBytes: 1, sliceRecords: 0 }),
    ).toThrow(RangeError);
  });
});

describe("serial work", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs pieces one after the other, never two at once, in the order queued", async () => {
    vi.useFakeTimers();
    const work = new SerialWork();
    const log: string[] = [];
    let running = 0;
    for (const name of ["a", "b", "c"]) {
      work.enqueue(async () => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 3));
        log.push(`end ${name}`);
        running--;
      });
    }
    log.push("queued");
    const settled = work.settle();
    await vi.runAllTimersAsync();
    await settled;
    expect(log).toEqual(["queued", "start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("after a failure runs nothing more; settle throws the first failure, idle never rejects", async () => {
    const work = new SerialWork();
    const ran: string[] = [];
    work.enqueue(async () => {
      ran.push("a");
    });
    work.enqueue(async () => {
      throw new Error("deadlock");
    });
    work.enqueue(async () => {
      ran.push("c");
    });
    await expect(work.idle()).resolves.toBeUndefined();
    expect(work.failed).toBe(true);
    work.enqueue(async () => {
      ran.push("d");
    });
    await expect(work.settle()).rejects.toThrow("deadlock");
    expect(ran).toEqual(["a"]);
  });
});
