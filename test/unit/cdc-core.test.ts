import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { bucketStart, bucketsBetween, closedBucketsBetween, shardFor } from "../../lib/core/cdc/buckets.js";
import { checkpointKey, decodeCheckpoint, encodeCheckpoint } from "../../lib/core/cdc/checkpoint.js";
import { PublishedWindow } from "../../lib/core/cdc/published-window.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";
import { buildEnvelope, messageKey } from "../../lib/core/envelope.js";
import { eventId, TRACKING_COLUMNS, type TrackingRow } from "../../lib/core/tracking-row.js";

describe("ingest-time buckets", () => {
  it("floors to the bucket and lists every bucket of a range", () => {
    expect(bucketStart(125_000, 60_000)).toBe(120_000);
    expect(bucketsBetween(59_999, 180_000, 60_000)).toEqual([0, 60_000, 120_000, 180_000]);
    expect(bucketsBetween(130_000, 130_001, 60_000)).toEqual([120_000]);
    expect(bucketsBetween(200_000, 100_000, 60_000)).toEqual([]);
  });

  it("keeps the buckets of [from, to) closed by a time, and counts the others", () => {
    expect(closedBucketsBetween(60_000, 240_000, 60_000, 180_000)).toEqual({
      buckets: [60_000, 120_000],
      skipped: 1,
    });
    expect(closedBucketsBetween(60_000, 240_000, 60_000, 179_999)).toEqual({ buckets: [60_000], skipped: 2 });
    expect(closedBucketsBetween(60_000, 60_000, 60_000, 1e9)).toEqual({ buckets: [], skipped: 0 });
  });

  it("spreads shards over 0..n-1", () => {
    expect([0, 1, 2, 3, 4, -1].map((s) => shardFor(s, 4))).toEqual([0, 1, 2, 3, 0, 3]);
  });
});

describe("timeuuid", () => {
  it("reads the millisecond time of a version-1 UUID as Cassandra writes it", () => {
    const date = new Date("2026-11-25T10:00:00.123Z");
    const id = cassandra.types.TimeUuid.fromDate(date, 1234);
    expect(timeuuidToMs(id.toString())).toBe(date.getTime());
  });

  it("rejects a random (version-4) UUID", () => {
    expect(() => timeuuidToMs("2f1b4a4e-8f5c-4c1e-9d5e-2b8f7c6d5e4f")).toThrow(/version-1/);
  });
});

describe("published window", () => {
  it("remembers ids inside the window and forgets older ones", () => {
    const w = new PublishedWindow();
    w.add("a", 1_000);
    w.add("b", 5_000);
    expect(w.has("a") && w.has("b")).toBe(true);
    expect(w.prune(2_000)).toBe(1);
    expect(w.has("a")).toBe(false);
    expect(w.has("b")).toBe(true);
    expect(w.size).toBe(1);
  });
});

describe("checkpoint codec", () => {
  it("round-trips both position kinds and rejects garbage", () => {
    const time = {
      v: 1 as const,
      shard: 2,
      position: { kind: "time" as const, ms: 5 },
      session: "s",
      seq: 3,
      writtenAtMs: 9,
    };
    expect(decodeCheckpoint(encodeCheckpoint(time))).toEqual(time);
    const row = { ...time, position: { kind: "row" as const, ms: 7, uuid: "u" } };
    expect(decodeCheckpoint(Buffer.from(encodeCheckpoint(row)))).toEqual(row);
    expect(decodeCheckpoint(null)).toBeUndefined();
    expect(decodeCheckpoint("{not json")).toBeUndefined();
    expect(decodeCheckpoint('{"v":2}')).toBeUndefined();
    expect(checkpointKey(4)).toBe("shard-4");
  });
});

describe("Debezium-compatible envelope", () => {
  const row = Object.fromEntries(TRACKING_COLUMNS.map((c) => [c, null])) as unknown as TrackingRow;
  const full: TrackingRow = {
    ...row,
    bucket: 60_000,
    shard: 1,
    create_time: "id-1",
    job_id: 42,
    custom_track: "click",
    bid: 1.5,
    ts: 70_000,
  };

  it("carries the row in payload.after with source metadata, op and ts_ms", () => {
    const e = buildEnvelope({
      row: full,
      keyspace: "ks",
      table: "tracking",
      writtenAtMs: 65_000,
      nowMs: 80_000,
    });
    expect(e.payload.after).toBe(full);
    expect(e.payload.before).toBeNull();
    expect(e.payload.op).toBe("c");
    expect(e.payload.ts_ms).toBe(80_000);
    expect(e.payload.source).toMatchObject({
      keyspace: "ks",
      table: "tracking",
      ts_ms: 65_000,
      bucket: 60_000,
      shard: 1,
      event_id: "60000/1/id-1",
    });
  });

  it("keys messages by job_id, and has no key without one", () => {
    expect(messageKey(full)).toBe("42");
    expect(messageKey({ job_id: null })).toBeNull();
    expect(eventId(full)).toBe("60000/1/id-1");
  });
});
