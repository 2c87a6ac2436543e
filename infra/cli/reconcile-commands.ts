import { Logger } from "@aws-lambda-powertools/logger";
import {
  createReconciler,
  type ReconcilerRuntimeWithPool,
  requireEventIdGuard,
} from "../../functions/reconciler/dependencies.js";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { MysqlJobCompanyLookup } from "../../lib/adapters/mysql/job-company-lookup.js";
import { MysqlWarehouseRebuild } from "../../lib/adapters/mysql/warehouse-rebuild.js";
import { type Config, loadConfig } from "../../lib/config/index.js";
import { bucketsBetween, closedBucketsBetween } from "../../lib/core/cdc/buckets.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import { ReconcileRefusedError } from "../../lib/errors.js";
import { rebuildHours } from "../../lib/use-cases/reconcile/rebuild-hours.js";
import { type PassReport, reconcilePass } from "../../lib/use-cases/reconcile/reconcile-pass.js";
import { NO_PASS_COUNTS, passError } from "../../lib/use-cases/reconcile/reconcile-ports.js";
import { replayRange } from "../../lib/use-cases/reconcile/replay-range.js";

/** Progress lines at most this often. */
const PROGRESS_EVERY_MS = 2_000;

export interface RangeOptions {
  /** ISO instants; undefined = the default of the command. */
  readonly from?: string;
  readonly to?: string;
}

export interface ReconcileCommandOptions extends RangeOptions {
  readonly dryRun: boolean;
  /** Wait for the aggregator to account for what was re-published (default RECONCILE_VERIFY_TIMEOUT). */
  readonly wait: boolean;
  readonly json: boolean;
}

export interface ReplayCommandOptions extends RangeOptions {
  readonly shards?: string;
  /** Recompute the warehouse hours [from, to) from the lake instead of re-publishing (any age). */
  readonly rebuild: boolean;
  readonly maxLatenessMs: number;
}

const quietLog = powertoolsLog(new Logger({ serviceName: "jtp-cli", logLevel: "WARN" }));

function parseInstant(name: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ReconcileRefusedError(
      `--${name} "${value}" is not an ISO-8601 instant (e.g. 2026-12-01T10:00:00Z)`,
    );
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function throttled(print: (line: string) => void): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last >= PROGRESS_EVERY_MS) {
      last = now;
      print(line);
    }
  };
}

/** Buckets of [fromMs, toMs) that are inside the horizon and have left the streaming window. */
function checkableBuckets(
  config: Config,
  rt: ReconcilerRuntimeWithPool,
  fromMs: number,
  toMs: number,
  now: number,
) {
  const bucketMs = rt.settings.bucketMs;
  if (fromMs < now - config.reconcile.horizonMs) {
    throw new ReconcileRefusedError(
      `--from ${iso(fromMs)} is beyond the reconciliation horizon (RECONCILE_HORIZON, ${Math.round(config.reconcile.horizonMs / 60_000)} min): the aggregator no longer remembers which of those rows it applied. Use \`jtp replay --rebuild\` to recompute those hours.`,
    );
  }
  return closedBucketsBetween(fromMs, toMs, bucketMs, now - rt.settings.streamingMs);
}

/** `jtp reconcile`: one pass over an ingest-time range (default: the whole horizon up to now). */
export async function reconcileCommand(o: ReconcileCommandOptions): Promise<PassReport> {
  const base = loadConfig();
  const config: Config = o.wait ? base : { ...base, reconcile: { ...base.reconcile, verifyTimeoutMs: 0 } };
  requireEventIdGuard(config);
  const rt = createReconciler(config, quietLog, { role: "cli" });
  try {
    const now = Date.now();
    const fromMs = o.from ? parseInstant("from", o.from) : now - config.reconcile.horizonMs + 60_000;
    const toMs = o.to ? parseInstant("to", o.to) : now;
    if (toMs <= fromMs) throw new ReconcileRefusedError("--to must be after --from");
    const { buckets, skipped } = checkableBuckets(config, rt, fromMs, toMs, now);
    const say = (line: string) => process.stdout.write(`${line}\n`);
    say(
      `[reconcile] ${iso(fromMs)} .. ${iso(toMs)}: ${buckets.length} buckets × ${rt.settings.shards.length} shards${o.dryRun ? " (dry run: nothing is published)" : ""}` +
        (skipped > 0 ? `; ${skipped} bucket(s) still in the streaming window are left to the poller` : ""),
    );
    const progress = throttled(say);
    const report = await reconcilePass(rt.settings, rt.deps, {
      mode: "cli",
      buckets,
      fromMs,
      toMs,
      dryRun: o.dryRun,
      onProgress: (p) =>
        progress(
          `[reconcile] ${p.bucketsDone}/${p.bucketsTotal} buckets, ${p.partitionsChecked} partitions, ${p.rowsCompared} rows compared, ${p.missingFound} missing, ${p.republished} re-published`,
        ),
    });
    if (o.json) say(JSON.stringify(report));
    say(
      `[reconcile] pass ${report.passId} ${report.status} in ${(report.durationMs / 1000).toFixed(1)} s: ${report.partitionsChecked} partitions, ${report.rowsCompared} rows compared, ${report.missingFound} missing, ${report.republished} re-published, drift left ${report.driftLeft}`,
    );
    for (const d of report.driftPartitions)
      say(`  still missing: partition ${d.partition}: ${d.missing} row(s)`);
    if (report.status === "failed") process.exitCode = 1;
    else if (report.driftLeft > 0 && !o.dryRun) {
      say(
        "[reconcile] drift left: the aggregator had not applied every re-published row when the pass stopped waiting (is it running? see `jtp status`); the next pass checks again",
      );
      process.exitCode = 2;
    }
    return report;
  } finally {
    await rt.close();
  }
}

function parseShards(spec: string | undefined, total: number): number[] {
  if (spec === undefined || spec === "all") return Array.from({ length: total }, (_, i) => i);
  const out = new Set<number>();
  for (const part of spec.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m?.[1]) throw new ReconcileRefusedError(`--shards "${spec}" must be "all" or a list like 0,1,4-7`);
    for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) {
      if (s >= total)
        throw new ReconcileRefusedError(`--shards: shard ${s} does not exist (CASSANDRA_SHARDS=${total})`);
      out.add(s);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** `jtp replay`: re-publish an ingest-time range (inside the horizon), or `--rebuild` warehouse hours (any age). */
export async function replayCommand(o: ReplayCommandOptions): Promise<void> {
  const config = loadConfig();
  if (!o.from || !o.to) throw new ReconcileRefusedError("replay needs --from and --to (ISO-8601 instants)");
  const fromMs = parseInstant("from", o.from);
  const toMs = parseInstant("to", o.to);
  if (toMs <= fromMs) throw new ReconcileRefusedError("--to must be after --from");
  const shards = parseShards(o.shards, config.cassandra.shards);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const progress = throttled(say);
  if (o.rebuild) {
    // The operator's tool: the admin account (the Lambdas' writer may not delete fact rows).
    const rt = createReconciler(config, quietLog, { role: "rebuild", account: config.mysql.admin });
    try {
      say(
        `[rebuild] warehouse hours ${iso(fromMs)} .. ${iso(toMs)} from the lake (lateness up to ${o.maxLatenessMs} ms)`,
      );
      const started = Date.now();
      const passId = await rt.deps.passLog.start({
        mode: "rebuild",
        fromMs,
        toMs,
        dryRun: false,
        startedAtMs: started,
      });
      try {
        const r = await rebuildHours(
          { fromMs, toMs, shards },
          {
            lake: rt.deps.lake,
            rebuild: new MysqlWarehouseRebuild(rt.pool, {
              upsertChunkRows: config.aggregator.upsertChunkRows,
            }),
            jobs: new MysqlJobCompanyLookup(rt.pool),
            bucketer: hourBucketer(config.reportingTimeZone),
            options: { maxLatenessMs: o.maxLatenessMs, bucketMs: rt.settings.bucketMs },
            onProgress: (p) =>
              progress(`[rebuild] ${p.partitionsDone}/${p.partitions} partitions read, ${p.rowsRead} rows`),
          },
        );
        await rt.deps.passLog.finish(passId, {
          ...NO_PASS_COUNTS,
          status: "done",
          partitionsChecked: r.partitionsRead,
          rowsCompared: r.rowsRead,
          deadLettered: r.skippedInvalid,
          coveredUntilMs: null,
          finishedAtMs: Date.now(),
        });
        say(
          `[rebuild] pass ${passId} done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.hours} hour(s) replaced (${r.deletedRows} fact rows deleted, ${r.insertedRows} inserted) from ${r.rowsInRange} lake rows (${r.rowsRead} read, ${r.skippedInvalid} invalid skipped)`,
        );
      } catch (err) {
        await rt.deps.passLog.finish(passId, {
          ...NO_PASS_COUNTS,
          status: "failed",
          coveredUntilMs: null,
          finishedAtMs: Date.now(),
          error: passError(err),
        });
        throw err;
      }
    } finally {
      await rt.close();
    }
    return;
  }
  requireEventIdGuard(config);
  if (fromMs < Date.now() - config.reconcile.horizonMs) {
    throw new ReconcileRefusedError(
      `--from ${iso(fromMs)} is beyond the reconciliation horizon (RECONCILE_HORIZON): the aggregator no longer remembers which of those rows it applied, so a replay could count them twice. To recompute those warehouse hours from the lake instead, add --rebuild (see docs/reconciliation.md).`,
    );
  }
  const rt = createReconciler(config, quietLog, { role: "replay" });
  try {
    const buckets = bucketsBetween(fromMs, toMs - 1, rt.settings.bucketMs);
    say(`[replay] ${iso(fromMs)} .. ${iso(toMs)}: ${buckets.length} buckets × ${shards.length} shards`);
    const report = await replayRange(
      { ...rt.settings, publishBatchRows: rt.settings.publishBatchRows },
      { lake: rt.deps.lake, publisher: rt.deps.publisher, passLog: rt.deps.passLog, log: quietLog },
      {
        buckets,
        shards,
        fromMs,
        toMs,
        onProgress: (p) =>
          progress(`[replay] ${p.partitionsDone}/${p.partitions} partitions, ${p.published} published`),
      },
    );
    say(
      `[replay] pass ${report.passId} ${report.status} in ${(report.durationMs / 1000).toFixed(1)} s: ${report.published} rows re-published from ${report.partitions} partitions (applied exactly once by the aggregator's event-id guard)`,
    );
    if (report.status === "failed") {
      say(`[replay] failed: ${report.error}`);
      process.exitCode = 1;
    }
  } finally {
    await rt.close();
  }
}
