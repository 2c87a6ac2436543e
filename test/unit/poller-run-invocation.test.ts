import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TransientError } from "../../lib/errors.js";
import { type InvocationBudget, runPollerInvocation } from "../../lib/use-cases/cdc/run-invocation.js";
import { pollerHarness, T0 } from "../support/poller-harness.js";
import { RecordingLog } from "../support/recording-log.js";

// runPollerInvocation imports its pause from node:timers/promises, whose ESM binding vitest's fake
// timers do not replace: route it to the (faked) global setTimeout.
vi.mock("node:timers/promises", async (importOriginal) => ({
  ...(await importOriginal<typeof import("node:timers/promises")>()),
  setTimeout: <T>(ms?: number, value?: T) =>
    new Promise<T | undefined>((resolve) => setTimeout(() => resolve(value), ms)),
}));

/** A Lambda-like budget: `totalMs` from now, on the (fake) wall clock. */
function budget(totalMs: number, extra: Partial<InvocationBudget> = {}): InvocationBudget {
  const deadline = Date.now() + totalMs;
  return { remainingMs: () => deadline - Date.now(), safetyMarginMs: 1_000, pollIntervalMs: 200, ...extra };
}

describe("runPollerInvocation", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A poller whose clock is the fake wall clock (Date.now). */
  const harness = (...args: Parameters<typeof pollerHarness>) =>
    pollerHarness(args[0], { now: () => Date.now() });

  it("polls every pollIntervalMs until the safety margin, then reports the invocation", async () => {
    const h = harness();
    const rows = [h.lake.insert(0, T0 - 1_000), h.lake.insert(0, T0 + 3_000)];
    const log = new RecordingLog();
    const run = runPollerInvocation(h.session, budget(10_000), log);
    await vi.advanceTimersByTimeAsync(10_000);
    const summary = await run;
    // Polls at 0, 200, …, 8800: at 9000 only the 1 s margin is left.
    expect(summary).toMatchObject({
      polls: 45,
      published: 2,
      state: "rebuilt",
      stoppedBy: "time",
      durationMs: 9_000,
    });
    expect(summary.pollDurationsMs).toHaveLength(45);
    expect(h.countsOf(rows)).toEqual([1, 1]);
    expect(log.withMessage("poll").filter((e) => e.level === "info")).toHaveLength(2);
    expect(log.withMessage("poller invocation done")[0]?.extra).toMatchObject({
      polls: 45,
      stoppedBy: "time",
    });

    // A warm invocation of the same session keeps its state.
    const again = runPollerInvocation(h.session, budget(2_000), log);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await again).toMatchObject({ state: "warm", polls: 5 });
  });

  it("polls again at once while a backlog drains", async () => {
    const h = harness({ maxBatchRows: 100 });
    for (let i = 0; i < 1_000; i++) h.lake.insert(0, T0 - 5_000 + i);
    const run = runPollerInvocation(h.session, budget(2_000), new RecordingLog());
    await vi.advanceTimersByTimeAsync(0);
    // All 10 batches (and the empty 11th) ran before any time passed.
    expect(h.kafka.events).toHaveLength(1_000);
    expect(Date.now()).toBe(T0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await run).toMatchObject({ published: 1_000, polls: 11 + 4 });
  });

  it("stops quietly when another instance fenced it", async () => {
    const h = harness();
    const log = new RecordingLog();
    const run = runPollerInvocation(h.session, budget(60_000), log);
    await vi.advanceTimersByTimeAsync(1_000);
    const newer = h.instance();
    expect(await newer.session.ensureReady()).toBe("rebuilt");
    const row = h.lake.insert(0, Date.now() - 100);
    await vi.advanceTimersByTimeAsync(200);
    const summary = await run;
    expect(summary).toMatchObject({ stoppedBy: "fenced", published: 0, polls: 6 });
    expect(log.entries.filter((e) => e.level === "warn").map((e) => e.message)).toEqual([
      "another poller instance took over these shards; this one stops",
    ]);
    await newer.session.pollOnce();
    expect(h.countsOf([row])).toEqual([1]);
  });

  it("stops on the abort signal", async () => {
    const h = harness();
    const ctrl = new AbortController();
    const run = runPollerInvocation(h.session, budget(60_000, { signal: ctrl.signal }), new RecordingLog());
    await vi.advanceTimersByTimeAsync(1_000);
    ctrl.abort();
    await vi.advanceTimersByTimeAsync(200);
    expect(await run).toMatchObject({ stoppedBy: "signal", polls: 6 });
  });

  it("lets a transient error propagate (the schedule retries; nothing was committed)", async () => {
    const h = harness();
    const run = runPollerInvocation(h.session, budget(60_000), new RecordingLog());
    const settled = expect(run).rejects.toBeInstanceOf(TransientError);
    await vi.advanceTimersByTimeAsync(1_000);
    h.lake.insert(0, Date.now() - 100);
    h.changeLog.failNextPublish("before-send");
    await vi.advanceTimersByTimeAsync(200);
    await settled;
    expect(h.kafka.events).toHaveLength(0);
  });
});
