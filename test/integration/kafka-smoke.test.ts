import type { Admin, Consumer, EachMessagePayload, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { testConfig, uniqueName } from "./support/config.js";

const config = testConfig();
let kafka: Kafka;
let admin: Admin;
const consumers: Consumer[] = [];

beforeAll(async () => {
  kafka = createKafka(config, "-test");
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await admin.disconnect();
});

async function newTopic(partitions = 3): Promise<string> {
  const topic = uniqueName("jtp_smoke");
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions }],
  });
  expect(created).toBe(true);
  return topic;
}

/** Collects values from `topic` with a fresh consumer group until `until` holds or the time runs out. */
async function collect(
  topic: string,
  until: (values: string[]) => boolean,
  timeoutMs = 20_000,
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("g"), readUncommitted: false, maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    eachMessage: async ({ message }: EachMessagePayload) => {
      values.push(message.value?.toString() ?? "");
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!until(values) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.stop();
  return values;
}

describe("kafkajs against the local Kafka broker", () => {
  it("admin creates topics and reads their metadata", async () => {
    const topic = await newTopic(4);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(4);
  });

  it("produces and consumes with a consumer group, keeping per-key order", async () => {
    const topic = await newTopic(3);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `job-${i % 5}`, value: `m${i}` }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
    const got = await collect(topic, (v) => v.length >= 60);
    expect(got).toHaveLength(60);
    expect(new Set(got).size).toBe(60);
    for (let k = 0; k < 5; k++) {
      const expected = messages.filter((m) => m.key === `job-${k}`).map((m) => m.value);
      const seen = got.filter((v) => expected.includes(v));
      expect(seen).toEqual(expected);
    }
  });

  it("hides a transaction from read-committed consumers until commit, and an aborted one for ever", async () => {
    const topic = await newTopic(1);
    const producer = kafka.producer({
      transactionalId: uniqueName("tx"),
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: "k", value: "aborted-1" }] });
    await aborted.abort();

    const open = await producer.transaction();
    await open.send({
      topic,
      messages: [
        { key: "k", value: "committed-1" },
        { key: "k", value: "committed-2" },
      ],
    });
    // While the transaction is open, a read-committed consumer sees nothing.
    const before = await collect(topic, () => false, 3_000);
    expect(before).toEqual([]);

    await open.commit();
    const after = await collect(topic, (v) => v.length >= 2);
    expect(after).toEqual(["committed-1", "committed-2"]);
    await producer.disconnect();
  });
});
