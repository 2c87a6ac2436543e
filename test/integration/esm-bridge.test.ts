import { setTimeout as sleep } from "node:timers/promises";
import type { MSKEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BATCH_GIVEN_UP, type BridgeSettings, KafkaEsmBridge } from "../../infra/local/kafka-esm-bridge.js";
import type { Invoker } from "../../infra/local/lambda-invoker.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { type Log, silentLog } from "../../lib/use-cases/ports/log.js";
import { testConfig, uniqueName } from "./support/config.js";

const config = testConfig();
const kafka = createKafka(config, "-bridge-test");
const admin = kafka.admin();

/** Bridge settings for a test topic: invoke at once, retry forever, read from the start. */
function settings(topic: string, extra: Partial<BridgeSettings>): BridgeSettings {
  return {
    topic,
    functionName: "fn",
    groupId: uniqueName("g"),
    bootstrapServers: config.kafka.brokers,
    batchSize: 100,
    batchingWindowMs: 0,
    maxRetries: -1,
    startFromEarliest: true,
    ...extra,
  };
}

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
});

describe("local Kafka event source mapping bridge (real Kafka, recording function)", () => {
  it("delivers MSK-shaped batches in per-partition order, retries a failed batch whole, commits only after success", async () => {
    const topic = uniqueName("jtp_bridge");
    const groupId = uniqueName("g");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 300 }, (_, i) => ({ key: `job-${i % 50}`, value: `m${i}` })),
    });
    await producer.disconnect();

    const delivered: Array<{ partition: number; offsets: number[] }> = [];
    let calls = 0;
    const invoker: Invoker = {
      async invoke(_fn, event) {
        calls++;
        const e = event as MSKEvent;
        const [key, records] = Object.entries(e.records)[0] ?? ["", []];
        expect(e.eventSource).toBe("aws:kafka");
        expect(key).toMatch(new RegExp(`^${topic}-\\d$`));
        if (calls <= 2) throw new Error("simulated function error");
        delivered.push({ partition: records[0]?.partition ?? -1, offsets: records.map((r) => r.offset) });
        return { ok: true };
      },
    };
    const bridge = new KafkaEsmBridge(kafka, invoker, settings(topic, { groupId, batchSize: 40 }), silentLog);
    await bridge.start();
    const deadline = Date.now() + 30_000;
    while (bridge.stats.records < 300 && Date.now() < deadline) await sleep(100);
    await bridge.stop();

    expect(bridge.stats.failures).toBe(2);
    expect(bridge.stats.records).toBe(300);
    expect(delivered.every((d) => d.offsets.length <= 40)).toBe(true);
    for (const p of [0, 1, 2]) {
      const offsets = delivered.filter((d) => d.partition === p).flatMap((d) => d.offsets);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b)); // in order
      expect(new Set(offsets).size).toBe(offsets.length); // retried batches delivered once successfully
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    for (const e of ends) {
      const c = committed[0]?.partitions.find((x) => x.partition === e.partition);
      expect(e.high === "0" ? ["-1", "0"] : [e.high]).toContain(c?.offset);
    }
  });

  it("gives up a batch after maxRetries (and on request), like Lambda: logs it, commits past it and moves on", async () => {
    const topic = uniqueName("jtp_bridge_giveup");
    const groupId = uniqueName("g");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    const delivered: number[] = [];
    const invoker: Invoker = {
      async invoke(_fn, event) {
        const records = Object.values((event as MSKEvent).records)[0] ?? [];
        const first = records[0]?.offset ?? -1;
        if (first === 10) throw new Error("this batch always fails");
        delivered.push(...records.map((r) => r.offset));
        return { ok: true };
      },
    };
    const gaveUp: Array<Record<string, unknown>> = [];
    const log: Log = { ...silentLog, warn: (message, extra) => gaveUp.push({ message, ...extra }) };
    const bridge = new KafkaEsmBridge(
      kafka,
      invoker,
      settings(topic, { groupId, batchSize: 10, maxRetries: 2 }),
      log,
    );
    bridge.giveUpNextBatch(); // the first batch (offsets 0-9) is given up without an invocation
    await bridge.start();
    const deadline = Date.now() + 30_000;
    while (bridge.stats.records + bridge.stats.recordsGivenUp < 30 && Date.now() < deadline) await sleep(100);
    await bridge.stop();
    expect(delivered).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect(bridge.stats).toMatchObject({ batchesGivenUp: 2, recordsGivenUp: 20, failures: 3 });
    expect(
      gaveUp.filter((w) => w.message === BATCH_GIVEN_UP).map((w) => [w.firstOffset, w.lastOffset]),
    ).toEqual([
      [0, 9],
      [10, 19],
    ]);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]?.partitions[0]?.offset).toBe("30");
  });

  it("keeps at most maxConcurrentInvocations in flight across partitions and still delivers everything", async () => {
    const topic = uniqueName("jtp_bridge_conc");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 4 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 400 }, (_, i) => ({ key: `job-${i}`, value: `m${i}` })),
    });
    await producer.disconnect();

    let inFlight = 0;
    let maxInFlight = 0;
    const invoker: Invoker = {
      async invoke() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(20);
        inFlight--;
        return { ok: true };
      },
    };
    const bridge = new KafkaEsmBridge(
      kafka,
      invoker,
      settings(topic, { batchSize: 25, maxConcurrentInvocations: 2 }),
      silentLog,
    );
    await bridge.start();
    const deadline = Date.now() + 30_000;
    while (bridge.stats.records < 400 && Date.now() < deadline) await sleep(50);
    await bridge.stop();

    expect(bridge.stats.records).toBe(400);
    expect(maxInFlight).toBe(2);
  });
});
