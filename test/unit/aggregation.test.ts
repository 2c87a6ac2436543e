import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AggregationInput,
  aggregate,
  bidToMicros,
  contributionOf,
  microsToDecimal,
} from "../../lib/core/aggregation.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";

const utc = hourBucketer("UTC");

const inputArb: fc.Arbitrary<AggregationInput> = fc.record({
  job_id: fc.integer({ min: 1, max: 5 }),
  // a few days around DST changes, so rows share and split hours
  ts: fc.integer({ min: Date.UTC(2024, 2, 9), max: Date.UTC(2024, 2, 12) }),
  custom_track: fc.constantFrom(
    "click",
    "click",
    "click",
    "conversion",
    "qualified",
    "unqualified",
    "view",
    null,
  ),
  bid: fc.option(
    fc.float({ min: Math.fround(0.1), max: Math.fround(5), noNaN: true }).map((b) => Math.fround(b)),
    { nil: null },
  ),
  publisher_id: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
  campaign_id: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
  group_id: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
});

describe("aggregation", () => {
  it("is associative: aggregating a batch split at any point and merging equals aggregating it whole", () => {
    const ny = hourBucketer("America/New_York");
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 200 }), fc.nat(), (rows, cut) => {
        for (const bucketer of [utc, ny]) {
          const at = rows.length === 0 ? 0 : cut % (rows.length + 1);
          const whole = aggregate(rows.map((r) => contributionOf(r, bucketer)));
          const left = aggregate(rows.slice(0, at).map((r) => contributionOf(r, bucketer)));
          const right = aggregate(rows.slice(at).map((r) => contributionOf(r, bucketer)));
          expect(left.merge(right).rows()).toEqual(whole.rows());
        }
      }),
      { numRuns: 300 },
    );
  });

  it("merges three parts in any grouping to the same result", () => {
    fc.assert(
      fc.property(fc.array(inputArb, { maxLength: 120 }), fc.nat(), fc.nat(), (rows, i, j) => {
        const n = rows.length + 1;
        const [a, b] = [i % n, j % n].sort((x, y) => x - y) as [number, number];
        const part = (s: AggregationInput[]) => aggregate(s.map((r) => contributionOf(r, utc)));
        const [p, q, r] = [rows.slice(0, a), rows.slice(a, b), rows.slice(b)];
        const leftFirst = part(p).merge(part(q)).merge(part(r));
        const rightFirst = part(p).merge(part(q).merge(part(r)));
        expect(leftFirst.rows()).toEqual(rightFirst.rows());
      }),
      { numRuns: 200 },
    );
  });

  it("computes the measures of one hour", () => {
    const ts = Date.UTC(2025, 4, 1, 10, 30);
    const base = { job_id: 7, ts, publisher_id: 1, campaign_id: 2, group_id: 3 };
    const rows: AggregationInput[] = [
      { ...base, custom_track: "click", bid: Math.fround(0.1) },
      { ...base, custom_track: "click", bid: Math.fround(0.2) },
      { ...base, custom_track: "click", bid: null },
      { ...base, custom_track: "conversion", bid: 9 },
      { ...base, custom_track: "qualified", bid: null },
      { ...base, custom_track: "unqualified", bid: null },
      { ...base, custom_track: "impression", bid: 1 },
      { ...base, custom_track: null, bid: null },
    ];
    const [row, ...rest] = aggregate(rows.map((r) => contributionOf(r, utc))).rows();
    expect(rest).toEqual([]);
    expect(row).toEqual({
      jobId: 7,
      dates: "2025-05-01",
      hours: 10,
      publisherId: 1,
      campaignId: 2,
      groupId: 3,
      clicks: 3,
      spendMicros: 300_000n,
      bidCount: 2,
      conversion: 1,
      qualified: 1,
      disqualified: 1,
      otherTracks: 2,
    });
  });

  it("maps missing publisher, campaign and group to 0 and sorts rows by the unique key", () => {
    const ts = Date.UTC(2025, 4, 1, 10);
    const rows = aggregate(
      [
        { job_id: 2, ts, custom_track: "click" },
        { job_id: 1, ts: ts + 3_600_000, custom_track: "click", publisher_id: 5 },
        { job_id: 1, ts, custom_track: "click", group_id: null },
      ].map((r) => contributionOf(r, utc)),
    ).rows();
    expect(rows.map((r) => [r.jobId, r.hours, r.publisherId, r.campaignId, r.groupId])).toEqual([
      [1, 10, 0, 0, 0],
      [1, 11, 5, 0, 0],
      [2, 10, 0, 0, 0],
    ]);
  });
});

describe("money", () => {
  it("rounds float32 bids to exact micro-units", () => {
    expect(bidToMicros(0.10000000149011612)).toBe(100_000n);
    expect(bidToMicros(Math.fround(4.99))).toBe(4_990_000n);
    expect(bidToMicros(0)).toBe(0n);
  });

  it("sums without float drift", () => {
    const micros = Array.from({ length: 10_000 }, () => bidToMicros(Math.fround(0.1))).reduce(
      (a, b) => a + b,
      0n,
    );
    expect(microsToDecimal(micros)).toBe("1000.000000");
  });

  it("formats micro-units as DECIMAL text", () => {
    expect(microsToDecimal(0n)).toBe("0.000000");
    expect(microsToDecimal(1n)).toBe("0.000001");
    expect(microsToDecimal(1_234_567n)).toBe("1.234567");
    expect(microsToDecimal(-1_500_000n)).toBe("-1.500000");
    expect(microsToDecimal(123_456_789_012_345_678_901n)).toBe("123456789012345.678901");
  });
});
