import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { createReconciler } from "../../functions/reconciler/dependencies.js";
import { partitionOffsets, readTopicRanges } from "../../lib/adapters/kafka/topic-range-reader.js";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import type { LocalServerName } from "../../lib/config/index.js";
import { bucketsBetween } from "../../lib/core/cdc/buckets.js";
import { reconcilePass } from "../../lib/use-cases/reconcile/reconcile-pass.js";
import { lambdaInvoker } from "../local/lambda-invoker.js";
import { buildMskEvent } from "../local/msk-event.js";
import { OFFLINE_LAMBDA_ENDPOINT, offlineFunctionName } from "../local/serverless-offline-process.js";
import { localServer } from "../servers/registry.js";
import { seededRng } from "../tooling/generator/random.js";
import { randomTrackingEvent } from "../tooling/generator/tracking-event-factory.js";
import { ComponentProcesses, type KillPlan, randomKillPlan } from "./component-chaos.js";
import type { FaultContext, FaultStep, FaultTally } from "./fault-plan.js";
import type { IntegrityOptions } from "./integrity-options.js";
import { fuzzedPayloads, poisonPayloads, type SampleRecord } from "./poison.js";

/** A record as read from the topic, in the shape an MSK event is built from. */
interface TopicRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
}

/**
 * The integrity suite's fault plan: one row per fault. Kills run in their own lane, concurrently
 * with the others; the steps of the "faults" lane run one after the other. To add a fault, add a row
 * (a FaultStep: when, name, run).
 */
export function faultPlan(o: IntegrityOptions): FaultStep[] {
  return [
    ...killSteps(randomKillPlan(seededRng(o.seed), o.kills)),
    {
      when: { at: 0.3, lane: "faults" },
      name: `inject ${poisonPayloads().length} hand-written poison records and up to ${o.fuzzedRecords} fuzzed from real ones`,
      run: injectPoison,
    },
    {
      when: { at: 0.35, lane: "faults" },
      name: "duplicate and overlapping batches delivered to the aggregator",
      run: redeliverBatches,
    },
    serverDown("kafka", { at: 0.45, lane: "faults" }, "restart Kafka broker", 2_000),
    serverDown(
      "mariadb",
      { at: 0.55, lane: "faults" },
      `stop MariaDB for ${o.dbDownSeconds} s`,
      o.dbDownSeconds * 1000,
    ),
    {
      when: { at: 0.6, lane: "faults" },
      name: "the event source mapping gives up on a batch (retries exhausted: offsets committed, records not applied)",
      run: giveUpBridgeBatch,
    },
    serverDown("cassandra", { at: 0.7, lane: "faults" }, "restart Cassandra", 0),
    {
      when: { at: 0.92, lane: "faults" },
      name: `write ${MINUTES_LATE_ROWS} rows ${MINUTES_LATE_MS / 60_000} minutes late (into an old bucket, far beyond the poller's look-back)`,
      run: (ctx) => writeLate(ctx, MINUTES_LATE_ROWS, MINUTES_LATE_MS),
    },
    {
      when: { after: "settled" },
      name: "reconcile pass over the run (re-publishes what the warehouse has not accounted for)",
      run: reconcileRun,
    },
  ];
}

const MINUTES_LATE_ROWS = 5;
const MINUTES_LATE_MS = 3 * 60_000;

/** kill -9 of a component at each moment of `plan`, restarted after its down time. */
export function killSteps(plan: readonly KillPlan[]): FaultStep[] {
  return plan.map((k) => ({
    when: { at: k.at, lane: "kills" },
    name: `kill -9 ${ComponentProcesses.describe(k.component)}; restart after ${k.downMs} ms`,
    run: async (ctx) => {
      ctx.components.kill(k.component);
      const aborted = await sleep(k.downMs, false, { signal: ctx.signal }).catch(() => true);
      // When the run is ending, its cleanup stops every component: nothing to restart.
      if (!aborted) await ctx.components.start(k.component);
      return {};
    },
  }));
}

/** A local server stopped (and started again after `downMs`, also when the run is aborted meanwhile). */
export function serverDown(
  name: LocalServerName,
  when: FaultStep["when"],
  label: string,
  downMs: number,
): FaultStep {
  return {
    when,
    name: label,
    run: async (ctx) => {
      const server = localServer(ctx.config, name);
      await server.stop(() => undefined);
      try {
        if (downMs > 0) await sleep(downMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      } finally {
        await server.start(() => undefined);
      }
      return {};
    },
  };
}

/** Hand-written poison, plus seeded random mutations of real change records read from the topic. */
async function injectPoison(ctx: FaultContext): Promise<{ poisonInjected: number }> {
  const samples: SampleRecord[] = [];
  const ends = await partitionOffsets(ctx.kafka, ctx.topic);
  await readTopicRanges(
    ctx.kafka,
    ctx.topic,
    ends.map((e) => ({ partition: e.partition, from: e.low, to: Math.min(e.high, e.low + 10) })),
    (_p, m) => {
      if (m.value) samples.push({ key: m.key, value: m.value, headers: m.headers as Record<string, Buffer> });
    },
  );
  const poison = [
    ...poisonPayloads().map((p) => ({ ...p, headers: {} })),
    ...fuzzedPayloads(seededRng(ctx.options.seed + 1), samples, ctx.options.fuzzedRecords),
  ];
  const producer = ctx.kafka.producer();
  await producer.connect();
  let sent = 0;
  try {
    for (const p of poison) {
      await producer.send({
        topic: ctx.topic,
        messages: [{ key: p.key, value: p.value, headers: p.headers }],
      });
      sent++;
    }
  } finally {
    await producer.disconnect();
  }
  return { poisonInjected: sent };
}

/**
 * On up to 3 partitions: the first 40 records twice, then records 20..59 (overlapping), invoked
 * straight on the aggregator as an event source mapping redelivering would.
 */
async function redeliverBatches(ctx: FaultContext): Promise<{ duplicateRecordsRedelivered: number }> {
  const invoker = lambdaInvoker(OFFLINE_LAMBDA_ENDPOINT);
  let redelivered = 0;
  const ends = await partitionOffsets(ctx.kafka, ctx.topic);
  for (const e of ends.filter((x) => x.high - x.low > 20).slice(0, 3)) {
    const records: TopicRecord[] = [];
    await readTopicRanges(
      ctx.kafka,
      ctx.topic,
      [{ partition: e.partition, from: e.low, to: Math.min(e.high, e.low + 60) }],
      (_p, m) =>
        records.push({
          offset: m.offset,
          timestamp: m.timestamp,
          key: m.key,
          value: m.value,
          headers: m.headers as Record<string, Buffer>,
        }),
    );
    const first = records.slice(0, 40);
    for (const batch of [first, first, records.slice(20, 60)]) {
      // The aggregator may be down at this moment (a random kill): retry like an event source mapping.
      for (let attempt = 1; ; attempt++) {
        try {
          await invoker.invoke(
            offlineFunctionName("aggregator"),
            buildMskEvent(ctx.config.kafka.brokers, ctx.topic, e.partition, batch),
          );
          break;
        } catch (err) {
          if (attempt >= 60 || ctx.signal.aborted) throw err;
          await sleep(1_000);
        }
      }
      redelivered += batch.length;
    }
  }
  return { duplicateRecordsRedelivered: redelivered };
}

/** `count` conversion rows whose create_time is `lateBy` ms in the past (far beyond the poller's look-back). */
async function writeLate(
  ctx: FaultContext,
  count: number,
  lateBy: number,
): Promise<{ beyondBoundWritten: number }> {
  const rng = seededRng(ctx.options.seed + 2);
  const now = Date.now();
  const rows = Array.from({ length: count }, () =>
    ctx.lake.prepare({
      ...randomTrackingEvent(rng, ctx.catalogue, now),
      custom_track: "conversion",
      bid: null,
      createdAt: new Date(now - lateBy),
    }),
  );
  for (const r of rows) ctx.beyondLookBack.add(r.create_time);
  await ctx.lake.write(rows);
  return { beyondBoundWritten: rows.length };
}

/**
 * Tells the bridge process to give up its next batch (SIGUSR2) and waits until its log says it did:
 * the reconciler must then find those records. The bridge may be down or restarting at this moment
 * (a random kill), or killed before it gave up: it is told again until it has.
 */
async function giveUpBridgeBatch(ctx: FaultContext): Promise<{ batchGiveUpsInjected: number }> {
  const before = ctx.components.batchesGivenUp();
  const deadline = Date.now() + 60_000;
  let toldAt = Number.NEGATIVE_INFINITY;
  while (!ctx.signal.aborted && Date.now() < deadline) {
    if (ctx.components.batchesGivenUp() > before) return { batchGiveUpsInjected: 1 };
    if (Date.now() - toldAt > 10_000 && ctx.components.giveUpNextBridgeBatch()) toldAt = Date.now();
    await sleep(200, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
  return { batchGiveUpsInjected: 0 };
}

/** One reconcile pass (as `jtp reconcile`) over every bucket of the run, waiting for the aggregator. */
async function reconcileRun(ctx: FaultContext): Promise<Partial<FaultTally>> {
  const log = powertoolsLog(new Logger({ serviceName: "jtp-integrity-reconcile", logLevel: "WARN" }));
  const rt = createReconciler(ctx.config, log, { role: "cli" });
  try {
    const fromMs = ctx.loadStartedMs - MINUTES_LATE_MS - 60_000;
    const toMs = Date.now();
    const buckets = bucketsBetween(fromMs, toMs, rt.settings.bucketMs);
    const r = await reconcilePass(rt.settings, rt.deps, {
      mode: "cli",
      buckets,
      fromMs,
      toMs,
      dryRun: false,
    });
    ctx.options.say(
      `reconcile pass ${r.passId} ${r.status}: ${r.partitionsChecked} partitions, ${r.missingFound} missing, ${r.republished} re-published, ${r.deadLettered} dead-lettered, drift left ${r.driftLeft}`,
    );
    if (r.status !== "done") throw new Error(`reconcile pass ${r.passId} ${r.status}: ${r.error ?? ""}`);
    return {
      reconcileMissingFound: r.missingFound,
      reconcileRepublished: r.republished,
      reconcileDeadLettered: r.deadLettered,
      reconcileDriftLeft: r.driftLeft,
    };
  } finally {
    await rt.close();
  }
}
