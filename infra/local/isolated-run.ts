import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { type Config, loadConfig } from "../../lib/config/index.js";
import { cdcCheckpointTopic, trackingTopic } from "../../lib/schema-names.js";
import { ensureLocalSecrets } from "../servers/local-secrets.js";

/**
 * A run of the pipeline that cannot touch anyone else's data: its own keyspace (and so its own
 * topics) and its own warehouse database, named `<prefix>_<time>`. For tests, benchmarks, the
 * integrity suite.
 */
export function isolatedRun(
  prefix: string,
  extra: Readonly<Record<string, string>> = {},
): { config: Config; env: NodeJS.ProcessEnv } {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CASSANDRA_KEYSPACE: name,
    MYSQL_DATABASE: name,
    CDC_START_FROM: new Date(Date.now() - 60_000).toISOString(),
    POWERTOOLS_LOG_LEVEL: "WARN",
    ...extra,
  };
  const first = loadConfig(env);
  if (first.localServers.includes("mariadb")) ensureLocalSecrets(first.stateDir);
  return { config: loadConfig(env), env };
}

/** Drops the run's database, keyspace and topics (admin account). */
export async function dropIsolatedRun(config: Config): Promise<void> {
  const admin = createMysqlPool(config, config.mysql.admin, { withoutDatabase: true });
  await admin.query(`DROP DATABASE IF EXISTS \`${config.mysql.database}\``).catch(() => undefined);
  await admin.end();
  const c = createCassandraClient(config, { withKeyspace: false });
  await c.execute(`DROP KEYSPACE IF EXISTS ${config.cassandra.keyspace}`).catch(() => undefined);
  await c.shutdown();
  const kafka = createKafka(config, "-cleanup").admin();
  await kafka.connect();
  await kafka
    .deleteTopics({
      topics: [trackingTopic(config.cassandra.keyspace), cdcCheckpointTopic(config.cassandra.keyspace)],
    })
    .catch(() => undefined);
  await kafka.disconnect();
}
