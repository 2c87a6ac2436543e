/**
 * End-to-end benchmark (a script, not a test): the whole local pipeline (servers, serverless offline
 * with both functions, the event source mapping bridge, the schedule stand-in) at increasing offered
 * rates. Prints, per step: offered and sustained rate, backlog growth, freshness p50/p95/p99 per
 * event (Cassandra write → committed in MySQL; each event counted at its aggregator batch's oldest
 * event, so an upper bound), the stricter "all-visible" watermark (every event written up to then is
 * counted in MySQL), and CPU (% of one core) and RSS of every component.
 * Usage: npm run bench -- [--rates 500,2000,5000,10000] [--step 30] [--batch-size 500] [--batching-window 100]
 *                         [--pollers N] [--consumers C]
 * Scale-out: --pollers N runs N poller processes with the lake's shards split between them (instead of
 * the scheduled poller function); --consumers C caps the aggregator invocations in flight (default:
 * one per topic partition, as Lambda does). After the last step it checks the warehouse against the
 * lake grain by grain (exactly once) and fails if they differ.
 * Uses a throw-away keyspace and database, so it never touches the main job's data.
 */

import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { compareGrains, grainsFromWarehouse, truthFromLake } from "../infra/integrity/ground-truth.js";
import { dropIsolatedRun, isolatedRun } from "../infra/local/isolated-run.js";
import { LocalPipeline } from "../infra/local/local-pipeline.js";
import { livePid } from "../infra/servers/supervisor.js";
import { runGenerator } from "../infra/tooling/generator/run-generator.js";
import { CountWatermarkFreshness } from "../infra/tooling/metrics/count-watermark-freshness.js";
import { powertoolsLog } from "../lib/adapters/logging/powertools-log.js";
import { createMysqlPool } from "../lib/adapters/mysql/connection.js";
import type { Config } from "../lib/config/index.js";
import { cpuSeconds, rssMiB } from "./process-usage.js";

const argv = process.argv;
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const rates = opt("rates", "500,1000,2000,5000,10000").split(",").map(Number);
const stepSec = Number(opt("step", "30"));
const batchSize = Number(opt("batch-size", "500"));
const windowMs = Number(opt("batching-window", "100"));
const pollers = Number(opt("pollers", "0"));
const consumersOpt = opt("consumers", "");
const consumers = consumersOpt === "" ? undefined : Number(consumersOpt);
const say = (s: string) => console.log(`[bench] ${s}`);

async function main(): Promise<void> {
  const { config, env } = isolatedRun("jtp_bench");
  const pipeline = new LocalPipeline(
    config,
    {
      batchSize,
      batchingWindowMs: windowMs,
      jobs: 2_000,
      pollerProcesses: pollers,
      ...(consumers === undefined ? {} : { maxConcurrentInvocations: consumers }),
    },
    powertoolsLog(new Logger({ serviceName: "jtp-bench", logLevel: "WARN" })),
    say,
  );
  await pipeline.start(env);
  const pids: Record<string, number[]> = {
    cassandra: [livePid(path.join(config.stateDir, "cassandra", "cassandra.pid"))].filter(isPid),
    kafka: [livePid(path.join(config.stateDir, "kafka", "kafka.pid"))].filter(isPid),
    mariadb: [livePid(path.join(config.stateDir, "mariadb", "mariadb.pid"))].filter(isPid),
    "functions (offline)": [pipeline.offlinePid].filter(isPid),
    ...(pollers > 0 ? { "poller processes": pipeline.pollerPids } : {}),
    "generator+bridge": [process.pid],
  };
  const writer = pipeline.lakeWriter();
  const rows: string[] = [];
  const header = `| offered ev/s | sustained ev/s | backlog growth | freshness p50 | p95 | p99 | all-visible watermark p50 / p99 | ${Object.keys(
    pids,
  )
    .map((k) => `${k} CPU% / RSS MiB`)
    .join(" | ")} |`;
  let appliedBefore = (await pipeline.warehouse?.totals())?.events ?? 0;
  let writtenTotal = 0;
  let exactness = "not checked";
  const freshness = new CountWatermarkFreshness();
  try {
    // Warm-up (not measured): the first poller invocation rebuilds its state, and serverless-offline
    // starts one function instance per concurrently delivered partition (~1 s cold start each).
    say("warm-up: 10 s at the first rate");
    const warm = await runGenerator(writer, pipeline.catalogue, {
      rate: rates[0] ?? 500,
      count: 0,
      durationMs: 10_000,
      lateFraction: 0,
      lateMs: 0,
      seed: 1,
    });
    writtenTotal += warm.written;
    const warmUntil = Date.now() + 60_000;
    while (((await pipeline.warehouse?.totals())?.events ?? 0) < writtenTotal && Date.now() < warmUntil)
      await sleep(250);
    appliedBefore = (await pipeline.warehouse?.totals())?.events ?? 0;
    freshness.recordWritten(warm.written, Date.now());
    freshness.recordApplied(appliedBefore, Date.now());
    for (const rate of rates) {
      say(`step: ${rate} events/s for ${stepSec} s`);
      freshness.resetSamples();
      pipeline.appliedFreshness.reset();
      const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, sumOf(p, cpuSeconds)]));
      const t0 = Date.now();
      const watching = (async () => {
        while (Date.now() - t0 < stepSec * 1000 + 200) {
          const t = await pipeline.warehouse?.totals();
          if (t) freshness.recordApplied(t.events, Date.now());
          await sleep(100);
        }
      })();
      const backlogStart = writtenTotal - appliedBefore;
      const stats = await runGenerator(writer, pipeline.catalogue, {
        rate,
        count: 0,
        durationMs: stepSec * 1000,
        lateFraction: 0,
        lateMs: 0,
        seed: rate,
        onWritten: (batch, at) => freshness.recordWritten(batch.length, at),
      });
      await watching;
      const seconds = (Date.now() - t0) / 1000;
      writtenTotal += stats.written;
      const appliedNow = (await pipeline.warehouse?.totals())?.events ?? 0;
      const sustained = Math.round((appliedNow - appliedBefore) / seconds);
      const backlogEnd = writtenTotal - appliedNow;
      appliedBefore = appliedNow;
      const usage = Object.entries(pids).map(([k, p]) => {
        const c1 = sumOf(p, cpuSeconds);
        const c0 = cpu0[k];
        const pct = c1 !== undefined && c0 !== undefined ? Math.round(((c1 - c0) / seconds) * 100) : "-";
        return `${pct} / ${sumOf(p, rssMiB) ?? "-"}`;
      });
      const f = (p: number) =>
        freshness.percentile(p) === undefined ? "-" : `${freshness.percentile(p)} ms`;
      const g = (p: number) => {
        const v = pipeline.appliedFreshness.percentile(p);
        return v === undefined ? "-" : `${v} ms`;
      };
      const row = `| ${Math.round(stats.written / (stats.elapsedMs / 1000))} | ${sustained} | ${backlogEnd - backlogStart} | ${g(50)} | ${g(95)} | ${g(99)} | ${f(50)} / ${f(99)} | ${usage.join(" | ")} |`;
      rows.push(row);

      say(row);
      // Drain before the next step so each step starts without backlog.
      const drainUntil = Date.now() + 60_000;
      while (Date.now() < drainUntil) {
        const t = await pipeline.warehouse?.totals();
        if ((t?.events ?? 0) >= writtenTotal) break;
        await sleep(250);
      }
      appliedBefore = (await pipeline.warehouse?.totals())?.events ?? appliedBefore;
    }
    const settleUntil = Date.now() + 180_000;
    while (((await pipeline.warehouse?.totals())?.events ?? 0) < writtenTotal && Date.now() < settleUntil)
      await sleep(500);
    exactness = await checkExactlyOnce(config);
    say(`exactly once: ${exactness}`);
  } finally {
    await pipeline.stop(false);
    await dropIsolatedRun(config);
  }
  console.log(
    `\nbatch size ${batchSize}, batching window ${windowMs} ms, ${stepSec} s per step, ${pollers > 0 ? `${pollers} poller process(es)` : "scheduled poller function"}, ${consumers ?? "one per partition"} concurrent aggregator invocations, 2 cores, every server co-located; exactly once: ${exactness}\n`,
  );
  console.log(header);
  console.log(`|${"---|".repeat(7 + Object.keys(pids).length)}`);
  for (const r of rows) console.log(r);
}

function isPid(p: number | undefined): p is number {
  return p !== undefined;
}

/** Sum of `f` over processes; undefined when none could be read. */
function sumOf(pids: readonly number[], f: (pid: number) => number | undefined): number | undefined {
  const values = pids.map(f).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : Math.round(values.reduce((a, b) => a + b, 0) * 100) / 100;
}

/** Warehouse vs lake, grain by grain (after the last drain). Throws when they differ. */
async function checkExactlyOnce(config: Config): Promise<string> {
  const reader = createMysqlPool(config, config.mysql.reader);
  try {
    const c = compareGrains(await truthFromLake(config, new Set()), await grainsFromWarehouse(reader));
    const text = `${c.grainsCompared} grains, ${c.lost} events lost, ${c.duplicated} counted twice`;
    if (c.lost !== 0 || c.duplicated !== 0 || c.spendDiffCents !== 0) {
      throw new Error(`warehouse differs from the lake: ${text}; ${c.examples.join("; ")}`);
    }
    return text;
  } finally {
    await reader.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
