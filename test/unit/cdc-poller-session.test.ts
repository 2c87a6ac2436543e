import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSweepSchedule, sweepReadRatio } from "../../lib/core/cdc/sweep-schedule.js";
import type { TrackingRow } from "../../lib/core/tracking-row.js";
import { ProducerFencedError, TransientError } from "../../lib/errors.js";
import type { PublishFault } from "../support/fake-change-log.js";
import { timeuuidAt } from "../support/fake-lake.js";
import { type PollerHarness, pollerHarness, T0 } from "../support/poller-harness.js";

// CdcPollerSession on fakes of its ports (FakeLake, FakeChangeLog, RecordingLog) and a hand-driven
// clock: no servers, no sleeps. Times are relative to T0; the default settle delay is 150 ms, so
// after a poll at time t the cursor is at t − 150.

const SETTLE = 150;

/** Polls at once while the last poll reported a backlog (at most `max` polls). */
async function drain(h: PollerHarness, max = 50): Promise<void> {
  for (let i = 0; i < max; i++) if (!(await h.poll()).backlog) return;
  throw new Error(`backlog not drained in ${max} polls`);
}

function rowsEvery(
  h: PollerHarness,
  shard: number,
  count: number,
  fromMs: number,
  stepMs: number,
): TrackingRow[] {
  return Array.from({ length: count }, (_, i) => h.lake.insert(shard, fromMs + i * stepMs));
}

describe("CdcPollerSession: reading and publishing", () => {
  it("publishes every visible row once, with the shards' cursors in the same transaction", async () => {
    const h = pollerHarness({ shards: [0, 1] });
    const rows = [h.lake.insert(0, T0 - 5_000), h.lake.insert(1, T0 - 4_000), h.lake.insert(1, T0 - 3_000)];
    const s = await h.poll();
    expect(s).toMatchObject({
      published: 3,
      rowsRead: 3,
      lateRows: 0,
      backlog: false,
      checkpointWritten: true,
    });
    expect(s.positions).toEqual({ 0: T0 - SETTLE, 1: T0 - SETTLE });
    expect(h.countsOf(rows)).toEqual([1, 1, 1]);
    // The first read starts at CDC_START_FROM; events and both checkpoints are one transaction.
    expect(h.lake.callsOf("readAfter").map((c) => c.after)).toEqual([
      { afterMs: T0 - 10_000 },
      { afterMs: T0 - 10_000 },
    ]);
    expect(h.kafka.committed).toBe(1);
    expect(new Set([...h.kafka.events, ...h.kafka.checkpoints].map((x) => x.transaction))).toEqual(
      new Set([1]),
    );
    const cp = h.kafka.latestCheckpoints();
    expect(cp.get(0)?.position).toEqual({ kind: "time", ms: T0 - SETTLE });
    expect(cp.get(1)).toMatchObject({ seq: 1, writtenAtMs: T0 });
    const first = h.kafka.events[0]?.envelope.payload;
    expect(first).toMatchObject({
      op: "c",
      ts_ms: T0,
      source: { origin: "stream", ts_ms: T0 - 5_000, shard: 0 },
    });

    // Nothing new and no idle checkpoint due: nothing committed; the state stays warm.
    expect(await h.poll(100)).toMatchObject({ published: 0, checkpointWritten: false });
    expect(h.kafka.committed).toBe(1);
    expect(await h.session.ensureReady()).toBe("warm");
  });

  it("reports the lags of what it published: oldest event time, oldest and newest create_time", async () => {
    const h = pollerHarness();
    h.lake.insert(0, T0 - 4_000, { ts: T0 - 9_000 });
    h.lake.insert(0, T0 - 1_000, { ts: null });
    expect(await h.poll()).toMatchObject({ eventLagMs: 9_000, ingestLagMs: 4_000, newestIngestLagMs: 1_000 });
    expect(await h.poll(100)).toMatchObject({
      published: 0,
      eventLagMs: undefined,
      ingestLagMs: undefined,
      newestIngestLagMs: undefined,
    });
  });

  it("leaves rows younger than the settle delay for a later poll", async () => {
    const h = pollerHarness({ settleMs: SETTLE });
    const settled = h.lake.insert(0, T0 - SETTLE);
    const young = h.lake.insert(0, T0 - SETTLE + 1);
    expect((await h.poll()).published).toBe(1);
    expect(h.lake.callsOf("readAfter").at(-1)?.untilMs).toBe(T0 - SETTLE);
    expect(h.countsOf([settled, young])).toEqual([1, 0]);
    expect((await h.poll(1)).published).toBe(1);
    expect(h.countsOf([settled, young])).toEqual([1, 1]);
  });

  it('starts at now − settle when CDC_START_FROM is "now"', async () => {
    const h = pollerHarness({ startFrom: "now" });
    const before = h.lake.insert(0, T0 - SETTLE);
    const after = h.lake.insert(0, T0 - 100);
    expect(await h.poll()).toMatchObject({ published: 0, positions: { 0: T0 - SETTLE } });
    await h.poll(100);
    expect(h.countsOf([before, after])).toEqual([0, 1]);
  });

  it("splits the batch budget between the shards and drains a backlog across buckets", async () => {
    const h = pollerHarness({ shards: [0, 1], maxBatchRows: 100, bucketMs: 1_000 });
    const rows = [...rowsEvery(h, 0, 120, T0 - 9_000, 50), ...rowsEvery(h, 1, 30, T0 - 9_000, 200)];
    const s = await h.poll();
    expect(s).toMatchObject({ published: 80, backlog: true });
    // Shard 0 stopped after its 50 rows in the middle of a bucket; shard 1 read all of its 30.
    expect(h.kafka.latestCheckpoints().get(0)?.position).toEqual({
      kind: "row",
      ms: T0 - 9_000 + 49 * 50,
      uuid: rows[49]?.create_time,
    });
    expect(h.kafka.latestCheckpoints().get(1)?.position).toEqual({ kind: "time", ms: T0 - SETTLE });
    await drain(h);
    expect(h.countsOf(rows).every((n) => n === 1)).toBe(true);
    expect(h.kafka.events).toHaveLength(150);
  });
});

describe("CdcPollerSession: late rows and sweep tiers", () => {
  it("publishes a row landing behind the cursor, inside the sweep, once", async () => {
    const h = pollerHarness({ sweeps: [{ ageMs: 1_000, everyMs: 0 }] });
    await h.poll();
    const late = h.lake.insert(0, T0 - SETTLE - 600); // 600 ms behind the cursor
    expect(await h.poll(100)).toMatchObject({ published: 1, lateRows: 1 });
    const more = await h.pollFor(3_000, 100);
    expect(more.reduce((n, s) => n + s.published + s.lateRows, 0)).toBe(0);
    expect(h.countsOf([late])).toEqual([1]);
    // The sweep fetched the one full row it needed; later sweeps only listed its id.
    expect(h.lake.callsOf("rowsByIds").map((c) => c.returned)).toEqual([1]);
  });

  it("finds a row beyond the short tier with the long one, and never one beyond the longest tier", async () => {
    const h = pollerHarness({ sweeps: parseSweepSchedule("1000:0,4000:2000") });
    await h.poll(); // t = 0: both tiers run
    const late = h.lake.insert(0, T0 - SETTLE - 1_500); // beyond the 1 s tier, inside the 4 s one
    const beyond = h.lake.insert(0, T0 - SETTLE - 4_500); // beyond every tier: the reconciler's
    const stats = await h.pollFor(2_000, 100);
    // The 4 s tier is next due at t = 2000 (the 20th poll): that poll publishes the row.
    expect(stats.map((s) => s.lateRows)).toEqual([...Array(19).fill(0), 1]);
    await h.pollFor(20_000, 100);
    expect(h.countsOf([late, beyond])).toEqual([1, 0]);
  });

  // The guarantee of a tier: a row whose create_time is at most age − every older than (now − settle)
  // when it becomes visible is swept before it falls out of the tier, whatever the tiers' phase, and
  // even while a backlog drains (the cursor never passes now − settle).
  it("publishes once every row landing at most age − every late (property)", async () => {
    const tiers = parseSweepSchedule("1000:0,4000:2000");
    const interval = 100;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2_000 }), // how late the row lands (4000 − 2000 = 2000)
        fc.integer({ min: 0, max: 25 }), // polls before it lands (the tiers' phase)
        fc.integer({ min: 0, max: interval - 1 }), // when it lands between two polls
        async (lateness, warmup, phase) => {
          const h = pollerHarness({ sweeps: tiers });
          await h.poll();
          await h.pollFor(warmup * interval, interval);
          h.clock.now += phase;
          const row = h.lake.insert(0, h.clock.now - SETTLE - lateness);
          await h.pollFor(2_000 + 2 * interval, interval);
          expect(h.countsOf([row])).toEqual([1]);
        },
      ),
      { numRuns: 40, seed: 20261125 },
    );
  });

  it("counts every row and id the lake returned: fast reads, prefetches and sweeps", async () => {
    const h = pollerHarness({
      shards: [0, 1],
      maxBatchRows: 40,
      sweeps: parseSweepSchedule("1000:0,4000:2000"),
    });
    rowsEvery(h, 0, 100, T0 - 3_000, 20);
    rowsEvery(h, 1, 60, T0 - 3_000, 30);
    await drain(h);
    for (let i = 0; i < 40; i++) {
      h.lake.insert(i % 2, h.clock.now - 10);
      if (i % 5 === 0) h.lake.insert(0, h.clock.now - SETTLE - 700); // late, inside the 1 s tier
      if (i % 7 === 0) h.lake.insert(1, h.clock.now - SETTLE - 3_000); // late, inside the 4 s tier only
      await h.poll(100);
    }
    await drain(h);
    expect(h.stats.reduce((n, s) => n + s.published, 0)).toBe(h.kafka.events.length);
    expect(h.kafka.duplicates()).toEqual([]);
    // Prefetches and both kinds of sweep reads really happened…
    expect(h.stats.filter((s) => s.backlog).length).toBeGreaterThan(2);
    expect(h.lake.callsOf("rowsByIds").length).toBeGreaterThan(0);
    expect(h.stats.reduce((n, s) => n + s.lateRows, 0)).toBeGreaterThan(0);
    // …and every row or id the lake handed out is in some poll's rowsRead.
    expect(h.stats.reduce((n, s) => n + s.rowsRead, 0)).toBe(h.lake.rowsReturned);
  });

  it.each([
    { schedule: "1000:2000,4000:20000", intervalMs: 200, durationMs: 120_000, short: 54, long: 6 },
    { schedule: "1000:0,4000:2000", intervalMs: 100, durationMs: 60_000, short: 570, long: 30 },
  ])(
    "backs the sweeps off as scheduled ($schedule, a poll every $intervalMs ms)",
    async ({ schedule, intervalMs, durationMs, short, long }) => {
      const tiers = parseSweepSchedule(schedule);
      // Hour buckets (T0 is 10:10): each sweep is one idsBetween call.
      const h = pollerHarness({ sweeps: tiers, bucketMs: 3_600_000, startFrom: "now" });
      const perPoll = 5;
      await h.poll();
      for (let t = intervalMs; t < durationMs; t += intervalMs) {
        // Rows written on time during the last interval (none lands behind the cursor).
        h.clock.now += intervalMs;
        for (let j = 0; j < perPoll; j++) h.lake.insert(0, h.clock.now - (j * intervalMs) / perPoll);
        await h.poll();
      }
      const sweeps = h.lake.callsOf("idsBetween");
      expect(sweeps.filter((c) => c.untilMs - c.afterMs === tiers[0]?.ageMs)).toHaveLength(short);
      expect(sweeps.filter((c) => c.untilMs - c.afterMs === tiers[1]?.ageMs)).toHaveLength(long);
      // No row was late: sweeps only listed ids, never fetched a row.
      expect(h.lake.callsOf("rowsByIds")).toEqual([]);
      const reRead = sweeps.reduce((n, c) => n + c.returned, 0);
      const published = h.kafka.events.length;
      const bound = sweepReadRatio(tiers, intervalMs);
      expect(reRead / published).toBeLessThanOrEqual(bound);
      expect(reRead / published).toBeGreaterThan(0.8 * bound);
    },
  );
});

describe("CdcPollerSession: equal timestamps", () => {
  it.each([{ sweeps: "none" }, { sweeps: "1000:0" }])(
    "publishes each of many rows sharing one millisecond once when the batch ends inside it (sweeps $sweeps)",
    async ({ sweeps }) => {
      const h = pollerHarness({ maxBatchRows: 100, sweeps: parseSweepSchedule(sweeps) });
      const same = h.lake.insertMany(0, T0 - 500, 250);
      const next = h.lake.insert(0, T0 - 400);
      expect(await h.poll()).toMatchObject({ published: 100, backlog: true });
      expect(h.kafka.latestCheckpoints().get(0)?.position).toEqual({
        kind: "row",
        ms: T0 - 500,
        uuid: same[99]?.create_time,
      });
      await drain(h);
      expect(h.countsOf([...same, next]).every((n) => n === 1)).toBe(true);
      expect(h.kafka.events).toHaveLength(251);
    },
  );

  it("publishes once rows landing late inside the millisecond where the batch stopped, before and after the cursor", async () => {
    const m = T0 - 500;
    const h = pollerHarness({ maxBatchRows: 100, sweeps: parseSweepSchedule("1000:0") });
    const same = h.lake.insertMany(0, m, 250);
    await h.poll(); // cursor: the 100th row of millisecond m
    // Same timestamp as rows 50 and 150, later in timeuuid order (node bytes): one behind the cursor, one ahead.
    const behind = h.lake.insert(0, m, { create_time: timeuuidAt(m, 50, 0x8000_0000_0000_0001n) });
    const ahead = h.lake.insert(0, m, { create_time: timeuuidAt(m, 150, 0x8000_0000_0000_0001n) });
    await drain(h);
    await h.pollFor(500, 100);
    expect(h.countsOf([...same, behind, ahead]).every((n) => n === 1)).toBe(true);
    expect(h.kafka.events).toHaveLength(252);
  });
});

describe("CdcPollerSession: prefetch", () => {
  it("reads the next batch while the current one commits, and uses that read", async () => {
    const h = pollerHarness({ maxBatchRows: 100 });
    const rows = rowsEvery(h, 0, 300, T0 - 3_000, 5);
    expect(await h.poll()).toMatchObject({ published: 100, backlog: true });
    const commit1 = h.trace.findIndex((l) => l.startsWith("kafka commit 1:"));
    const reads1 = h.trace.flatMap((l, i) => (l.startsWith("lake readAfter") ? [i] : []));
    expect(reads1).toHaveLength(2);
    expect(reads1[1]).toBeLessThan(commit1);

    expect(await h.poll()).toMatchObject({ published: 100, backlog: true });
    // The second poll read nothing for itself: its only read is the third batch's prefetch.
    expect(h.lake.callsOf("readAfter").map((c) => c.after)).toEqual([
      { afterMs: T0 - 10_000 },
      { cursor: rows[99]?.create_time },
      { cursor: rows[199]?.create_time },
    ]);
    await drain(h);
    expect(h.countsOf(rows).every((n) => n === 1)).toBe(true);
  });

  it.each<PublishFault>(["before-send", "before-commit", "after-commit"])(
    "discards the prefetch after a publish failure (%s): nothing twice, nothing lost",
    async (fault) => {
      const h = pollerHarness({ maxBatchRows: 100 });
      const rows = rowsEvery(h, 0, 300, T0 - 3_000, 5); // rows 200..299: T0 − 2000 … T0 − 1505
      await h.poll();
      h.changeLog.failNextPublish(fault);
      // Uses the prefetch of rows 100..199, starts one of rows 200..299, then the publish fails.
      await expect(h.poll()).rejects.toBeInstanceOf(TransientError);
      // A row lands inside what that prefetch covered: a reused prefetch would miss it.
      const landed = h.lake.insert(0, T0 - 1_702);
      const readsBefore = h.lake.callsOf("readAfter").length;
      await drain(h);
      // The next poll rebuilt and read from the committed checkpoint again.
      const resumeAfter = fault === "after-commit" ? rows[199] : rows[99];
      expect(h.lake.callsOf("readAfter")[readsBefore]?.after).toEqual({ cursor: resumeAfter?.create_time });
      expect(h.countsOf([...rows, landed]).every((n) => n === 1)).toBe(true);
      expect(h.kafka.duplicates()).toEqual([]);
      expect(h.log.withMessage("poller state rebuilt")).toHaveLength(2);
    },
  );
});

describe("CdcPollerSession: failures, rebuilds and fencing", () => {
  async function publishedThenFailed(fault: PublishFault) {
    const h = pollerHarness({ shards: [0, 1], sweeps: [{ ageMs: 2_000, everyMs: 0 }] });
    const early = [h.lake.insert(0, T0 - 1_000), h.lake.insert(1, T0 - 900), h.lake.insert(0, T0 - 300)];
    await h.poll();
    const pending = [h.lake.insert(0, T0 - 100), h.lake.insert(1, T0 - 50)];
    h.changeLog.failNextPublish(fault);
    await expect(h.poll(100)).rejects.toBeInstanceOf(TransientError);
    return { h, early, pending };
  }

  it("rebuilds from the committed log after a failed publish: cursors from the checkpoints, ids from the events", async () => {
    const { h, early, pending } = await publishedThenFailed("before-send");
    expect(h.countsOf(pending)).toEqual([0, 0]);
    const callsBefore = h.lake.calls.length;
    expect(await h.session.ensureReady()).toBe("rebuilt");
    // Fenced older instances first (a new connect), then read Kafka only.
    expect(h.kafka.epoch).toBe(2);
    expect(h.lake.calls.length).toBe(callsBefore);
    expect(h.changeLog.publishedSinceAsked.at(-1)).toEqual({ shards: [0, 1], sinceMs: T0 - SETTLE - 2_000 });
    expect(h.log.withMessage("poller state rebuilt").at(-1)?.extra).toMatchObject({
      checkpointsFound: 2,
      publishedIdsInLookBack: 3,
    });

    expect(await h.poll(100)).toMatchObject({ published: 2, lateRows: 0 });
    const after = h.lake.calls.slice(callsBefore);
    // Two shards × two minute buckets, each read from the checkpointed cursor.
    expect(after.filter((c) => c.method === "readAfter").map((c) => c.after)).toEqual(
      Array(4).fill({ afterMs: T0 - SETTLE }),
    );
    // The sweep listed the early rows again but knew them as published: no full-row fetch, no re-publish.
    expect(after.filter((c) => c.method === "idsBetween").reduce((n, c) => n + c.returned, 0)).toBe(3);
    expect(after.filter((c) => c.method === "rowsByIds")).toEqual([]);
    expect(h.countsOf([...early, ...pending])).toEqual([1, 1, 1, 1, 1]);
  });

  it("rebuilds past a transaction that committed although publish threw (reply lost)", async () => {
    const { h, early, pending } = await publishedThenFailed("after-commit");
    expect(h.countsOf(pending)).toEqual([1, 1]);
    expect(await h.session.ensureReady()).toBe("rebuilt");
    expect(h.log.withMessage("poller state rebuilt").at(-1)?.extra).toMatchObject({
      publishedIdsInLookBack: 5,
    });
    expect(await h.poll(100)).toMatchObject({ published: 0 });
    expect(h.lake.callsOf("readAfter").at(-1)?.after).toEqual({ afterMs: T0 + 100 - SETTLE });
    await h.pollFor(3_000, 100);
    expect(h.countsOf([...early, ...pending])).toEqual([1, 1, 1, 1, 1]);
  });

  it("keeps its state when a lake read fails (nothing was committed): the next poll goes on", async () => {
    const h = pollerHarness({ sweeps: [{ ageMs: 1_000, everyMs: 0 }] });
    const a = h.lake.insert(0, T0 - 500);
    await h.poll();
    const b = h.lake.insert(0, T0 - 50);
    h.lake.failNextRead = () => new TransientError("Cassandra timed out");
    await expect(h.poll(100)).rejects.toThrow(/timed out/);
    expect(await h.poll(100)).toMatchObject({ published: 1 });
    expect(h.log.withMessage("poller state rebuilt")).toHaveLength(1);
    expect(h.countsOf([a, b])).toEqual([1, 1]);
  });

  it("rebuilds when another instance wrote the checkpoints since (a warm session that lost the shards)", async () => {
    const h = pollerHarness({ sweeps: [{ ageMs: 1_000, everyMs: 0 }] });
    const a = h.lake.insert(0, T0 - 500);
    await h.poll();
    const other = h.instance();
    const b = h.lake.insert(0, T0 - 50);
    h.clock.now += 100;
    expect(await other.session.pollOnce()).toMatchObject({ published: 1 });
    expect(await h.session.ensureReady()).toBe("rebuilt");
    expect(
      h.log.withMessage("checkpoints were written by another poller instance: rebuilding state"),
    ).toHaveLength(1);
    await h.pollFor(2_000, 100);
    expect(h.countsOf([a, b])).toEqual([1, 1]);
  });

  it("stops an instance fenced by a newer one; the newer one publishes what it left", async () => {
    const h = pollerHarness({ sweeps: [{ ageMs: 1_000, everyMs: 0 }] });
    const a = h.lake.insert(0, T0 - 500);
    await h.poll();
    const newer = h.instance();
    expect(await newer.session.ensureReady()).toBe("rebuilt");
    const b = h.lake.insert(0, T0 - 50);
    await expect(h.poll(100)).rejects.toBeInstanceOf(ProducerFencedError);
    expect(h.countsOf([b])).toEqual([0]);
    expect(await newer.session.pollOnce()).toMatchObject({ published: 1 });
    expect(h.countsOf([a, b])).toEqual([1, 1]);
  });

  it("commits nothing of a transaction fenced while it was open", async () => {
    const h = pollerHarness({ sweeps: [{ ageMs: 1_000, everyMs: 0 }] });
    await h.poll();
    const newer = h.instance();
    h.changeLog.duringTransaction = async () => {
      await newer.session.ensureReady();
    };
    const row = h.lake.insert(0, T0 - 50);
    await expect(h.poll(100)).rejects.toBeInstanceOf(ProducerFencedError);
    expect([h.countsOf([row])[0], h.kafka.aborted]).toEqual([0, 1]);
    expect(await newer.session.pollOnce()).toMatchObject({ published: 1 });
    expect(h.countsOf([row])).toEqual([1]);
  });
});

describe("CdcPollerSession: idle checkpoints", () => {
  it("writes the cursor every idleCheckpointMs when there is nothing to publish, sooner with events", async () => {
    const h = pollerHarness({ idleCheckpointMs: 5_000 });
    await h.poll();
    const idle = await h.pollFor(20_000, 100);
    expect(idle.filter((s) => s.checkpointWritten)).toHaveLength(4);
    const written = () => h.kafka.checkpoints.map((c) => (c.checkpoint?.writtenAtMs ?? 0) - T0);
    expect(written()).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
    expect(h.kafka.checkpoints.map((c) => c.checkpoint?.position)).toEqual(
      [0, 5_000, 10_000, 15_000, 20_000].map((t) => ({ kind: "time", ms: T0 + t - SETTLE })),
    );
    expect(h.kafka.checkpoints.map((c) => c.checkpoint?.seq)).toEqual([1, 2, 3, 4, 5]);
    // An event at t = 22000 commits a checkpoint with it; the next idle one is 5 s after that.
    h.lake.insert(0, T0 + 21_000);
    await h.pollFor(10_000, 1_000);
    expect(written()).toEqual([0, 5_000, 10_000, 15_000, 20_000, 22_000, 27_000]);
  });
});

describe("CdcPollerSession: exactly once under random faults (property)", () => {
  type Fault = "none" | "before-send" | "before-commit" | "after-commit" | "lake" | "switch";
  const step = fc.record({
    advanceMs: fc.integer({ min: 0, max: 400 }),
    shard: fc.constantFrom(0, 1),
    onTime: fc.integer({ min: 0, max: 6 }),
    sameMs: fc.constantFrom(0, 0, 0, 45),
    lateBy: fc.option(fc.integer({ min: 1, max: 2_000 }), { freq: 3 }),
    fault: fc.constantFrom<Fault>(
      "none",
      "none",
      "none",
      "none",
      "before-send",
      "before-commit",
      "after-commit",
      "lake",
      "switch",
    ),
  });

  it("never publishes a row twice, and publishes every row on time or inside the sweep guarantee", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        // Second buckets: reads and sweeps cross bucket boundaries all the time.
        const h = pollerHarness({
          shards: [0, 1],
          maxBatchRows: 40,
          bucketMs: 1_000,
          sweeps: parseSweepSchedule("1000:0,4000:2000"),
          startFrom: T0 - SETTLE,
        });
        const instances = [{ session: h.session, changeLog: h.changeLog }, h.instance()];
        let active = 0;
        const mustPublish: TrackingRow[] = [];
        const poll = async () => {
          const current = instances[active];
          if (!current) throw new Error("no instance");
          try {
            return await current.session.pollOnce();
          } catch (err) {
            if (!(err instanceof TransientError || err instanceof ProducerFencedError)) throw err;
            return undefined;
          }
        };
        for (const s of steps) {
          h.clock.now += s.advanceMs;
          for (let i = 0; i < s.onTime; i++) mustPublish.push(h.lake.insert(s.shard, h.clock.now - i));
          mustPublish.push(...h.lake.insertMany(s.shard, h.clock.now, s.sameMs));
          // Late by at most age − every of the 4 s tier (behind the cursor, unless a backlog holds it back).
          if (s.lateBy !== null) mustPublish.push(h.lake.insert(s.shard, h.clock.now - SETTLE - s.lateBy));
          const current = instances[active];
          if (s.fault === "lake") h.lake.failNextRead = () => new TransientError("lake timeout");
          else if (s.fault === "switch") {
            active = 1 - active;
            await instances[active]?.session.ensureReady();
          } else if (s.fault !== "none") current?.changeLog.failNextPublish(s.fault);
          await poll();
        }
        // Let the faults still armed fire, the backlog drain and the sweeps pass.
        let clean = 0;
        for (let i = 0; i < 200 && clean < 30; i++) {
          h.clock.now += 100;
          const s = await poll();
          clean = s && !s.backlog ? clean + 1 : 0;
        }
        expect(h.kafka.duplicates()).toEqual([]);
        const counts = h.countsOf(mustPublish);
        expect(mustPublish.filter((_, i) => counts[i] !== 1)).toEqual([]);
      }),
      { numRuns: 25, seed: 4242 },
    );
  });
});
