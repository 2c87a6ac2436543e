import { dueChecks } from "../../core/reconcile/check-schedule.js";
import {
  type PassReport,
  type ReconcileDeps,
  type ReconcileSettings,
  reconcilePass,
} from "./reconcile-pass.js";

export interface ScheduleSettings {
  /** Delays after a bucket closed at which its partitions are checked, ascending (ms). */
  readonly checkDelaysMs: readonly number[];
  /** Oldest bucket start checked, as an age (ms): inside the aggregator's event-id memory. */
  readonly horizonMs: number;
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
 * until the budget runs low. What was done is recorded, so the next invocation carries on after it.
 */
export async function runScheduledPass(
  settings: ReconcileSettings & ScheduleSettings,
  deps: ReconcileDeps,
  budget: ScheduledBudget,
): Promise<PassReport> {
  const now = (deps.clock ?? Date.now)();
  const last = await deps.passLog.lastCoveredUntil();
  const after = Math.max(last ?? Number.NEGATIVE_INFINITY, now - settings.horizonMs);
  const due = dueChecks(settings.checkDelaysMs, settings.bucketMs, after, now, settings.horizonMs);
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
      if (done >= due.length) return now;
      // Checks run in due order: everything due before the first unchecked one is covered.
      const next = due[done];
      return next ? Math.max(after, next.dueAtMs - 1) : now;
    },
  });
}
