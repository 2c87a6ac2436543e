import { type Config, loadConfig } from "../../lib/config/index.js";
import { migrateCassandra } from "../migrate/migrate-cassandra.js";
import { migrateKafka } from "../migrate/migrate-kafka.js";
import { migrateMysql } from "../migrate/migrate-mysql.js";

const log = (line: string) => console.log(`[migrate] ${line}`);

/** Idempotent: Cassandra keyspace/table, MySQL versioned migrations + accounts, Kafka topics. */
export async function migrateAll(config: Config = loadConfig()): Promise<void> {
  const started = Date.now();
  const [cql, sql, topics] = await Promise.all([
    migrateCassandra(config, log),
    migrateMysql(config, log),
    migrateKafka(config, log),
  ]);
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(1)} s: cassandra ${cql.applied.length} applied/${cql.alreadyApplied} already, ` +
      `mysql ${sql.applied.length} applied/${sql.alreadyApplied} already, kafka ${topics.created.length} topics created`,
  );
}
