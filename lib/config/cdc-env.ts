import { z } from "zod";

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
  /** Late-row bound: a row that becomes visible up to this long after its create_time is still published once. */
  CDC_LATE_WINDOW_MS: ms(0, 600_000).default(10_000),
  /** How often the late-row window is re-read (a late row is published at most this long after it becomes visible). */
  CDC_LATE_SWEEP_MS: ms(100, 600_000).default(2_000),
  /** The most recent part of the late window, re-read on every poll (0 = off). */
  CDC_RECENT_SWEEP_MS: ms(0, 600_000).default(1_000),
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
  /** A second of rows is counted again this long after leaving the late window; excess = rows beyond the bound (reported). */
  CDC_AUDIT_DELAY_MS: ms(0, 3_600_000).default(30_000),
  /** Test-only fault injection: SIGKILL the poller process after sending a batch, before committing it. */
  CDC_FAULT_INJECTION: z
    .enum(["none", "kill-before-commit"], 'must be "none" or "kill-before-commit"')
    .default("none"),
  /** With fault injection: which transaction (1 = the first with events) gets killed. */
  CDC_FAULT_AFTER_TXNS: ms(1, 1_000_000).default(1),
} as const;

export interface CdcConfig {
  /** Undefined = all shards. */
  readonly shardsOwned: readonly number[];
  readonly pollIntervalMs: number;
  readonly settleMs: number;
  readonly lateWindowMs: number;
  readonly lateSweepMs: number;
  readonly recentSweepMs: number;
  readonly maxBatchRows: number;
  readonly safetyMarginMs: number;
  /** Epoch ms, or "now". */
  readonly startFrom: number | "now";
  readonly idleCheckpointMs: number;
  readonly auditDelayMs: number;
  readonly transactionalIdPrefix: string;
  readonly faultInjection: { readonly mode: "none" | "kill-before-commit"; readonly afterTxns: number };
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
