import { changeMessage } from "../../core/change-message.js";
import type { Log } from "../ports/log.js";
import {
  type ChangePublisher,
  type LakePartitions,
  NO_PASS_COUNTS,
  passError,
  type ReconcilePassLog,
} from "./reconcile-ports.js";

export interface ReplaySettings {
  readonly keyspace: string;
  readonly table: string;
  readonly bucketMs: number;
  /** Most events per Kafka transaction. */
  readonly publishBatchRows: number;
}

export interface ReplayDeps {
  readonly lake: LakePartitions;
  readonly publisher: ChangePublisher;
  readonly passLog: ReconcilePassLog;
  readonly log: Log;
  readonly clock?: () => number;
}

export interface ReplayRequest {
  /** Bucket starts of the ingest-time range, ascending. */
  readonly buckets: readonly number[];
  readonly shards: readonly number[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly onProgress?: (p: ReplayProgress) => void;
}

export interface ReplayProgress {
  readonly partitionsDone: number;
  readonly partitions: number;
  readonly published: number;
}

export interface ReplayReport {
  readonly passId: number;
  readonly status: "done" | "failed";
  readonly partitions: number;
  readonly published: number;
  readonly durationMs: number;
  readonly error?: string;
}

/**
 * `jtp replay`: re-publishes every lake row of an ingest-time range to the change topic (op "r",
 * origin "replay"), partition by partition, page by page, in Kafka transactions. The effect on the
 * warehouse is exactly once through the aggregator's event-id guard: rows already applied are
 * skipped there, so replaying an applied range changes nothing. Callers refuse ranges beyond the
 * reconciliation horizon (the guard no longer remembers those ids).
 */
export async function replayRange(
  settings: ReplaySettings,
  deps: ReplayDeps,
  req: ReplayRequest,
): Promise<ReplayReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const passId = await deps.passLog.start({
    mode: "replay",
    fromMs: req.fromMs,
    toMs: req.toMs,
    dryRun: false,
    startedAtMs: started,
  });
  const partitions = req.buckets.flatMap((bucket) => req.shards.map((shard) => ({ bucket, shard })));
  let published = 0;
  let rowsRead = 0;
  let done = 0;
  let error: string | undefined;
  try {
    await deps.publisher.connect();
    for (const p of partitions) {
      for await (const page of deps.lake.pages(p, settings.publishBatchRows)) {
        rowsRead += page.length;
        const nowMs = clock();
        await deps.publisher.publish(
          page.map((row) =>
            changeMessage(row, {
              keyspace: settings.keyspace,
              table: settings.table,
              nowMs,
              origin: "replay",
            }),
          ),
        );
        published += page.length;
      }
      done++;
      req.onProgress?.({ partitionsDone: done, partitions: partitions.length, published });
    }
  } catch (err) {
    error = passError(err);
    deps.log.error("replay failed", { passId, error });
  } finally {
    await deps.publisher.disconnect().catch(() => undefined);
  }
  const status = error === undefined ? "done" : "failed";
  const end = clock();
  await deps.passLog.finish(passId, {
    ...NO_PASS_COUNTS,
    status,
    partitionsChecked: done,
    rowsCompared: rowsRead,
    republished: published,
    coveredUntilMs: null,
    finishedAtMs: end,
    ...(error !== undefined ? { error } : {}),
  });
  return {
    passId,
    status,
    partitions: partitions.length,
    published,
    durationMs: end - started,
    ...(error !== undefined ? { error } : {}),
  };
}
