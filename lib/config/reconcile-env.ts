import { z } from "zod";
import { type SweepTier, streamingWindowMs } from "../core/cdc/sweep-schedule.js";
import { parseCheckDelays, parseDuration } from "../core/reconcile/check-schedule.js";
import type { EnvIssue } from "./env-issue.js";
import { envParsed } from "./env-parsed.js";

/**
 * Reconciler and replay settings (environment → typed). Merged into the one env schema in
 * env-schema.ts; how they fit with the poller's and the aggregator's settings is checked by
 * `reconcileIssues`. Durations accept units: 250ms, 90s, 10m, 1h30m, or plain milliseconds.
 */
const duration = (min: number, max: number) =>
  envParsed(parseDuration).pipe(
    z.number().int().min(min, `must be at least ${min} ms`).max(max, `must be at most ${max} ms`),
  );

const delays = envParsed(
  parseCheckDelays,
  (problem) => `must be increasing delays such as 1m,10m,1h,6h,23h (${problem})`,
);

const count = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

export const reconcileEnvShape = {
  /** Delays after a lake bucket closed at which the reconciler checks its partitions. */
  RECONCILE_CHECK_DELAYS: delays.prefault("1m,10m,1h,6h,23h"),
  /**
   * Oldest bucket the reconciler (and a replay without --rebuild) touches, as an age. Must stay at
   * least 30 min inside AGG_DEDUP_WINDOW_HOURS, for which applied event ids are remembered.
   */
  RECONCILE_HORIZON: duration(60_000, 90 * 86_400_000).prefault("23h30m"),
  /** Lake partitions read at once. */
  RECONCILE_CONCURRENCY: count(1, 64).default(8),
  /** Most events per Kafka transaction when re-publishing. */
  RECONCILE_PUBLISH_BATCH_ROWS: count(1, 100_000).default(5_000),
  /** After re-publishing, how long a pass waits at most for the aggregator to account for the rows. */
  RECONCILE_VERIFY_TIMEOUT: duration(0, 3_600_000).prefault("60s"),
  /** The scheduled function stops starting new buckets when less than this much time is left. */
  RECONCILE_SAFETY_MARGIN: duration(1_000, 600_000).prefault("90s"),
  /**
   * Scheduled checks wait while more change events than this wait for the aggregator (the rows a
   * check would find missing may be in flight; re-publishing them would only add load).
   */
  RECONCILE_MAX_STREAM_BACKLOG: count(0, 100_000_000).default(5_000),
  /** Kafka transactional id of the reconciler (one per keyspace is derived from it): a second instance fences the first. */
  RECONCILE_TRANSACTIONAL_ID_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be letters, digits, . _ -")
    .default("jtp-reconciler"),
} as const;

export interface ReconcileConfig {
  readonly checkDelaysMs: readonly number[];
  readonly horizonMs: number;
  readonly concurrency: number;
  readonly publishBatchRows: number;
  readonly verifyTimeoutMs: number;
  readonly safetyMarginMs: number;
  readonly maxStreamBacklog: number;
  readonly transactionalIdPrefix: string;
}

/** The margin between the horizon and the aggregator's event-id memory: a re-published row must be applied before its first copy's id is pruned. */
export const HORIZON_MARGIN_MS = 30 * 60_000;

interface ReconcileEnv {
  readonly RECONCILE_CHECK_DELAYS: readonly number[];
  readonly RECONCILE_HORIZON: number;
  readonly AGG_DEDUP_WINDOW_HOURS: number;
  readonly CASSANDRA_BUCKET_SECONDS: number;
  readonly CDC_SWEEP_SCHEDULE: readonly SweepTier[];
  readonly CDC_SETTLE_MS: number;
}

/** Combinations that cannot work, one issue each. */
export function reconcileIssues(e: ReconcileEnv): EnvIssue[] {
  const issues: EnvIssue[] = [];
  const windowMs = e.AGG_DEDUP_WINDOW_HOURS * 3_600_000;
  if (e.RECONCILE_HORIZON > windowMs - HORIZON_MARGIN_MS) {
    issues.push({
      variable: "RECONCILE_HORIZON",
      message: `must be at least 30m shorter than AGG_DEDUP_WINDOW_HOURS (${e.AGG_DEDUP_WINDOW_HOURS}h): beyond it a re-published row could be counted twice`,
    });
  }
  const lastDelay = e.RECONCILE_CHECK_DELAYS.at(-1) ?? 0;
  const bucketMs = e.CASSANDRA_BUCKET_SECONDS * 1000;
  if (lastDelay + bucketMs > e.RECONCILE_HORIZON) {
    issues.push({
      variable: "RECONCILE_CHECK_DELAYS",
      message: "the last delay plus one bucket (CASSANDRA_BUCKET_SECONDS) must fit inside RECONCILE_HORIZON",
    });
  }
  const firstDelay = e.RECONCILE_CHECK_DELAYS[0] ?? 0;
  const streaming = streamingWindowMs(e.CDC_SWEEP_SCHEDULE, e.CDC_SETTLE_MS);
  if (firstDelay < streaming) {
    issues.push({
      variable: "RECONCILE_CHECK_DELAYS",
      message: `the first delay must be at least the poller's look-back plus settle delay (${streaming} ms): earlier, rows are still the streaming poller's`,
    });
  }
  return issues;
}
