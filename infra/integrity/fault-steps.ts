import { setTimeout as sleep } from "node:timers/promises";
import { partitionOffsets, readTopicRanges } from "../../lib/adapters/kafka/topic-range-reader.js";
import type { LocalServerName } from "../../lib/config/index.js";
import { lambdaInvoker } from "../local/lambda-invoker.js";
import { buildMskEvent } from "../local/msk-event.js";
import { OFFLINE_LAMBDA_ENDPOINT, offlineFunctionName } from "../local/serverless-offline-process.js";
import { localServer } from "../servers/registry.js";
import { seededRng } from "../tooling/generator/random.js";
import { randomTrackingEvent } from "../tooling/generator/tracking-event-factory.js";
import { ComponentProcesses, type KillPlan, randomKillPlan } from "./component-chaos.js";
import type { FaultContext, FaultStep } from "./fault-plan.js";
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
    serverDown("cassandra", { at: 0.7, lane: "faults" }, "restart Cassandra", 0),
    // Late enough to be beyond the bound once the poller has caught up again after the restarts.
    {
      when: { at: 0.92, lane: "faults" },
      name: "write 5 rows later than the poller's look-back",
      run: (ctx) => writeBeyondLookBack(ctx, 5),
    },
  ];
}

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

/** `count` conversion rows whose create_time is 8 s beyond the poller's look-back. */
async function writeBeyondLookBack(
  ctx: FaultContext,
  count: number,
): Promise<{ beyondBoundWritten: number }> {
  const lateBy = ctx.options.lookBackMs + 8_000;
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
