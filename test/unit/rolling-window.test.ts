import { afterEach, describe, expect, it, vi } from "vitest";
import { AppliedFreshness } from "../../infra/tooling/metrics/applied-freshness.js";
import { LatencyHistogram } from "../../infra/tooling/metrics/latency-histogram.js";
import { RollingWindow } from "../../infra/tooling/metrics/rolling-window.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";

/** A version-1 UUID whose time is `ms` (epoch). */
function timeuuidAt(ms: number): string {
  const ticks = (BigInt(ms) + 12_219_292_800_000n) * 10_000n;
  const hex = ticks.toString(16).padStart(15, "0");
  return `${hex.slice(7, 15)}-${hex.slice(3, 7)}-1${hex.slice(0, 3)}-8000-000000000000`;
}

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

describe("latency histogram", () => {
  it("gives weighted percentiles (the smallest value holding p % of the weight)", () => {
    const h = new LatencyHistogram();
    h.add(100, 98);
    h.add(2_000, 1);
    h.add(9_000, 1);
    expect(h.count).toBe(100);
    expect(h.percentile(50)).toBe(100);
    expect(h.percentile(98)).toBe(100);
    expect(h.percentile(99)).toBe(2_000);
    expect(h.percentile(100)).toBe(9_000);
  });

  it("has no percentile while empty, and ignores zero weights and non-numbers", () => {
    const h = new LatencyHistogram();
    h.add(5, 0);
    h.add(Number.NaN);
    expect(h.percentile(50)).toBeUndefined();
    expect(h.count).toBe(0);
  });
});

describe("rolling window", () => {
  it("reports the last 10 s without the slow start that has left it, while the minute still holds it", () => {
    const w = new RollingWindow({ startedAtMs: T0 });
    // the first second: 100 events that took 10 s (a cold start)
    w.add(T0 + 500, 10_000, 100);
    // then 200 events/s (20 every 100 ms) at 400 ms for 30 s
    for (let k = 0; k < 300; k++) w.add(T0 + 1_000 + k * 100, 400, 20);
    const now = T0 + 31_000;
    const last10 = w.figures(10_000, now);
    // whole 500 ms slots: the window covers the last 9.5 s here, and the rate is over that span
    expect(last10.count).toBe(1_900);
    expect(last10.perSecond).toBeCloseTo(200, 5);
    expect(last10.p50Ms).toBe(400);
    expect(last10.p99Ms).toBe(400);
    const lastMin = w.figures(60_000, now);
    expect(lastMin.count).toBe(6_100);
    // a window longer than the run so far is divided by the time observed (31 s), not by 60 s
    expect(lastMin.perSecond).toBeCloseTo(6_100 / 31, 5);
    expect(lastMin.p99Ms).toBe(10_000);
  });

  it("forgets slots older than its horizon", () => {
    const w = new RollingWindow({ horizonMs: 10_000, startedAtMs: T0 });
    w.add(T0, 50, 10);
    expect(w.figures(10_000, T0 + 5_000).count).toBe(10);
    expect(w.figures(10_000, T0 + 20_000).count).toBe(0);
    // asking again for a longer window cannot bring pruned slots back
    expect(w.figures(60_000, T0 + 20_000).count).toBe(0);
  });

  it("counts events without a latency in the rate but not in the percentiles", () => {
    const w = new RollingWindow({ startedAtMs: T0 });
    w.count(T0 + 100, 45);
    const f = w.figures(10_000, T0 + 9_000);
    expect(f.perSecond).toBe(5);
    expect(f.p50Ms).toBeUndefined();
  });

  it("rejects a slot that is not positive", () => {
    expect(() => new RollingWindow({ slotMs: 0 })).toThrow(RangeError);
  });
});

describe("applied freshness", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("measures each written event from its write to its apply, once, however often a read returns it", () => {
    const f = new AppliedFreshness({ from: "written", startedAtMs: T0 });
    f.recordWritten(["a", "b"], T0 + 1_000);
    f.recordWritten(["c"], T0 + 2_000);
    f.recordApplied([{ eventId: "a", appliedAtMs: T0 + 1_500 }], T0 + 1_600);
    // an overlapping read returns "a" again, with "b" and "c"
    f.recordApplied(
      [
        { eventId: "a", appliedAtMs: T0 + 1_500 },
        { eventId: "b", appliedAtMs: T0 + 1_700 },
        { eventId: "c", appliedAtMs: T0 + 3_000 },
      ],
      T0 + 3_100,
    );
    const snap = f.snapshot(T0 + 3_100);
    expect(snap.sinceStart.count).toBe(3);
    expect(snap.sinceStart.p50Ms).toBe(700);
    expect(snap.sinceStart.p99Ms).toBe(1_000);
    expect(snap.firstWrittenAtMs).toBe(T0 + 1_000);
    expect(snap.firstAppliedAtMs).toBe(T0 + 1_500);
    expect(f.pendingWritten).toBe(0);
    expect(snap.windows.map((w) => w.written.windowMs)).toEqual([10_000, 60_000]);
  });

  it("leaves events it did not write (a backlog of an earlier run) out of rates and freshness", () => {
    const f = new AppliedFreshness({ from: "written", startedAtMs: T0 });
    f.recordWritten(["mine"], T0 + 100);
    f.recordApplied(
      [
        { eventId: "old-1", appliedAtMs: T0 + 200 },
        { eventId: "mine", appliedAtMs: T0 + 600 },
      ],
      T0 + 1_000,
    );
    const snap = f.snapshot(T0 + 1_000);
    expect(snap.windows[0]?.applied.count).toBe(1);
    expect(snap.sinceStart.p99Ms).toBe(500);
  });

  it("measures from the event's create_time when told to (status: any event, late ones included)", () => {
    const created = T0 + 10_000;
    const id = `${T0}/2/${timeuuidAt(created)}`;
    expect(timeuuidToMs(timeuuidAt(created))).toBe(created);
    const f = new AppliedFreshness({ from: "created", startedAtMs: T0 });
    f.recordApplied(
      [
        { eventId: id, appliedAtMs: created + 750 },
        { eventId: "not-an-event-id", appliedAtMs: created + 800 },
      ],
      created + 1_000,
    );
    const snap = f.snapshot(created + 1_000);
    expect(snap.sinceStart.count).toBe(1);
    expect(snap.sinceStart.p50Ms).toBe(750);
  });

  it("forgets ids it has seen once they are older than the overlap it guards against", () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const f = new AppliedFreshness({ from: "written", startedAtMs: T0, seenForMs: 5_000 });
    f.recordWritten(["x"], Date.now());
    vi.advanceTimersByTime(1_000);
    f.recordApplied([{ eventId: "x", appliedAtMs: Date.now() }], Date.now());
    vi.advanceTimersByTime(10_000);
    f.recordApplied([], Date.now());
    // "x" is forgotten: written again (a new run of the same id would be) it is measured again
    f.recordWritten(["x"], Date.now());
    f.recordApplied([{ eventId: "x", appliedAtMs: Date.now() + 200 }], Date.now() + 300);
    expect(f.snapshot(Date.now() + 300).sinceStart.count).toBe(2);
  });
});
