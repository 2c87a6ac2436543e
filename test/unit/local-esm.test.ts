import { describe, expect, it } from "vitest";
import { buildMskEvent, splitForInvocation } from "../../infra/local/msk-event.js";
import { CountWatermarkFreshness } from "../../infra/tooling/metrics/count-watermark-freshness.js";

const rec = (offset: number, value: string, key: string | null = "42") => ({
  offset: String(offset),
  timestamp: "1764064800000",
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
  headers: { "jtp-event-id": Buffer.from("1/2/x") },
});

describe("local event source mapping: MSK event shape", () => {
  it("groups records under topic-partition with base64 key/value, numeric offsets and byte-array headers", () => {
    const e = buildMskEvent(["127.0.0.1:9092"], "t", 3, [rec(7, "hello"), rec(8, "bye", null)]);
    expect(e.eventSource).toBe("aws:kafka");
    expect(e.bootstrapServers).toBe("127.0.0.1:9092");
    const records = e.records["t-3"];
    expect(records).toHaveLength(2);
    expect(records?.[0]).toMatchObject({
      topic: "t",
      partition: 3,
      offset: 7,
      timestamp: 1764064800000,
      timestampType: "CREATE_TIME",
      key: Buffer.from("42").toString("base64"),
      value: Buffer.from("hello").toString("base64"),
      headers: [{ "jtp-event-id": [...Buffer.from("1/2/x")] }],
    });
    expect(records?.[1] && "key" in records[1]).toBe(false);
  });

  it("splits by batch size and by the 6 MB payload limit, keeping order", () => {
    const many = Array.from({ length: 250 }, (_, i) => rec(i, "v"));
    const byCount = splitForInvocation(many, 100);
    expect(byCount.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(byCount.flat().map((r) => r.offset)).toEqual(many.map((r) => r.offset));
    const big = Array.from({ length: 5 }, (_, i) => rec(i, "x".repeat(2_000_000)));
    const bySize = splitForInvocation(big, 10_000);
    expect(bySize.length).toBeGreaterThan(1);
    expect(bySize.every((c) => c.length <= 2)).toBe(true);
  });
});

describe("count-watermark freshness", () => {
  it("dates a written batch visible when the applied count passes it, weighted by batch size", () => {
    const f = new CountWatermarkFreshness();
    f.recordWritten(10, 1_000);
    f.recordWritten(90, 2_000);
    expect(f.percentile(50)).toBeUndefined();
    f.recordApplied(10, 1_300); // first batch visible after 300 ms
    f.recordApplied(99, 2_400); // second not yet complete
    expect(f.sampleCount).toBe(1);
    f.recordApplied(100, 2_500); // second visible after 500 ms
    expect(f.percentile(5)).toBe(300);
    expect(f.percentile(50)).toBe(500);
    expect(f.percentile(99)).toBe(500);
  });
});
