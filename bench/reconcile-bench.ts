/**
 * Reconciler benchmark (a script, not a test): how long a reconcile pass takes over a day of lake
 * rows, without drift and with some rows missing from the warehouse, and how long the repair takes.
 *
 *   npm run bench:reconcile -- [--rows 1000000] [--hours 24] [--missing-percent 1] [--concurrency 8]
 *                              [--lake-concurrency 8,32] [--no-breakdown] [--verify-timeout 600] [--keep]
 *
 * Everything runs isolated (isolatedRun): its own keyspace (4 shards, 60 s buckets), topics and
 * warehouse database, dropped at the end unless --keep. Steps:
 *  0. (not measured) `--rows` rows spread evenly over `--hours` hours of buckets ending 5 min ago
 *     (inside the horizon: the bench sets RECONCILE_HORIZON and AGG_DEDUP_WINDOW_HOURS to cover
 *     them), each event id also in processed_events as the aggregator would have left it.
 *  1. pass over every bucket of the day, nothing missing: time, partitions, rows compared, rows/s,
 *     CPU of Cassandra / MariaDB / this process; breakdown (unless --no-breakdown): the lake counts
 *     alone (at several concurrencies) and the warehouse counts alone; after the ids are forgotten,
 *     the repair path alone (ids and rows of the partitions that differ), serially as the pass does
 *     it and `--concurrency` partitions at once.
 *  2. `--missing-percent` % of the ids forgotten; with the aggregator running in-process on the
 *     bench's topic, a pass re-publishes the missing rows and waits (RECONCILE_VERIFY_TIMEOUT =
 *     `--verify-timeout`) until the warehouse accounted for them: time to re-publish, time to repair.
 *  3. a third pass: nothing may be missing; breakdown: one poll of the verify wait alone (one
 *     warehouse count per bucket, as the pass polls).
 * Exit code 1 when a check fails (drift found where there is none, rows not repaired).
 */

import { loadavg } from "node:os";
import { Logger } from "@aws-lambda-powertools/logger";
import { InvalidArgumentError } from "commander";
import type { Pool } from "mysql2/promise";
import { createReconciler, type ReconcilerRuntime } from "../functions/reconciler/dependencies.js";
import { dropIsolatedRun, isolatedRun } from "../infra/local/isolated-run.js";
import { migrateCassandra } from "../infra/migrate/migrate-cassandra.js";
import { migrateKafka } from "../infra/migrate/migrate-kafka.js";
import { migrateMysql } from "../infra/migrate/migrate-mysql.js";
import { createCassandraClient } from "../lib/adapters/cassandra/connection.js";
import { powertoolsLog } from "../lib/adapters/logging/powertools-log.js";
import { createMysqlPool } from "../lib/adapters/mysql/connection.js";
import type { Config } from "../lib/config/index.js";
import { bucketStart, bucketsBetween } from "../lib/core/cdc/buckets.js";
import {
  type PassReport,
  type ReconcileSettings,
  reconcilePass,
} from "../lib/use-cases/reconcile/reconcile-pass.js";
import {
  type BenchAggregator,
  BRIDGE_BATCH_SIZE,
  BRIDGE_BATCHING_WINDOW_MS,
  startAggregator,
} from "./reconcile-bench-aggregator.js";
import { measureBreakdown, measureRepairPath, measureVerifyPoll } from "./reconcile-bench-breakdown.js";
import { cpuMeter } from "./reconcile-bench-cpu.js";
import { accountedIds, forgetAccounted, writeDay } from "./reconcile-bench-day.js";
import { runScript, startNeededServers } from "./run-script.js";
import { positiveInt, positiveIntList, scriptProgram } from "./script-args.js";

const percent = (value: string): number => {
  const n = positiveInt(value);
  if (n > 100) throw new InvalidArgumentError("expected a whole number from 1 to 100.");
  return n;
};
const hoursArg = (value: string): number => {
  const n = positiveInt(value);
  if (n > 48) throw new InvalidArgumentError("expected a whole number of hours from 1 to 48.");
  return n;
};

interface Options {
  rows: number;
  hours: number;
  missingPercent: number;
  concurrency: number;
  lakeConcurrency: number[];
  breakdown: boolean;
  verifyTimeout: number;
  keep: boolean;
}

const opts = scriptProgram(
  "bench:reconcile",
  "reconcile passes over a day of lake rows: no drift, then some rows missing (time to repair)",
)
  .option("--rows <n>", "lake rows in the day", positiveInt, 1_000_000)
  .option("--hours <n>", "hours of 60 s buckets the rows are spread over (ending 5 min ago)", hoursArg, 24)
  .option("--missing-percent <n>", "% of the event ids forgotten before pass 2", percent, 1)
  .option("--concurrency <n>", "RECONCILE_CONCURRENCY: lake partitions counted at once", positiveInt, 8)
  .option(
    "--lake-concurrency <list>",
    "breakdown: lake counts alone at these concurrencies",
    positiveIntList,
    [8, 32],
  )
  .option(
    "--no-breakdown",
    "skip the timings of the parts (lake counts, warehouse counts, repair path, verify poll)",
  )
  .option(
    "--verify-timeout <s>",
    "RECONCILE_VERIFY_TIMEOUT for pass 2, seconds (how long it waits for the repair)",
    positiveInt,
    600,
  )
  .option("--keep", "keep the keyspace, topics and database (default: dropped)", false)
  .parse()
  .opts<Options>();

const SHARDS = 4;
const BUCKET_SECONDS = 60;
const HOUR_MS = 3_600_000;
/** Job ids of the bench's rows: a block nobody else uses. */
const FIRST_JOB_ID = 2_000_000_000 - 100_000;
const JOBS = 1_000;
/** The verify wait's poll interval (the wiring's 1 s would round the repair time up to a second). */
const VERIFY_POLL_MS = 250;

const say = (s: string) => console.log(`[bench:reconcile] ${s}`);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const sec = (ms: number) => (ms / 1000).toFixed(2);

const warnLog = powertoolsLog(new Logger({ serviceName: "reconcile-bench", logLevel: "WARN" }));

/** The horizon covers the whole day (and keeps the default check schedule valid). */
const horizonHours = (o: Options) => Math.max(24, o.hours + 1);

function benchEnv(o: Options): Record<string, string> {
  // The dedup window stays 1 h beyond the horizon, as the config requires.
  const horizon = horizonHours(o);
  return {
    CASSANDRA_SHARDS: String(SHARDS),
    CASSANDRA_BUCKET_SECONDS: String(BUCKET_SECONDS),
    RECONCILE_HORIZON: `${horizon}h`,
    AGG_DEDUP_WINDOW_HOURS: String(horizon + 1),
    RECONCILE_CONCURRENCY: String(o.concurrency),
    RECONCILE_VERIFY_TIMEOUT: `${o.verifyTimeout}s`,
  };
}

/** One pass over `buckets`; `onBucketsDone` gets the time (epoch ms) each run of buckets finished. */
function pass(
  rt: ReconcilerRuntime,
  settings: ReconcileSettings,
  buckets: readonly number[],
  day: { fromMs: number; toMs: number },
  onBucketsDone?: (atMs: number) => void,
): Promise<PassReport> {
  return reconcilePass(settings, rt.deps, {
    mode: "cli",
    buckets,
    fromMs: day.fromMs,
    toMs: day.toMs,
    dryRun: false,
    onProgress: () => onBucketsDone?.(Date.now()),
  });
}

function passLine(name: string, r: PassReport): string {
  return (
    `${name}: ${r.status} in ${sec(r.durationMs)} s; ${fmt(r.partitionsChecked)} partitions, ` +
    `${fmt(r.rowsCompared)} rows compared (${fmt(r.rowsCompared / (r.durationMs / 1000))} rows/s), ` +
    `missing ${fmt(r.missingFound)}, re-published ${fmt(r.republished)}, drift left ${fmt(r.driftLeft)}` +
    (r.error ? `; error: ${r.error}` : "")
  );
}

async function prepare(config: Config, pool: Pool, day: { fromMs: number; toMs: number }): Promise<void> {
  const client = createCassandraClient(config);
  const started = performance.now();
  let lastSaid = started;
  try {
    await writeDay(
      client,
      pool,
      {
        rows: opts.rows,
        fromMs: day.fromMs,
        toMs: day.toMs,
        shards: SHARDS,
        bucketMs: BUCKET_SECONDS * 1000,
        firstJobId: FIRST_JOB_ID,
        jobs: JOBS,
        seed: 20261201,
        writeConcurrency: 16,
      },
      (done) => {
        const now = performance.now();
        if (now - lastSaid < 10_000 && done < opts.rows) return;
        lastSaid = now;
        say(
          `  prepared ${fmt(done)} / ${fmt(opts.rows)} rows (${fmt(done / ((now - started) / 1000))} rows/s)`,
        );
      },
    );
  } finally {
    await client.shutdown().catch(() => undefined);
  }
  const ms = performance.now() - started;
  say(
    `prepared (not measured): ${fmt(opts.rows)} lake rows + their event ids in processed_events in ${sec(ms)} s ` +
      `(${fmt(opts.rows / (ms / 1000))} rows/s)`,
  );
}

async function main(): Promise<number> {
  await startNeededServers(["cassandra", "kafka", "mariadb"]);
  const { config } = isolatedRun("jtp_reconbench", benchEnv(opts));
  const bucketMs = BUCKET_SECONDS * 1000;
  const toMs = bucketStart(Date.now() - 5 * 60_000, bucketMs);
  const day = { fromMs: toMs - opts.hours * HOUR_MS, toMs };
  const buckets = bucketsBetween(day.fromMs, day.toMs - 1, bucketMs);
  say(
    `keyspace/database ${config.cassandra.keyspace}: ${fmt(opts.rows)} rows over ${buckets.length} buckets ` +
      `× ${SHARDS} shards (${new Date(day.fromMs).toISOString()} … ${new Date(day.toMs).toISOString()}), ` +
      `RECONCILE_CONCURRENCY ${opts.concurrency}, RECONCILE_HORIZON ${horizonHours(opts)}h, ` +
      `AGG_DEDUP_WINDOW_HOURS ${horizonHours(opts) + 1}; CPU is shared with whatever else runs on this machine ` +
      `(load average now ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")})`,
  );
  const quiet = () => undefined;
  let admin: Pool | undefined;
  let rt: ReconcilerRuntime | undefined;
  let aggregator: BenchAggregator | undefined;
  const failures: string[] = [];
  try {
    await migrateMysql(config, quiet);
    await migrateCassandra(config, quiet);
    await migrateKafka(config, quiet);
    admin = createMysqlPool(config, config.mysql.admin, { connectionLimit: 4 });
    await prepare(config, admin, day);

    rt = createReconciler(config, warnLog);
    const settings: ReconcileSettings = { ...rt.settings, verifyPollMs: VERIFY_POLL_MS };
    const cpu = cpuMeter(config);

    // Pass 1: no drift.
    say("pass 1: no drift");
    cpu.start();
    const p1 = await pass(rt, settings, buckets, day);
    const p1Cpu = cpu.stop(p1.durationMs);
    say(passLine("pass 1", p1));
    say(`  CPU during pass 1: ${p1Cpu}`);
    if (p1.status !== "done" || p1.missingFound !== 0 || p1.rowsCompared !== opts.rows)
      failures.push(`pass 1 found drift or failed: ${passLine("pass 1", p1)}`);

    const breakdown = opts.breakdown
      ? await measureBreakdown(rt, settings, buckets, opts.lakeConcurrency, cpu, say)
      : [];

    // Pass 2: some rows missing, the aggregator running.
    const forgotten = await forgetAccounted(admin, opts.missingPercent);
    say(
      `pass 2: forgot ${fmt(forgotten)} event ids (${opts.missingPercent} %); aggregator running in-process ` +
        `(event source mapping stand-in: batch ${BRIDGE_BATCH_SIZE}, window ${BRIDGE_BATCHING_WINDOW_MS} ms)`,
    );
    if (opts.breakdown)
      breakdown.push(...(await measureRepairPath(rt, settings, buckets, [1, opts.concurrency], cpu, say)));
    aggregator = await startAggregator(config, warnLog);
    let publishedAt = 0;
    const p2Start = Date.now();
    cpu.start();
    const p2 = await pass(rt, settings, buckets, day, (at) => {
      publishedAt = at;
    });
    const p2Cpu = cpu.stop(p2.durationMs);
    const republishMs = publishedAt - p2Start;
    const repairMs = p2.durationMs;
    const applied = aggregator.applied();
    say(passLine("pass 2", p2));
    say(
      `  re-published ${fmt(p2.republished)} rows ${sec(republishMs)} s after the start (compare + publish); ` +
        `accounted again ${sec(repairMs)} s after the start (aggregator delivered ${fmt(applied.records)} ` +
        `records, its last batch returned ${sec(applied.lastAtMs - p2Start)} s after the start)`,
    );
    say(`  CPU during pass 2: ${p2Cpu}`);
    if (p2.missingFound !== forgotten || p2.republished !== forgotten || p2.driftLeft !== 0)
      failures.push(`pass 2 did not repair the ${forgotten} forgotten rows: ${passLine("pass 2", p2)}`);

    // Pass 3: nothing left.
    const p3 = await pass(rt, settings, buckets, day);
    say(passLine("pass 3", p3));
    if (p3.status !== "done" || p3.missingFound !== 0) failures.push(`pass 3 still found rows missing`);
    if (opts.breakdown) breakdown.push(await measureVerifyPoll(rt, settings, buckets, cpu, say));
    const accounted = await accountedIds(admin);
    if (accounted !== opts.rows)
      failures.push(`processed_events holds ${accounted} ids after the repair, expected ${opts.rows}`);

    console.log("");
    say(`summary (${fmt(opts.rows)} rows, ${buckets.length * SHARDS} partitions):`);
    console.table([
      {
        step: "pass 1 (no drift)",
        "time s": Number(sec(p1.durationMs)),
        "rows/s": Math.round(p1.rowsCompared / (p1.durationMs / 1000)),
        missing: p1.missingFound,
        "re-published": p1.republished,
      },
      {
        step: `pass 2: compare + re-publish (${opts.missingPercent} % missing)`,
        "time s": Number(sec(republishMs)),
        "rows/s": Math.round(p2.rowsCompared / (republishMs / 1000)),
        missing: p2.missingFound,
        "re-published": p2.republished,
      },
      {
        step: "pass 2: until accounted again (time to repair)",
        "time s": Number(sec(repairMs)),
        "rows/s": Math.round(p2.rowsCompared / (repairMs / 1000)),
        missing: p2.driftLeft,
        "re-published": p2.republished,
      },
      {
        step: "pass 3 (after the repair)",
        "time s": Number(sec(p3.durationMs)),
        "rows/s": Math.round(p3.rowsCompared / (p3.durationMs / 1000)),
        missing: p3.missingFound,
        "re-published": p3.republished,
      },
    ]);
    if (breakdown.length > 0) {
      say(
        "where the time goes (each part alone, same buckets; the repair path before pass 2, the verify poll after pass 3; nothing published):",
      );
      console.table(breakdown);
    }
    const goal = p1.durationMs <= 30_000 ? "met" : "NOT met";
    say(
      `goal pass 1 ≤ 30 s for 1,000,000 rows: ${opts.rows === 1_000_000 ? goal : "n/a (not 1,000,000 rows)"}`,
    );
    const args = process.argv.slice(2).join(" ");
    say(`command: npm run bench:reconcile${args ? ` -- ${args}` : ""}`);
    for (const f of failures) say(`FAILED: ${f}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await aggregator?.stop().catch(() => undefined);
    await rt?.close().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    if (opts.keep) say(`kept keyspace, topics and database ${config.cassandra.keyspace}`);
    else
      await dropIsolatedRun(config).catch((err: unknown) =>
        say(
          `cleanup failed (${String(err)}): drop keyspace, topics and database ${config.cassandra.keyspace} by hand`,
        ),
      );
  }
}

runScript("bench:reconcile", main);
