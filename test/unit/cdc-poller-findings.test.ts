import { describe, expect, it } from "vitest";
import { parseSweepSchedule } from "../../lib/core/cdc/sweep-schedule.js";
import { pollerHarness, T0 } from "../support/poller-harness.js";

describe("poller regressions found by the fake-port tests", () => {
  it("A: counts no late rows when a batch ends inside a millisecond (rows after the cursor are not late)", async () => {
    const h = pollerHarness({ maxBatchRows: 100, sweeps: parseSweepSchedule("1000:0") });
    const same = h.lake.insertMany(0, T0 - 500, 250);
    for (let i = 0; i < 50 && (await h.poll()).backlog; i++);
    expect(h.countsOf(same).every((n) => n === 1)).toBe(true);
    expect(h.stats.reduce((n, s) => n + s.lateRows, 0)).toBe(0);
    // The rows after the cursor were fetched by the fast read only, not a second time by the sweep.
    expect(h.lake.callsOf("rowsByIds")).toEqual([]);
  });

  it("B: never commits more than maxBatchRows events in one transaction", async () => {
    const h = pollerHarness({ shards: [0, 1, 2], maxBatchRows: 100, sweeps: [{ ageMs: 5_000, everyMs: 0 }] });
    for (const s of [0, 1, 2]) for (let i = 0; i < 200; i++) h.lake.insert(s, T0 - 4_000 + i * 10);
    await h.poll();
    for (const s of [0, 1, 2]) for (let i = 0; i < 60; i++) h.lake.insert(s, T0 - 4_000 + i * 10 + 3);
    for (let i = 0; i < 50 && (await h.poll()).backlog; i++);
    expect(Math.max(...h.stats.map((s) => s.published))).toBeLessThanOrEqual(100);
  });

  it("C: rowsRead also counts the reads of a failed poll and of a discarded prefetch", async () => {
    const h = pollerHarness({ maxBatchRows: 100 });
    for (let i = 0; i < 300; i++) h.lake.insert(0, T0 - 3_000 + i * 5);
    await h.poll();
    h.changeLog.failNextPublish("before-commit");
    await expect(h.poll()).rejects.toThrow(/injected/);
    for (let i = 0; i < 50 && (await h.poll()).backlog; i++);
    expect(h.stats.reduce((n, s) => n + s.rowsRead, 0)).toBe(h.lake.rowsReturned);
  });
});

describe("poller findings (2)", () => {
  it('D: a start "now" stays where it was when the first publish fails (the retry does not skip rows)', async () => {
    const h = pollerHarness({ startFrom: "now" });
    h.changeLog.failNextPublish("before-send");
    await expect(h.poll()).rejects.toThrow(/injected/); // started at T0 − 150; nothing committed
    const row = h.lake.insert(0, T0 - 100);
    await h.poll(500); // rebuilds: must start at T0 − 150 again, not at T0 + 350
    expect(h.countsOf([row])).toEqual([1]);
  });
});
