import { describe, expect, it } from "vitest";
import {
  dueTier,
  lookBackMs,
  parseSweepSchedule,
  streamingWindowMs,
  sweepReadRatio,
} from "../../lib/core/cdc/sweep-schedule.js";

describe("parseSweepSchedule", () => {
  it("reads age:every pairs in milliseconds", () => {
    expect(parseSweepSchedule("1000:2000,4000:20000")).toEqual([
      { ageMs: 1000, everyMs: 2000 },
      { ageMs: 4000, everyMs: 20000 },
    ]);
    expect(parseSweepSchedule(" 500 : 0 ")).toEqual([{ ageMs: 500, everyMs: 0 }]);
  });

  it('reads "none" and the empty string as no sweeps', () => {
    expect(parseSweepSchedule("none")).toEqual([]);
    expect(parseSweepSchedule("  ")).toEqual([]);
  });

  it("rejects malformed pairs, a zero age and ages that do not increase", () => {
    expect(() => parseSweepSchedule("1000")).toThrow(/not age:every/);
    expect(() => parseSweepSchedule("1000:-5")).toThrow(/not age:every/);
    expect(() => parseSweepSchedule("1s:2s")).toThrow(/not age:every/);
    expect(() => parseSweepSchedule("0:100")).toThrow(/age must be > 0/);
    expect(() => parseSweepSchedule("4000:0,1000:0")).toThrow(/increase/);
    expect(() => parseSweepSchedule("1000:0,1000:50")).toThrow(/increase/);
  });
});

describe("lookBackMs", () => {
  it("is the longest tier's age, 0 without sweeps", () => {
    expect(lookBackMs(parseSweepSchedule("1000:2000,4000:20000"))).toBe(4000);
    expect(lookBackMs([])).toBe(0);
  });

  it("plus the settle delay is the streaming window (how long a row stays the poller's)", () => {
    expect(streamingWindowMs(parseSweepSchedule("1000:2000,4000:20000"), 150)).toBe(4150);
    expect(streamingWindowMs([], 150)).toBe(150);
  });
});

describe("dueTier", () => {
  const tiers = parseSweepSchedule("1000:2000,4000:20000");
  const never = Number.NEGATIVE_INFINITY;

  it("picks the longest tier that never ran (it covers the shorter ones)", () => {
    expect(dueTier(tiers, [never, never], 0)).toBe(1);
  });

  it("picks the longest tier whose interval has passed, or -1", () => {
    expect(dueTier(tiers, [0, 0], 1_999)).toBe(-1);
    expect(dueTier(tiers, [0, 0], 2_000)).toBe(0);
    expect(dueTier(tiers, [18_000, 0], 19_999)).toBe(-1);
    expect(dueTier(tiers, [18_000, 0], 20_000)).toBe(1);
  });

  it("treats every 0 as due on each poll, and no tiers as never due", () => {
    expect(dueTier([{ ageMs: 500, everyMs: 0 }], [1_000], 1_000)).toBe(0);
    expect(dueTier([], [], 1_000)).toBe(-1);
  });
});

describe("sweepReadRatio", () => {
  it("sums age / every, an interval below the poll interval counting as the poll interval", () => {
    expect(sweepReadRatio(parseSweepSchedule("1000:2000,4000:20000"), 200)).toBeCloseTo(0.7);
    expect(sweepReadRatio(parseSweepSchedule("1000:0,4000:2000"), 100)).toBeCloseTo(12);
    expect(sweepReadRatio([], 200)).toBe(0);
    expect(sweepReadRatio([{ ageMs: 300, everyMs: 0 }], 0)).toBe(300);
  });
});
