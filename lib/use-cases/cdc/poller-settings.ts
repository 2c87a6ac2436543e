import type { SweepTier } from "../../core/cdc/sweep-schedule.js";

/** What one poller session is configured with (from the CDC_* variables; see lib/config/cdc-env.ts). */
export interface PollerSettings {
  readonly keyspace: string;
  readonly table: string;
  readonly shards: readonly number[];
  readonly bucketMs: number;
  /** Rows younger than this (by create_time) are left for the next poll. */
  readonly settleMs: number;
  /** Look-back sweeps for rows that land behind the cursor (empty = none). */
  readonly sweeps: readonly SweepTier[];
  readonly maxBatchRows: number;
  readonly startFrom: number | "now";
  readonly idleCheckpointMs: number;
}
