import type { KafkaMessage } from "kafkajs";
import { migrateCassandra } from "../../../infra/migrate/migrate-cassandra.js";
import { migrateKafka } from "../../../infra/migrate/migrate-kafka.js";
import { createCassandraClient } from "../../../lib/adapters/cassandra/connection.js";
import { createKafka } from "../../../lib/adapters/kafka/connection.js";
import { readWholeTopic } from "../../../lib/adapters/kafka/topic-range-reader.js";
import { type Config, loadConfig } from "../../../lib/config/index.js";
import { cdcCheckpointTopic, trackingTopic } from "../../../lib/schema-names.js";

/**
 * A keyspace and topics of its own for one test file, on the real servers: tests never see each
 * other's rows or messages. `env` overrides are applied on top of the process environment.
 */
export async function isolatedLake(
  prefix: string,
  env: Record<string, string> = {},
): Promise<{
  config: Config;
  env: Record<string, string>;
  drop: () => Promise<void>;
}> {
  const keyspace = `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const fullEnv = { CASSANDRA_KEYSPACE: keyspace, ...env };
  const config = loadConfig({ ...process.env, ...fullEnv });
  const quiet = () => undefined;
  await migrateCassandra(config, quiet);
  await migrateKafka(config, quiet);
  return {
    config,
    env: fullEnv,
    drop: async () => {
      const client = createCassandraClient(config, { withKeyspace: false });
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await client.shutdown();
      const admin = createKafka(config, "-test-cleanup").admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: [trackingTopic(keyspace), cdcCheckpointTopic(keyspace)] })
        .catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** Every committed message of the config's tracking topic, read from the beginning. */
export async function readAllChangeEvents(config: Config): Promise<KafkaMessage[]> {
  const kafka = createKafka(config, "-test-reader");
  const topic = trackingTopic(config.cassandra.keyspace);
  const out: KafkaMessage[] = [];
  await readWholeTopic(kafka, topic, (_p, m) => out.push(m));
  return out;
}
