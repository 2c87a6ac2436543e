import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import type { Config } from "../../lib/config/index.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";
import type { TrackingRow } from "../../lib/core/tracking-row.js";
import { trackingTopic } from "../../lib/schema-names.js";
import { migrateAll } from "../cli/migrate-command.js";
import { localServer } from "../servers/registry.js";
import { TrackingWriter } from "../tooling/cassandra/tracking-writer.js";
import { companyOf, type LakeSink, runGenerator } from "../tooling/generator/run-generator.js";
import { buildCatalogue } from "../tooling/generator/tracking-event-factory.js";
import { seedDimensions } from "../tooling/mysql/dimension-seeder.js";
import { WarehouseStatus } from "../tooling/mysql/warehouse-status.js";
import { ComponentProcesses } from "./component-chaos.js";
import { type FaultContext, FaultPlan, type FaultStep } from "./fault-plan.js";
import type { IntegrityOptions } from "./integrity-options.js";
import type { IntegrityReport } from "./integrity-report.js";
import { type QuiescenceResult, waitForQuiescence } from "./quiescence.js";

/**
 * Runs the whole local pipeline under generator load while the fault plan's steps are injected,
 * waits for quiescence and compares the warehouse with ground truth from Cassandra, grain by grain.
 * Uses its own keyspace and database; the servers must be local (they get restarted). Every child
 * process it starts is stopped before it returns or throws, and every server it stops is started again.
 */
export async function runIntegrity(
  config: Config,
  env: NodeJS.ProcessEnv,
  o: IntegrityOptions,
  steps: readonly FaultStep[],
): Promise<IntegrityReport> {
  const say = o.say;
  await migrateAll(config);
  const catalogue = buildCatalogue(500);
  const writerPool = createMysqlPool(config, config.mysql.writer);
  try {
    await seedDimensions(writerPool, catalogue, companyOf);
  } finally {
    await writerPool.end();
  }

  // Components as separate processes, so each can be killed on its own. Logs of this run in their own folder.
  const runDir = path.join(config.stateDir, "integrity", config.cassandra.keyspace);
  const components = new ComponentProcesses(runDir, env, ["--batch-size", "200", "--batching-window", "100"]);
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const cass = createCassandraClient(config);
  const kafka = createKafka(config, "-integrity");
  let generating: Promise<{ written: number; late: number }> | undefined;
  try {
    await components.startAll();
    // Generator: a writer that survives Cassandra restarts (it retries the same rows: same primary key).
    const lake = retryingLake(
      new TrackingWriter(cass, config.cassandra.shards, config.cassandra.bucketSeconds * 1000),
      signal,
    );
    const plan = new FaultPlan(steps, say);
    const loadStarted = Date.now();
    const ctx: FaultContext = {
      config,
      options: o,
      components,
      kafka,
      topic: trackingTopic(config.cassandra.keyspace),
      lake,
      catalogue,
      beyondLookBack: new Set(),
      signal,
      loadStartedMs: loadStarted,
    };
    generating = runGenerator(lake, catalogue, {
      rate: o.rate,
      count: 0,
      durationMs: o.loadSeconds * 1000,
      lateFraction: 0.02,
      lateMs: Math.floor(o.lookBackMs / 3),
      seed: 777,
      signal,
    });
    await plan.runTimed(ctx, loadStarted);
    const gen = await generating;
    const lastFaultEnd = Date.now();
    say(`load done: ${gen.written} events (${gen.late} late inside the bound); waiting for quiescence`);

    const wait = (until: "converged" | "settled") =>
      waitForQuiescence(config, o.everyLakeRowCounted ? new Set() : ctx.beyondLookBack, {
        until,
        timeoutSeconds: o.quiescenceTimeoutSeconds,
        signal,
        say,
      });
    let result: QuiescenceResult;
    let beforeRepair: QuiescenceResult | undefined;
    if (plan.settledSteps.length > 0) {
      beforeRepair = await wait("settled");
      await plan.runSettled(ctx);
      result = await wait("converged");
    } else {
      result = await wait("converged");
    }
    const deadLetters = await deadLetterCounts(config);
    // Every component must still be running (or have been restarted by the plan).
    const crashed: IntegrityReport["componentsCrashed"][number][] = components.crashed();
    for (const s of ["kafka", "cassandra", "mariadb"] as const) {
      if (!(await localServer(config, s).status()).healthy) crashed.push(s);
    }
    const unpublished = result.check?.unpublished ?? new Set<string>();
    return {
      eventsGenerated: gen.written + plan.tally.beyondBoundWritten,
      lateInsideBound: gen.late,
      faults: plan.faults,
      seed: o.seed,
      tally: plan.tally,
      components: components.events(),
      deadLettered: deadLetters.total,
      deadLetterReasons: deadLetters.byReason,
      unpublished: unpublished.size,
      unpublishedBeforeRepair: beforeRepair?.check?.unpublished.size,
      unpublishedExcused: result.check?.excusedUnpublished ?? 0,
      unpublishedRange: timeRange(unpublished),
      everyLakeRowCounted: o.everyLakeRowCounted,
      comparison: result.check?.comparison,
      recoverySeconds: result.converged ? (result.at - lastFaultEnd) / 1000 : undefined,
      componentsCrashed: crashed,
    };
  } finally {
    // Whatever happened: stop the fault lanes and the generator, then every child process.
    stop.abort();
    await generating?.catch(() => undefined);
    await components.stopAll();
    await cass.shutdown().catch(() => undefined);
  }
}

/** A lake writer that retries the same rows until they are written (or the run is aborted). */
function retryingLake(writer: TrackingWriter, signal: AbortSignal): LakeSink {
  return {
    prepare: writer.prepare.bind(writer),
    write: async (rows: readonly TrackingRow[]) => {
      for (;;) {
        try {
          await writer.write(rows);
          return;
        } catch (err) {
          if (signal.aborted) throw err;
          await sleep(500);
        }
      }
    },
  };
}

async function deadLetterCounts(
  config: Config,
): Promise<{ total: number; byReason: Record<string, number> }> {
  const reader = createMysqlPool(config, config.mysql.reader);
  try {
    const [dl] = await reader.query(
      "SELECT reason_code, COUNT(*) AS n FROM dead_letters GROUP BY reason_code",
    );
    const byReason = Object.fromEntries(
      (dl as Array<{ reason_code: string; n: number }>).map((r) => [r.reason_code, Number(r.n)]),
    );
    return { total: (await new WarehouseStatus(reader).totals()).deadLetters, byReason };
  } finally {
    await reader.end();
  }
}

function timeRange(createTimes: ReadonlySet<string>): string {
  if (createTimes.size === 0) return "-";
  const t = [...createTimes].map((u) => timeuuidToMs(u)).sort((a, b) => a - b);
  return `${new Date(t[0] ?? 0).toISOString()} .. ${new Date(t.at(-1) ?? 0).toISOString()}`;
}
