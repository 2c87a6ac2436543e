/**
 * End-to-end benchmark (a script, not a test): the whole local pipeline (servers, serverless offline
 * with the functions, the event source mapping bridge, the schedule stand-ins) at increasing offered
 * rates, for one or more poller configurations side by side in one run (default: the old defaults,
 * before the reconciler existed, and the current ones). Prints, per configuration and step: offered
 * and sustained rate, backlog growth, per-event freshness p50/p99 (generator write → applied in
 * MySQL, exact per event from processed_events), CPU (% of one core) and RSS of every component;
 * per configuration: Cassandra rows read per row published (from the poller's invocation summaries,
 * sweeps included) and what the reconciler repaired. After each configuration it checks the
 * warehouse against the lake grain by grain (exactly once) and fails if they differ.
 * Usage: npm run bench -- [--rates 1000,2000,5000] [--step 20] [--batch-size 500] [--batching-window 100]
 *                         [--configs old,new] [--pollers N] [--consumers C]
 * Uses throw-away keyspaces and databases, so it never touches the main job's data.
 */

import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { InvalidArgumentError } from "commander";
import { compareGrains, grainsFromWarehouse, truthFromLake } from "../infra/integrity/ground-truth.js";
import { dropIsolatedRun, isolatedRun } from "../infra/local/isolated-run.js";
import { LocalPipeline } from "../infra/local/local-pipeline.js";
import { livePid } from "../infra/servers/supervisor.js";
import { runGenerator } from "../infra/tooling/generator/run-generator.js";
import { AppliedFreshness } from "../infra/tooling/metrics/applied-freshness.js";
import { powertoolsLog } from "../lib/adapters/logging/powertools-log.js";
import { createMysqlPool } from "../lib/adapters/mysql/connection.js";
import type { Config } from "../lib/config/index.js";
import { eventId } from "../lib/core/tracking-row.js";
import { cpuSeconds, rssMiB } from "./process-usage.js";
import { runScript, startNeededServers } from "./run-script.js";
import { nonNegativeInt, positiveInt, positiveIntList, scriptProgram } from "./script-args.js";

/** Poller settings compared by the bench (environment overrides on top of the defaults). */
const CONFIGS: Readonly<Record<string, { readonly label: string; readonly env: Record<string, string> }>> = {
  old: {
    label: "old poller defaults (10 s late window swept every 2 s, its last 1 s on every poll)",
    env: { CDC_SWEEP_SCHEDULE: "1000:0,10000:2000", CDC_SETTLE_MS: "150", CDC_POLL_INTERVAL_MS: "200" },
  },
  new: { label: "new defaults (sweeps back off: 1 s every 2 s, 4 s every 20 s; reconciler)", env: {} },
  fast: {
    label: "new sweeps, settle 100 ms, poll every 100 ms",
    env: { CDC_SETTLE_MS: "100", CDC_POLL_INTERVAL_MS: "100" },
  },
};

const configList = (value: string): string[] => {
  const names = value.split(",").map((s) => s.trim());
  const bad = names.filter((n) => !(n in CONFIGS));
  if (names.length === 0 || bad.length > 0)
    throw new InvalidArgumentError(`expected a list of ${Object.keys(CONFIGS).join(", ")}.`);
  return names;
};

interface Args {
  rates: number[];
  step: number;
  batchSize: number;
  batchingWindow: number;
  configs: string[];
  pollers: number;
  consumers?: number;
}

const args = scriptProgram(
  "bench",
  "the whole local pipeline at increasing offered rates, configurations side by side",
)
  .option("--rates <list>", "offered rates, events/s", positiveIntList, [500, 1000, 2000, 5000])
  .option("--step <seconds>", "seconds per rate", positiveInt, 30)
  .option("--batch-size <n>", "records per aggregator invocation", positiveInt, 500)
  .option("--batching-window <ms>", "event source mapping batching window", nonNegativeInt, 100)
  .option("--configs <list>", `poller configurations: ${Object.keys(CONFIGS).join(", ")}`, configList, [
    "old",
    "new",
  ])
  .option(
    "--pollers <n>",
    "N separate poller processes (0 = the scheduled poller function)",
    nonNegativeInt,
    0,
  )
  .option(
    "--consumers <n>",
    "cap on aggregator invocations in flight (default: one per partition)",
    positiveInt,
  )
  .parse()
  .opts<Args>();
const say = (s: string) => console.log(`[bench] ${s}`);

interface ConfigResult {
  readonly name: string;
  readonly rows: string[];
  readonly header: string;
  readonly maxSustained: number;
  readonly firstStepP99: number | undefined;
  readonly readsPerPublished: number | undefined;
  readonly reconciled: number;
  readonly exactness: string;
}

async function main(): Promise<number> {
  await startNeededServers(["cassandra", "kafka", "mariadb"]);
  const results: ConfigResult[] = [];
  for (const name of args.configs) results.push(await runConfig(name));
  console.log(
    `\nbatch size ${args.batchSize}, batching window ${args.batchingWindow} ms, ${args.step} s per step, ${args.pollers > 0 ? `${args.pollers} poller process(es)` : "scheduled poller function"}, ${args.consumers ?? "one per partition"} concurrent aggregator invocations, 2 cores, every server co-located`,
  );
  for (const r of results) {
    console.log(`\n### ${r.name}: ${CONFIGS[r.name]?.label}\n`);
    console.log(r.header);
    console.log(`|${"---|".repeat(r.header.split("|").length - 2)}`);
    for (const row of r.rows) console.log(row);
    console.log(
      `\nCassandra rows read per row published: ${r.readsPerPublished?.toFixed(2) ?? "-"}; rows the reconciler re-published: ${r.reconciled}; exactly once: ${r.exactness}`,
    );
  }
  console.log(
    "\n| configuration | rows read per row published | max sustained ev/s | p99 at the first rate |",
  );
  console.log("|---|---|---|---|");
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.readsPerPublished?.toFixed(2) ?? "-"} | ${r.maxSustained} | ${r.firstStepP99 ?? "-"} ms |`,
    );
  }
  const old = results.find((r) => r.name === "old");
  for (const r of results.filter((x) => x !== old && old && old.maxSustained > 0)) {
    console.log(`sustained ${r.name} / old: ${(r.maxSustained / (old?.maxSustained ?? 1)).toFixed(2)}×`);
  }
  return 0;
}

async function runConfig(name: string): Promise<ConfigResult> {
  const cfg = CONFIGS[name] ?? { label: name, env: {} };
  say(`configuration ${name}: ${cfg.label}`);
  // Poller invocations of ~10 s (not ~55 s), so their summaries (rows read, published) arrive while the run lasts.
  const { config, env } = isolatedRun("jtp_bench", { CDC_SAFETY_MARGIN_MS: "50000", ...cfg.env });
  const pipeline = new LocalPipeline(
    config,
    {
      batchSize: args.batchSize,
      batchingWindowMs: args.batchingWindow,
      jobs: 2_000,
      pollerProcesses: args.pollers,
      ...(args.consumers === undefined ? {} : { maxConcurrentInvocations: args.consumers }),
    },
    powertoolsLog(new Logger({ serviceName: "jtp-bench", logLevel: "WARN" })),
    say,
  );
  await pipeline.start({ ...env, POWERTOOLS_METRICS_DISABLED: "true" });
  const pids: Record<string, number[]> = {
    cassandra: [livePid(path.join(config.stateDir, "cassandra", "cassandra.pid"))].filter(isPid),
    kafka: [livePid(path.join(config.stateDir, "kafka", "kafka.pid"))].filter(isPid),
    mariadb: [livePid(path.join(config.stateDir, "mariadb", "mariadb.pid"))].filter(isPid),
    "functions (offline)": [pipeline.offlinePid].filter(isPid),
    ...(args.pollers > 0 ? { "poller processes": pipeline.pollerPids } : {}),
    "generator+bridge": [process.pid],
  };
  const writer = pipeline.lakeWriter();
  const rows: string[] = [];
  const header = `| offered ev/s | sustained ev/s | backlog growth | freshness p50 | p99 | ${Object.keys(pids)
    .map((k) => `${k} CPU% / RSS MiB`)
    .join(" | ")} |`;
  let writtenTotal = 0;
  let maxSustained = 0;
  let firstStepP99: number | undefined;
  let exactness = "not checked";
  const runStarted = Date.now();
  const applied = async () => (await pipeline.warehouse?.totals())?.events ?? 0;
  try {
    // Warm-up (not measured): the first poller invocation rebuilds its state, instances start.
    say("warm-up: 10 s at the first rate");
    const warm = await runGenerator(writer, pipeline.catalogue, {
      rate: args.rates[0] ?? 500,
      count: 0,
      durationMs: 10_000,
      lateFraction: 0,
      lateMs: 0,
      seed: 1,
    });
    writtenTotal += warm.written;
    await drain(applied, writtenTotal, 60_000);
    for (const rate of args.rates) {
      say(`step: ${rate} events/s for ${args.step} s`);
      const appliedBefore = await applied();
      const backlogStart = writtenTotal - appliedBefore;
      const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, sumOf(p, cpuSeconds)]));
      const t0 = Date.now();
      const freshness = new AppliedFreshness({ from: "written", startedAtMs: t0 });
      let readFrom = t0 - 3_000;
      const watching = (async () => {
        while (Date.now() - t0 < args.step * 1000 + 3_000) {
          const page = await pipeline.appliedEvents?.since(readFrom).catch(() => undefined);
          if (page) {
            freshness.recordApplied(page.events, page.nowMs);
            const newest = page.events.at(-1)?.appliedAtMs;
            if (newest !== undefined) readFrom = page.truncated ? newest : Math.max(readFrom, newest - 3_000);
          }
          await sleep(200);
        }
      })();
      const stats = await runGenerator(writer, pipeline.catalogue, {
        rate,
        count: 0,
        durationMs: args.step * 1000,
        lateFraction: 0,
        lateMs: 0,
        seed: rate,
        onWritten: (batch, at) => freshness.recordWritten(batch.map(eventId), at),
      });
      const seconds = (Date.now() - t0) / 1000;
      writtenTotal += stats.written;
      const appliedNow = await applied();
      await watching;
      const sustained = Math.round((appliedNow - appliedBefore) / seconds);
      maxSustained = Math.max(maxSustained, sustained);
      const usage = Object.entries(pids).map(([k, p]) => {
        const c1 = sumOf(p, cpuSeconds);
        const c0 = cpu0[k];
        const pct = c1 !== undefined && c0 !== undefined ? Math.round(((c1 - c0) / seconds) * 100) : "-";
        return `${pct} / ${sumOf(p, rssMiB) ?? "-"}`;
      });
      const f = freshness.snapshot(Date.now()).sinceStart;
      if (rate === args.rates[0]) firstStepP99 = f.p99Ms;
      const row = `| ${Math.round(stats.written / (stats.elapsedMs / 1000))} | ${sustained} | ${writtenTotal - appliedNow - backlogStart} | ${f.p50Ms ?? "-"} ms | ${f.p99Ms ?? "-"} ms | ${usage.join(" | ")} |`;
      rows.push(row);
      say(row);
      // Drain before the next step so each step starts without backlog.
      await drain(applied, writtenTotal, 90_000);
    }
    // What the stream missed (none expected: no late rows are written) is repaired, then compared.
    await drain(applied, writtenTotal, 180_000);
    const pass = await pipeline.reconcileNow(runStarted - 60_000);
    say(
      `reconcile pass: ${pass.missingFound} missing, ${pass.republished} re-published, drift left ${pass.driftLeft}`,
    );
    exactness = await checkExactlyOnce(config);
    say(`exactly once: ${exactness}`);
    // The running poller invocation reports its rows read when it ends (~10 s).
    await pipeline.scheduler?.stop(true);
  } finally {
    await pipeline.stop(false);
    await dropIsolatedRun(config);
  }
  const t = pipeline.pollerTotals;
  return {
    name,
    rows,
    header,
    maxSustained,
    firstStepP99,
    readsPerPublished: t.published > 0 ? t.rowsRead / t.published : undefined,
    reconciled: pipeline.reconcileTotals.republished,
    exactness,
  };
}

/** Waits until `applied()` reaches `target` or `ms` passed. */
async function drain(applied: () => Promise<number>, target: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while ((await applied()) < target && Date.now() < until) await sleep(250);
}

function isPid(p: number | undefined): p is number {
  return p !== undefined;
}

/** Sum of `f` over processes; undefined when none could be read. */
function sumOf(pids: readonly number[], f: (pid: number) => number | undefined): number | undefined {
  const values = pids.map(f).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : Math.round(values.reduce((a, b) => a + b, 0) * 100) / 100;
}

/** Warehouse vs lake, grain by grain. Throws when they differ. */
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

runScript("bench", main);
