import { describe, expect, it } from "vitest";
import type { ChangeEnvelope } from "../../lib/core/envelope.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { silentLog } from "../../lib/use-cases/ports/log.js";
import { consecutiveRuns } from "../../lib/use-cases/reconcile/partition-checks.js";
import {
  type ReconcileDeps,
  type ReconcileSettings,
  reconcilePass,
} from "../../lib/use-cases/reconcile/reconcile-pass.js";
import { runScheduledPass } from "../../lib/use-cases/reconcile/run-scheduled-pass.js";
import {
  FakeAccounted,
  FakeLakePartitions,
  FakePassLog,
  FakePublisher,
  FakeStream,
  instantAggregator,
} from "../support/fake-reconcile.js";

const BUCKET = 60_000;
const B0 = 1_764_000_000_000;

const settings: ReconcileSettings = {
  keyspace: "ks",
  table: "tracking",
  shards: [0, 1],
  bucketMs: BUCKET,
  concurrency: 4,
  publishBatchRows: 3,
  verifyTimeoutMs: 5_000,
  verifyPollMs: 1_000,
};

function world(aggregatorRunning = true) {
  const lake = new FakeLakePartitions();
  const accounted = new FakeAccounted();
  const publisher = new FakePublisher(aggregatorRunning ? instantAggregator(accounted) : () => undefined);
  const passLog = new FakePassLog();
  let now = B0 + 3_600_000;
  const deps: ReconcileDeps = {
    lake,
    accounted,
    publisher,
    passLog,
    log: silentLog,
    clock: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  return { lake, accounted, publisher, passLog, deps, advance: (ms: number) => (now += ms), now: () => now };
}

const buckets = (n: number) => Array.from({ length: n }, (_, i) => B0 + i * BUCKET);
const req = (n: number, over: Partial<Parameters<typeof reconcilePass>[2]> = {}) => ({
  mode: "cli" as const,
  buckets: buckets(n),
  fromMs: B0,
  toMs: B0 + n * BUCKET,
  dryRun: false,
  ...over,
});

describe("reconcile pass", () => {
  it("with nothing missing, compares counts only and publishes nothing", async () => {
    const w = world();
    for (const b of buckets(3))
      for (const shard of [0, 1]) w.accounted.markApplied(w.lake.add({ bucket: b, shard }, 4));
    const r = await reconcilePass(settings, w.deps, req(3));
    expect(r).toMatchObject({
      status: "done",
      partitionsChecked: 6,
      rowsCompared: 24,
      missingFound: 0,
      republished: 0,
      driftLeft: 0,
    });
    expect(w.publisher.published).toHaveLength(0);
    expect(w.passLog.passes[0]?.end).toMatchObject({ status: "done", rowsCompared: 24, missingFound: 0 });
  });

  it("re-publishes exactly the missing rows (op r, origin reconcile, event id header), in transactions of at most publishBatchRows", async () => {
    const w = world();
    const p = { bucket: B0 + BUCKET, shard: 1 };
    const rows = w.lake.add(p, 7);
    w.accounted.markApplied(rows.slice(0, 2));
    for (const r of rows.slice(2, 3)) w.accounted.deadLettered.add(eventId(r)); // dead-lettered counts as accounted
    const r = await reconcilePass(settings, w.deps, req(2));
    expect(r).toMatchObject({ missingFound: 4, republished: 4, driftLeft: 0, status: "done" });
    const ids = w.publisher.published.map((m) => m.headers?.["jtp-event-id"]);
    expect(new Set(ids)).toEqual(new Set(rows.slice(3).map(eventId)));
    expect(w.publisher.transactions).toBe(2); // 3 + 1
    const env = JSON.parse(w.publisher.published[0]?.value ?? "{}") as ChangeEnvelope;
    expect(env.payload.op).toBe("r");
    expect(env.payload.source.origin).toBe("reconcile");
    expect(env.payload.source.snapshot).toBe("true");
  });

  it("a second pass after the aggregator applied the re-published rows finds nothing", async () => {
    const w = world();
    w.lake.add({ bucket: B0, shard: 0 }, 5);
    expect((await reconcilePass(settings, w.deps, req(1))).missingFound).toBe(5);
    const second = await reconcilePass(settings, w.deps, req(1));
    expect(second).toMatchObject({ missingFound: 0, republished: 0, driftLeft: 0 });
  });

  it("reports drift left when the aggregator does not account for the rows within the verify timeout", async () => {
    const w = world(false);
    w.lake.add({ bucket: B0, shard: 0 }, 5);
    const started = w.now();
    const r = await reconcilePass(settings, w.deps, req(1));
    expect(r).toMatchObject({ missingFound: 5, republished: 5, driftLeft: 5, status: "done" });
    expect(r.driftPartitions).toEqual([{ partition: `${B0}/0`, missing: 5 }]);
    expect(w.now() - started).toBeGreaterThanOrEqual(settings.verifyTimeoutMs);
  });

  it("a dry run publishes nothing and reports what is missing as drift", async () => {
    const w = world();
    w.lake.add({ bucket: B0, shard: 0 }, 3);
    const r = await reconcilePass(settings, w.deps, req(1, { dryRun: true }));
    expect(r).toMatchObject({ missingFound: 3, republished: 0, driftLeft: 3 });
    expect(w.publisher.published).toHaveLength(0);
    expect(w.publisher.connected).toBe(false);
  });

  it("poison rows come back dead-lettered and count as accounted", async () => {
    const w = world();
    w.lake.add({ bucket: B0, shard: 0 }, 2, { job_id: null });
    const r = await reconcilePass(settings, w.deps, req(1));
    expect(r).toMatchObject({ missingFound: 2, republished: 2, deadLettered: 2, driftLeft: 0 });
    expect(w.accounted.deadLettered.size).toBe(2);
    expect((await reconcilePass(settings, w.deps, req(1))).missingFound).toBe(0);
  });

  it("stops between bucket runs when asked, records a partial pass and what it covered", async () => {
    const w = world();
    for (const b of buckets(4)) w.lake.add({ bucket: b, shard: 0 }, 1);
    let runs = 0;
    const r = await reconcilePass({ ...settings, verifyTimeoutMs: 0 }, w.deps, {
      ...req(4),
      // Not consecutive: two runs of two buckets each.
      buckets: [B0, B0 + BUCKET, B0 + 3 * BUCKET, B0 + 2 * BUCKET],
      shouldStop: () => runs++ >= 1,
      coveredUntil: (done) => done,
    });
    expect(r.status).toBe("partial");
    expect(r.bucketsDone).toEqual([B0, B0 + BUCKET]);
    expect(w.passLog.passes[0]?.end).toMatchObject({ status: "partial", coveredUntilMs: 2 });
  });

  it("a fenced publisher fails the pass, which is recorded with the reason and covers nothing", async () => {
    const w = world();
    w.lake.add({ bucket: B0, shard: 0 }, 2);
    w.publisher.fenceOnPublish = true;
    const r = await reconcilePass(settings, w.deps, { ...req(1), coveredUntil: () => 123 });
    expect(r.status).toBe("failed");
    expect(r.error).toMatch(/fenced/);
    expect(w.passLog.passes[0]?.end).toMatchObject({ status: "failed", coveredUntilMs: null });
    expect(w.publisher.connected).toBe(false);
  });

  it("groups consecutive buckets into runs of at most `max`", () => {
    expect(consecutiveRuns([0, 1, 2, 5, 6, 3], 1, 2)).toEqual([[0, 1], [2], [5, 6], [3]]);
  });
});

describe("scheduled pass", () => {
  const schedule = {
    ...settings,
    checkDelaysMs: [60_000, 600_000],
    horizonMs: 3_600_000,
    streamingMs: 5_000,
    maxStreamBacklog: 1_000,
  };
  const scheduled = (w: ReturnType<typeof world>, stream = new FakeStream()) => ({ ...w.deps, stream });

  it("checks everything due since the last covered time, then only what fell due since", async () => {
    const w = world();
    for (const b of buckets(60)) w.lake.add({ bucket: b, shard: 0 }, 1);
    const first = await runScheduledPass(schedule, scheduled(w), {
      remainingMs: () => 60_000,
      safetyMarginMs: 1_000,
    });
    // First run: the whole horizon (an hour of buckets, those already due).
    expect(first.status).toBe("done");
    expect(first.missingFound).toBe(first.bucketsDone.length);
    const pass = w.passLog.passes[0];
    expect(pass?.end?.coveredUntilMs).toBe(pass?.startedAtMs);
    w.advance(60_000);
    const second = await runScheduledPass(schedule, scheduled(w), {
      remainingMs: () => 60_000,
      safetyMarginMs: 1_000,
    });
    // One minute later: one bucket per delay fell due; only the one seen for the first time has a gap.
    expect(second.bucketsDone).toHaveLength(2);
    expect(second.missingFound).toBe(1);
  });

  it("a pass cut short by the budget records how far it got, and the next one carries on", async () => {
    const w = world();
    for (const b of buckets(60)) w.lake.add({ bucket: b, shard: 0 }, 1);
    let left = 3;
    const cut = await runScheduledPass({ ...schedule, verifyTimeoutMs: 0 }, scheduled(w), {
      remainingMs: () => (left-- > 0 ? 60_000 : 0),
      safetyMarginMs: 1_000,
    });
    expect(cut.status).toBe("partial");
    const covered = w.passLog.passes[0]?.end?.coveredUntilMs ?? 0;
    expect(covered).toBeGreaterThan(B0);
    expect(covered).toBeLessThan(w.now());
    const rest = await runScheduledPass({ ...schedule, verifyTimeoutMs: 0 }, scheduled(w), {
      remainingMs: () => 60_000,
      safetyMarginMs: 1_000,
    });
    expect(rest.status).toBe("done");
    expect(cut.missingFound + rest.missingFound).toBe(cut.bucketsDone.length + rest.bucketsDone.length);
    expect(new Set([...cut.bucketsDone, ...rest.bucketsDone]).size).toBe(
      cut.bucketsDone.length + rest.bucketsDone.length,
    );
  });

  it("waits for the stream: buckets the poller's cursor has not passed, and everything while the aggregator has a backlog", async () => {
    const w = world();
    for (const b of buckets(60)) w.lake.add({ bucket: b, shard: 0 }, 1);
    const stream = new FakeStream();
    // The aggregator is behind: nothing is checked, nothing new covered.
    stream.backlog = 5_000;
    const behind = await runScheduledPass(schedule, scheduled(w, stream), {
      remainingMs: () => 60_000,
      safetyMarginMs: 1_000,
    });
    expect(behind).toMatchObject({ partitionsChecked: 0, republished: 0 });
    // Covered only up to just before the oldest check that fell due (bucket B0, +10 min).
    expect(behind.bucketsDone).toEqual([]);
    expect(await w.passLog.lastCoveredUntil()).toBe(B0 + BUCKET + 600_000 - 1);
    // The aggregator caught up, the poller's cursor is at bucket 30: buckets up to 29 (end + streaming) are checked.
    stream.backlog = 0;
    stream.position = B0 + 30 * BUCKET + 5_000;
    const some = await runScheduledPass(schedule, scheduled(w, stream), {
      remainingMs: () => 60_000,
      safetyMarginMs: 1_000,
    });
    expect(some.bucketsDone.length).toBeGreaterThan(0);
    expect(Math.max(...some.bucketsDone)).toBeLessThan(B0 + 30 * BUCKET);
    // The cursor moves on: the rest is checked.
    stream.position = w.now();
    const rest = await runScheduledPass(schedule, scheduled(w, stream), {
      remainingMs: () => 60_000,
      safetyMarginMs: 1_000,
    });
    expect(new Set([...some.bucketsDone, ...rest.bucketsDone]).size).toBe(
      some.bucketsDone.length + rest.bucketsDone.length,
    );
    expect(some.missingFound + rest.missingFound).toBe(some.bucketsDone.length + rest.bucketsDone.length);
  });
});
