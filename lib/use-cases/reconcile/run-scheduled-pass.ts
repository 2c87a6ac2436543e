import { dueChecks } from "../../core/reconcile/check-schedule.js";
import {
  type PassReport,
  type ReconcileDeps,
  type ReconcileSettings,
  reconcilePass,
} from "./reconcile-pass.js";
import type { StreamProgress } from "./reconcile-ports.js";

export interface ScheduleSettings {
  /** Delays after a bucket closed at which its partitions are checked, ascending (ms). */
  readonly checkDelaysMs: readonly number[];
  /** Oldest bucket start checked, as an age (ms): inside the aggregator's event-id memory. */
  readonly horizonMs: number;
  /** The poller's look-back + settle delay: a bucket is the stream's until its cursor passed the bucket's end by this. */
  readonly streamingMs: number;
  /** Above this many change events waiting for the aggregator, checks wait (the rows may be in flight). */
  readonly maxStreamBacklog: number;
}

export interface ScheduledBudget {
  /** Milliseconds left in this invocation (Lambda: context.getRemainingTimeInMillis). */
  readonly remainingMs: () => number;
  /** Stop starting new buckets when less than this is left. */
  readonly safetyMarginMs: number;
}

/**
 * One scheduled reconcile invocation: every check that fell due since the last recorded one
 * (checkpoint: reconcile_passes.covered_until_ms; first run: the whole horizon), oldest due first,
 * until the budget runs low, and none the stream is still delivering (StreamProgress). What was
 * done is recorded, so the next invocation carries on after it.
 */
export async function runScheduledPass(
  settings: ReconcileSettings & ScheduleSettings,
  deps: ReconcileDeps & { readonly stream: StreamProgress },
  budget: ScheduledBudget,
): Promise<PassReport> {
  const now = (deps.clock ?? Date.now)();
  const last = await deps.passLog.lastCoveredUntil();
  const after = Math.max(last ?? Number.NEGATIVE_INFINITY, now - settings.horizonMs);
  const allDue = dueChecks(settings.checkDelaysMs, settings.bucketMs, after, now, settings.horizonMs);
  // Checks wait while the stream is behind: buckets its cursor has not passed, or everything while
  // the aggregator has a backlog (the missing rows may be in flight). Later passes catch up.
  const [position, backlog] = await Promise.all([
    deps.stream.pollerPositionMs(),
    deps.stream.aggregatorBacklog(),
  ]);
  const ready = (bucket: number) =>
    backlog <= settings.maxStreamBacklog &&
    (position === undefined || bucket + settings.bucketMs + settings.streamingMs <= position);
  const firstWaiting = allDue.findIndex((d) => !ready(d.bucket));
  const due = firstWaiting < 0 ? allDue : allDue.slice(0, firstWaiting);
  const waitingFrom = firstWaiting < 0 ? undefined : allDue[firstWaiting];
  if (waitingFrom) {
    deps.log.info("reconcile checks wait for the stream", {
      waiting: allDue.length - due.length,
      aggregatorBacklog: backlog,
      maxStreamBacklog: settings.maxStreamBacklog,
      pollerPositionMs: position,
    });
  }
  const buckets = due.map((d) => d.bucket);
  const fromMs = buckets.length > 0 ? Math.min(...buckets) : now;
  const toMs = buckets.length > 0 ? Math.max(...buckets) + settings.bucketMs : now;
  return reconcilePass(settings, deps, {
    mode: "scheduled",
    buckets,
    fromMs,
    toMs,
    dryRun: false,
    shouldStop: () => budget.remainingMs() < budget.safetyMarginMs,
    coveredUntil: (done) => {
      if (done >= due.length) return waitingFrom ? Math.max(after, waitingFrom.dueAtMs - 1) : now;
      // Checks run in due order: everything due before the first unchecked one is covered.
      const next = due[done];
      return next ? Math.max(after, next.dueAtMs - 1) : now;
    },
  });
}
