import { changeMessage } from "../../core/change-message.js";
import type { TrackingRow } from "../../core/tracking-row.js";
import type { Log } from "../ports/log.js";
import { Outbox } from "./outbox.js";
import {
  compareGroup,
  consecutiveRuns,
  deadLetteredAmong,
  MAX_GROUP_BUCKETS,
  missingIds,
  type RepairedPartition,
  stillMissing,
  waitUntilAccounted,
} from "./partition-checks.js";
import {
  type AccountedEvents,
  type ChangePublisher,
  type LakePartitions,
  NO_PASS_COUNTS,
  partitionKeyString,
  passError,
  type ReconcileMode,
  type ReconcilePassCounts,
  type ReconcilePassLog,
} from "./reconcile-ports.js";

export interface ReconcileSettings {
  readonly keyspace: string;
  readonly table: string;
  readonly shards: readonly number[];
  readonly bucketMs: number;
  /** Partitions read from the lake at once. */
  readonly concurrency: number;
  /** Most events per Kafka transaction when re-publishing. */
  readonly publishBatchRows: number;
  /** After re-publishing, wait this long at most for the aggregator to account for the rows (0 = do not wait). */
  readonly verifyTimeoutMs: number;
  readonly verifyPollMs: number;
}

export interface ReconcileDeps {
  readonly lake: LakePartitions;
  readonly accounted: AccountedEvents;
  readonly publisher: ChangePublisher;
  readonly passLog: ReconcilePassLog;
  readonly log: Log;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PassRequest {
  readonly mode: ReconcileMode;
  /** Bucket starts to check, in the order given (duplicates are checked once). */
  readonly buckets: readonly number[];
  /** The range recorded for the pass (ingest time, [fromMs, toMs)). */
  readonly fromMs: number;
  readonly toMs: number;
  /** Compare and report only: publish nothing. */
  readonly dryRun: boolean;
  /**
   * Scheduled passes: what to record as covered, given how many buckets (in the order given) were
   * fully checked; null = nothing new covered. Not called for a failed pass.
   */
  readonly coveredUntil?: (bucketsDone: number) => number | null;
  /** Polled between buckets: true = stop now and record a partial pass. */
  readonly shouldStop?: () => boolean;
  /** Called after each bucket. */
  readonly onProgress?: (p: PassProgress) => void;
}

export interface PassProgress extends ReconcilePassCounts {
  readonly bucketsDone: number;
  readonly bucketsTotal: number;
}

export interface PassReport extends ReconcilePassCounts {
  readonly passId: number;
  readonly status: "done" | "partial" | "failed";
  /** Buckets fully checked (all partitions compared and repaired), in the order checked. */
  readonly bucketsDone: readonly number[];
  /** Partitions that still differ at the end, at most 20 (for the CLI). */
  readonly driftPartitions: ReadonlyArray<{ readonly partition: string; readonly missing: number }>;
  readonly durationMs: number;
  readonly error?: string;
}

/**
 * One reconcile pass: for each (bucket, shard) partition, compare the lake with what the warehouse
 * accounted for (applied or dead-lettered event ids): counts first (one lake COUNT per partition, one
 * grouped warehouse count per bucket run), ids only for the partitions that differ, then re-publish
 * the missing rows to the change topic (op "r", origin "reconcile") in Kafka transactions. The
 * aggregator applies them through its event-id guard, so a row re-published while the streaming
 * poller or a lagging aggregator also delivers it still counts once. Finally it waits (bounded) for
 * the aggregator to account for what was re-published, and records what is still missing as drift.
 */
export async function reconcilePass(
  settings: ReconcileSettings,
  deps: ReconcileDeps,
  req: PassRequest,
): Promise<PassReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const buckets = [...new Set(req.buckets)];
  const passId = await deps.passLog.start({
    mode: req.mode,
    fromMs: req.fromMs,
    toMs: req.toMs,
    dryRun: req.dryRun,
    startedAtMs: started,
  });
  const counts = { ...NO_PASS_COUNTS };
  const done: number[] = [];
  const repaired: RepairedPartition[] = [];
  const drift = new Map<string, number>();
  let status: PassReport["status"] = "done";
  let error: string | undefined;
  const outbox = new Outbox(deps.publisher, settings.publishBatchRows);
  try {
    if (!req.dryRun && buckets.length > 0) await deps.publisher.connect();
    for (const group of consecutiveRuns(buckets, settings.bucketMs, MAX_GROUP_BUCKETS)) {
      if (req.shouldStop?.()) {
        status = "partial";
        break;
      }
      const checks = await compareGroup(settings, deps, group);
      for (const c of checks) {
        counts.partitionsChecked++;
        counts.rowsCompared += c.lakeRows;
      }
      // Partitions that differ: ids (and the missing rows) read `concurrency` partitions at a time,
      // published in order; memory holds one window's missing rows.
      const differing = checks.filter((c) => c.missing > 0);
      for (let w = 0; w < differing.length; w += settings.concurrency) {
        const window = differing.slice(w, w + settings.concurrency);
        const found = await Promise.all(
          window.map(async (c) => {
            const missing = await missingIds(deps, c.p);
            const rows: TrackingRow[] = [];
            if (!req.dryRun) {
              for (let i = 0; i < missing.length; i += 500) {
                rows.push(...(await deps.lake.rowsByIds(c.p, missing.slice(i, i + 500))));
              }
            }
            return { c, missing, rows };
          }),
        );
        for (const { c, missing, rows } of found) {
          counts.missingFound += missing.length;
          if (missing.length === 0) continue;
          if (req.dryRun) {
            drift.set(partitionKeyString(c.p), missing.length);
            continue;
          }
          const nowMs = clock();
          for (const row of rows) {
            await outbox.add(
              changeMessage(row, {
                keyspace: settings.keyspace,
                table: settings.table,
                nowMs,
                origin: "reconcile",
              }),
            );
          }
          repaired.push({ p: c.p, lakeRows: c.lakeRows, republished: rows.map((r) => r.create_time) });
        }
      }
      await outbox.flush();
      counts.republished = outbox.published;
      done.push(...group);
      req.onProgress?.({ ...counts, bucketsDone: done.length, bucketsTotal: buckets.length });
    }
    await outbox.flush();
    counts.republished = outbox.published;
    if (repaired.length > 0 && settings.verifyTimeoutMs > 0) {
      for (const [key, missing] of await waitUntilAccounted(settings, deps, repaired))
        drift.set(key, missing);
    } else if (!req.dryRun) {
      for (const [key, missing] of await stillMissing(settings, deps, repaired)) drift.set(key, missing);
    }
    counts.deadLettered = await deadLetteredAmong(deps, repaired);
  } catch (err) {
    status = "failed";
    error = passError(err);
    deps.log.error("reconcile pass failed", { passId, error });
  } finally {
    await deps.publisher.disconnect().catch(() => undefined);
  }
  counts.driftLeft = [...drift.values()].reduce((n, m) => n + m, 0);
  const end = clock();
  await deps.passLog.finish(passId, {
    ...counts,
    status,
    coveredUntilMs: status === "failed" ? null : (req.coveredUntil?.(done.length) ?? null),
    finishedAtMs: end,
    ...(error !== undefined ? { error } : {}),
  });
  return {
    passId,
    status,
    ...counts,
    bucketsDone: done,
    driftPartitions: [...drift].slice(0, 20).map(([partition, missing]) => ({ partition, missing })),
    durationMs: end - started,
    ...(error !== undefined ? { error } : {}),
  };
}
