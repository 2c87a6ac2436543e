import { describe, expect, it } from "vitest";
import { dueChecks, parseCheckDelays, parseDuration } from "../../lib/core/reconcile/check-schedule.js";

const M = 60_000;
const H = 60 * M;

describe("reconcile check schedule", () => {
  it("parses durations with units and plain milliseconds, and rejects anything else", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(90 * M);
    expect(parseDuration("1500")).toBe(1500);
    for (const bad of ["", "1x", "m", "1h 30m", "-5s", "1.5h"]) expect(() => parseDuration(bad)).toThrow();
  });

  it("parses increasing delays and rejects others", () => {
    expect(parseCheckDelays("1m,10m,1h,6h,23h")).toEqual([M, 10 * M, H, 6 * H, 23 * H]);
    expect(() => parseCheckDelays("10m,1m")).toThrow(/increase/);
    expect(() => parseCheckDelays("1m,1m")).toThrow(/increase/);
  });

  it("lists the buckets whose check fell due in (after, now], oldest due first", () => {
    const bucket = M;
    const now = 100 * H;
    // A minute after the last pass: one bucket per delay became due.
    const due = dueChecks([M, 10 * M, H], bucket, now - M, now, 23 * H);
    expect(due.map((d) => d.check).sort()).toEqual([0, 1, 2]); // one per delay
    for (const d of due) {
      expect(d.dueAtMs).toBeGreaterThan(now - M);
      expect(d.dueAtMs).toBeLessThanOrEqual(now);
      expect(d.bucket + bucket + ([M, 10 * M, H][d.check] ?? Number.NaN)).toBe(d.dueAtMs);
    }
    expect([...due].sort((a, b) => a.dueAtMs - b.dueAtMs)).toEqual(due);
  });

  it("checks a bucket due at several delays during a long pause once, with its latest check, and never beyond the horizon", () => {
    const now = 100 * H;
    const due = dueChecks([M, 10 * M, H, 6 * H], M, now - 2 * H, now, 3 * H);
    const buckets = due.map((d) => d.bucket);
    expect(new Set(buckets).size).toBe(buckets.length);
    for (const d of due) expect(d.bucket).toBeGreaterThanOrEqual(now - 3 * H);
    // The 6 h checks of the last 2 h fall on buckets older than the 3 h horizon: none listed.
    expect(due.some((d) => d.check === 3)).toBe(false);
    // A bucket closed 30 min ago was due at +1 m and +10 m in the pause: listed once, as check 1.
    const b = now - 30 * M - M;
    expect(due.find((d) => d.bucket === b)?.check).toBe(1);
  });

  it("successive passes cover every check exactly once", () => {
    const delays = [M, 10 * M];
    const seen = new Map<string, number>();
    let after = 10 * H;
    for (let now = 10 * H + 7_000; now < 12 * H; now += 37_000) {
      for (const d of dueChecks(delays, M, after, now, 23 * H)) {
        const key = `${d.bucket}/${d.check}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      after = now;
    }
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // Every bucket closing between 10 h 0 m and 11 h 49 m got both checks.
    for (let b = 10 * H; b + M + 10 * M <= 12 * H - 37_000; b += M) {
      expect(seen.has(`${b}/0`) || b + 2 * M <= 10 * H).toBe(true);
      expect(seen.has(`${b}/1`)).toBe(true);
    }
  });
});
