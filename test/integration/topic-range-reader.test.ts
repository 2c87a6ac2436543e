import { randomBytes } from "node:crypto";
import type { Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { partitionOffsets, readTopicRanges } from "../../lib/adapters/kafka/topic-range-reader.js";
import { testConfig, uniqueName } from "./support/config.js";

const config = testConfig();
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  kafka = createKafka(config, "-range-test");
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin.disconnect();
});

describe("topic range reader (real Kafka)", () => {
  it("reads a partition range larger than one fetch (4 MiB) to its end, each offset once and in order", async () => {
    const topic = uniqueName("jtp_range");
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    // ~6 MiB of incompressible values in partition 0: more than one fetch of maxBytesPerPartition.
    for (let i = 0; i < 6; i++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, j) => ({
          partition: 0,
          value: randomBytes(100 * 1024),
          headers: { n: String(i * 10 + j) },
        })),
      });
    }
    await producer.disconnect();
    // Partition 1 ends in a transaction marker (committed transaction).
    const tx = kafka.producer({
      transactionalId: uniqueName("tx"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    const t = await tx.transaction();
    await t.send({
      topic,
      messages: [
        { partition: 1, value: "a" },
        { partition: 1, value: "b" },
      ],
    });
    await t.commit();
    await tx.disconnect();

    const offsets = await partitionOffsets(kafka, topic);
    const seen = new Map<number, number[]>();
    const count = await readTopicRanges(
      kafka,
      topic,
      offsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })),
      (p, m) => seen.set(p, [...(seen.get(p) ?? []), Number(m.offset)]),
      30_000,
    );

    expect(count).toBe(62);
    expect(seen.get(0)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(seen.get(1)).toEqual([0, 1]);
  });
});
