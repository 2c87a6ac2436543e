import { z } from "zod";
import { parseSweepSchedule, type SweepTier } from "../core/cdc/sweep-schedule.js";
import { envParsed } from "./env-parsed.js";

/**
 * CDC poller settings (environment → typed). Merged into the one env schema in env-schema.ts.
 * Durations are milliseconds.
 */
const ms = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number of milliseconds")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const shardList = z
  .string()
  .trim()
  .regex(/^(all|\d+(-\d+)?(,\d+(-\d+)?)*)$/, 'must be "all" or a list like 0,1,4-7');

const sweepSchedule = envParsed(
  parseSweepSchedule,
  (problem) => `must be "none" or age:every pairs in ms such as 1000:2000,4000:20000 (${problem})`,
);

/** A variable that is no longer read. */
const replacedBy = (what: string) => z.undefined({ error: `no longer read; replaced by ${what}` }).optional();

const startFrom = z
  .string()
  .trim()
  .refine((s) => s === "now" || !Number.isNaN(Date.parse(s)), 'must be "now" or an ISO-8601 timestamp');

export const cdcEnvShape = {
  /** Shards this poller instance owns ("all", or e.g. "0-3" / "4,5"). No shard may be owned by two instances. */
  CDC_SHARDS_OWNED: shardList.default("all"),
  /** Pause between two polls inside one invocation (the original polled every 500 ms). */
  CDC_POLL_INTERVAL_MS: ms(0, 60_000).default(200),
  /** Rows younger than this (by create_time) are left for the next poll, so in-flight writes can land in order. */
  CDC_SETTLE_MS: ms(0, 60_000).default(150),
  /**
   * Look-back sweeps for rows that land behind the cursor, backing off with their age:
   * "age:every" pairs in ms (every 0 = each poll), or "none". Default: the last second every 2 s and
   * the last 4 s every 20 s (≈ 0.7 re-reads per row published). Rows no sweep catches are repaired by
   * the reconciler (docs/reconciliation.md).
   */
  CDC_SWEEP_SCHEDULE: sweepSchedule.prefault("1000:2000,4000:20000"),
  /** Most rows published in one Kafka transaction (memory stays flat while a backlog drains). */
  CDC_MAX_BATCH_ROWS: ms(1, 100_000).default(10_000),
  /** The invocation stops polling when less than this much time is left. */
  CDC_SAFETY_MARGIN_MS: ms(500, 600_000).default(5_000),
  /** With no checkpoint yet: start from "now" or from an ISO timestamp (create_time) in the past. */
  CDC_START_FROM: startFrom.default("now"),
  /** Write the cursor at least this often even when there is nothing new (bounds the restart scan). */
  CDC_IDLE_CHECKPOINT_MS: ms(100, 600_000).default(5_000),
  /** Prefix of the Kafka transactional id; the owned shards complete it, so overlapping invocations fence each other. */
  CDC_TRANSACTIONAL_ID_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be letters, digits, . _ -")
    .default("jtp-cdc"),
  // Replaced variables: a clear line instead of a silently ignored setting.
  CDC_LATE_WINDOW_MS: replacedBy("CDC_SWEEP_SCHEDULE (its longest age is the look-back)"),
  CDC_LATE_SWEEP_MS: replacedBy("CDC_SWEEP_SCHEDULE"),
  CDC_RECENT_SWEEP_MS: replacedBy("CDC_SWEEP_SCHEDULE"),
  CDC_AUDIT_DELAY_MS: replacedBy("the reconciler (RECONCILE_*), which finds rows beyond the sweeps"),
  CDC_FAULT_INJECTION: replacedBy("`jtp poll --kill-before-commit N` (test-only, not in the Lambda)"),
  CDC_FAULT_AFTER_TXNS: replacedBy("`jtp poll --kill-before-commit N`"),
} as const;

export interface CdcConfig {
  /** Undefined = all shards. */
  readonly shardsOwned: readonly number[];
  readonly pollIntervalMs: number;
  readonly settleMs: number;
  readonly sweeps: readonly SweepTier[];
  readonly maxBatchRows: number;
  readonly safetyMarginMs: number;
  /** Epoch ms, or "now". */
  readonly startFrom: number | "now";
  readonly idleCheckpointMs: number;
  readonly transactionalIdPrefix: string;
}

export function parseShardList(spec: string, totalShards: number): number[] {
  if (spec === "all") return Array.from({ length: totalShards }, (_, i) => i);
  const out = new Set<number>();
  for (const part of spec.split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined) continue;
    for (let s = a; s <= (b ?? a); s++) out.add(s);
  }
  return [...out].sort((x, y) => x - y);
}
