import { createKafka } from "../../lib/adapters/kafka/connection.js";
import type { Config } from "../../lib/config/index.js";
import { MigrationError } from "../../lib/errors.js";
import { cdcCheckpointTopic, trackingTopic } from "../../lib/schema-names.js";

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configEntries: ReadonlyArray<{ name: string; value: string }>;
}

export function topicSpecs(config: Config): TopicSpec[] {
  const ks = config.cassandra.keyspace;
  return [
    {
      // Change events, keyed by job_id: one aggregate row is fed by one partition.
      topic: trackingTopic(ks),
      numPartitions: config.kafka.topicPartitions,
      configEntries: [
        { name: "cleanup.policy", value: "delete" },
        { name: "retention.ms", value: String(config.kafka.retentionMs) },
        { name: "min.insync.replicas", value: "1" },
        { name: "message.timestamp.type", value: "CreateTime" },
        // Room for large transactional batches: the poller keeps each request below 4 MiB in total.
        { name: "max.message.bytes", value: String(8 * 1024 * 1024) },
      ],
    },
    {
      // The poller's cursor per shard, written in the same transaction as the events; compacted.
      topic: cdcCheckpointTopic(ks),
      numPartitions: 1,
      configEntries: [
        { name: "cleanup.policy", value: "compact" },
        { name: "min.compaction.lag.ms", value: "60000" },
        { name: "segment.ms", value: "3600000" },
      ],
    },
  ];
}

/** Creates the pipeline's topics if missing (explicitly: the local broker has auto-create off). */
export async function migrateKafka(config: Config, log: (l: string) => void): Promise<{ created: string[] }> {
  const admin = createKafka(config, "-migrate").admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const specs = topicSpecs(config);
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      log(`kafka: creating ${missing.map((s) => `${s.topic} (${s.numPartitions} partitions)`).join(", ")}`);
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: config.kafka.replicationFactor,
          configEntries: [...s.configEntries],
        })),
      });
    }
    const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    for (const t of meta.topics) {
      const spec = specs.find((s) => s.topic === t.name);
      if (spec && t.partitions.length < spec.numPartitions) {
        log(
          `kafka: WARNING ${t.name} has ${t.partitions.length} partitions, config asks ${spec.numPartitions}; ` +
            "not changed automatically (re-partitioning moves keys between partitions)",
        );
      }
    }
    return { created: missing.map((s) => s.topic) };
  } catch (cause) {
    throw new MigrationError(`creating Kafka topics failed: ${(cause as Error).message}`, { cause });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
