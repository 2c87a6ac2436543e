import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { checkpointKey, encodeCheckpoint } from "../../lib/core/cdc/checkpoint.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";
import { changeMessage } from "../../lib/core/change-message.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { ProducerFencedError, TransientError } from "../../lib/errors.js";
import { FakeKafka } from "../support/fake-change-log.js";
import { compareTimeuuid, FakeLake, TimeuuidFactory, timeuuidAt } from "../support/fake-lake.js";

// The fakes the poller's unit tests stand on: check they behave like Cassandra and Kafka do.

const T = Date.UTC(2026, 10, 25, 10, 0, 0, 0);

describe("timeuuid helper", () => {
  it("makes version-1 UUIDs that timeuuidToMs and the Cassandra driver read back to the same ms", () => {
    for (const [ms, sub] of [
      [T, 0],
      [T + 123, 9_999],
      [0, 17],
    ] as const) {
      const u = timeuuidAt(ms, sub);
      expect(timeuuidToMs(u)).toBe(ms);
      const driver = cassandra.types.TimeUuid.fromDate(
        new Date(ms),
        sub,
        Buffer.alloc(6),
        Buffer.from([0x80, 0]),
      );
      expect(u).toBe(driver.toString());
      expect(cassandra.types.TimeUuid.fromString(u).getDate().getTime()).toBe(ms);
    }
  });

  it("hands out distinct, ascending ids for many rows sharing one millisecond", () => {
    const f = new TimeuuidFactory();
    const ids = Array.from({ length: 1_000 }, () => f.next(T));
    expect(new Set(ids).size).toBe(1_000);
    for (const id of ids) expect(timeuuidToMs(id)).toBe(T);
    for (let i = 1; i < ids.length; i++)
      expect(compareTimeuuid(ids[i - 1] as string, ids[i] as string)).toBeLessThan(0);
    expect(() => timeuuidAt(T, 10_000)).toThrow(/sub/);
  });

  it("orders like Cassandra's TimeUUIDType: time first, then clock-seq-and-node as signed bytes", () => {
    expect(compareTimeuuid(timeuuidAt(T, 5), timeuuidAt(T + 1, 0))).toBeLessThan(0);
    // Same timestamp: 0x80… (negative as a signed byte) sorts before 0xbf…
    const low = timeuuidAt(T, 0, 0x8000_0000_0000_0000n);
    const high = timeuuidAt(T, 0, 0xbfff_0000_0000_0001n);
    expect(compareTimeuuid(low, high)).toBeLessThan(0);
    // Byte 9 is compared signed: 0x7f (127) sorts after 0x80 (-128).
    expect(
      compareTimeuuid(timeuuidAt(T, 0, 0x807f_0000_0000_0000n), timeuuidAt(T, 0, 0x8080_0000_0000_0000n)),
    ).toBeGreaterThan(0);
  });
});

describe("FakeLake", () => {
  const bucketMs = 60_000;

  function lakeWithRows() {
    const lake = new FakeLake({ bucketMs });
    // Inserted out of order: the partition keeps clustering order.
    const b = lake.insert(0, T + 10);
    const a = lake.insert(0, T + 5);
    const c1 = lake.insert(0, T + 20);
    const c2 = lake.insert(0, T + 20);
    const other = lake.insert(1, T + 7);
    return { lake, a, b, c1, c2, other };
  }

  it("reads after a cursor strictly after it in timeuuid order, up to the whole untilMs millisecond", async () => {
    const { lake, a, b, c1, c2 } = lakeWithRows();
    const ids = (rows: { create_time: string }[]) => rows.map((r) => r.create_time);
    expect(ids(await lake.readAfter(T, 0, { afterMs: T }, T + 20, 10))).toEqual(ids([a, b, c1, c2]));
    expect(ids(await lake.readAfter(T, 0, { cursor: a.create_time }, T + 20, 10))).toEqual(ids([b, c1, c2]));
    // A cursor in the middle of a millisecond: the rest of that millisecond follows.
    expect(ids(await lake.readAfter(T, 0, { cursor: c1.create_time }, T + 20, 10))).toEqual(ids([c2]));
    // afterMs excludes the whole millisecond (maxTimeuuid), untilMs includes it.
    expect(ids(await lake.readAfter(T, 0, { afterMs: T + 5 }, T + 19, 10))).toEqual(ids([b]));
    expect(ids(await lake.readAfter(T, 0, { afterMs: T }, T + 20, 2))).toEqual(ids([a, b]));
    await expect(lake.readAfter(T, 0, { afterMs: T }, T + 20, 0)).rejects.toThrow(/LIMIT/);
    expect(await lake.readAfter(T + bucketMs, 0, { afterMs: T }, T + bucketMs + 1, 10)).toEqual([]);
  });

  it("lists ids in (afterMs, untilMs] and fetches rows by id in clustering order", async () => {
    const { lake, a, b, c1, c2 } = lakeWithRows();
    const refs = await lake.idsBetween(T, 0, T + 5, T + 20);
    expect(refs).toEqual(
      [b, c1, c2].map((r) => ({ createTime: r.create_time, createTimeMs: timeuuidToMs(r.create_time) })),
    );
    const rows = await lake.rowsByIds(T, 0, [
      c2.create_time,
      a.create_time,
      a.create_time,
      timeuuidAt(T + 99),
    ]);
    expect(rows).toEqual([a, c2]);
  });

  it("shows a row inserted later (behind a reader's cursor) from then on, and counts calls and rows returned", async () => {
    const { lake, b } = lakeWithRows();
    expect(await lake.readAfter(T, 0, { cursor: b.create_time }, T + 15, 10)).toEqual([]);
    const late = lake.insert(0, T + 12);
    expect(await lake.readAfter(T, 0, { cursor: b.create_time }, T + 15, 10)).toEqual([late]);
    expect(lake.calls.map((c) => [c.method, c.returned])).toEqual([
      ["readAfter", 0],
      ["readAfter", 1],
    ]);
    await lake.idsBetween(T, 0, T, T + 30);
    expect(lake.rowsReturned).toBe(1 + 5);
    expect(late.bucket).toBe(T);
    expect(late.shard).toBe(0);
    lake.failNextRead = () => new TransientError("lake down");
    await expect(lake.idsBetween(T, 0, T, T + 30)).rejects.toThrow(/lake down/);
    expect((await lake.idsBetween(T, 0, T, T + 30)).length).toBe(5);
  });
});

describe("FakeKafka / FakeChangeLog", () => {
  const lake = new FakeLake({ bucketMs: 60_000 });
  const row = lake.insert(3, T);
  const event = changeMessage(row, { keyspace: "ks", table: "tracking", nowMs: T, origin: "stream" });
  const checkpoint = {
    key: checkpointKey(3),
    value: encodeCheckpoint({
      v: 1,
      shard: 3,
      position: { kind: "time", ms: T },
      session: "s",
      seq: 1,
      writtenAtMs: T,
    }),
  };

  it("keeps what was committed and answers the restart reads from it", async () => {
    const kafka = new FakeKafka();
    const log = kafka.client();
    await log.connect();
    await log.publish([event], [checkpoint]);
    expect(kafka.publishedCounts().get(eventId(row))).toBe(1);
    expect((await log.readCheckpoints([3, 4])).get(3)?.position).toEqual({ kind: "time", ms: T });
    expect((await log.readCheckpoints([3, 4])).has(4)).toBe(false);
    expect(await log.readPublishedSince(new Set([3]), T)).toEqual([
      { eventId: eventId(row), shard: 3, createTimeMs: T },
    ]);
    expect(await log.readPublishedSince(new Set([3]), T + 1)).toEqual([]);
    expect(await log.readPublishedSince(new Set([2]), 0)).toEqual([]);
  });

  it("fails a publish before sending, before the commit (aborted) or after it (committed, reply lost)", async () => {
    const kafka = new FakeKafka();
    const log = kafka.client();
    log.failNextPublish("before-send");
    await expect(log.publish([event], [checkpoint])).rejects.toBeInstanceOf(TransientError);
    log.failNextPublish("before-commit");
    await expect(log.publish([event], [checkpoint])).rejects.toBeInstanceOf(TransientError);
    expect([kafka.events.length, kafka.aborted]).toEqual([0, 1]);
    log.failNextPublish("after-commit");
    await expect(log.publish([event], [checkpoint])).rejects.toBeInstanceOf(TransientError);
    expect(kafka.events.length).toBe(1);
    await log.publish([event], [checkpoint]);
    expect(kafka.duplicates()).toEqual([eventId(row)]);
  });

  it("fences the older instance when a newer one connects, even mid-transaction", async () => {
    const kafka = new FakeKafka();
    const older = kafka.client();
    const newer = kafka.client();
    await older.connect();
    await newer.connect();
    await expect(older.publish([event], [checkpoint])).rejects.toBeInstanceOf(ProducerFencedError);
    await newer.publish([event], [checkpoint]);
    // A third instance connects while `newer` has a transaction open: its commit is fenced, nothing lands.
    newer.duringTransaction = () => kafka.client().connect();
    await expect(newer.publish([event], [checkpoint])).rejects.toBeInstanceOf(ProducerFencedError);
    expect([kafka.events.length, kafka.committed, kafka.aborted]).toEqual([1, 1, 1]);
  });
});
