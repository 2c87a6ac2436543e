/**
 * The one place runtime code takes schema names from (tables, topics). The DDL that creates them
 * lives in infra/schema; keep the two in step.
 */

/** Cassandra: the raw tracking table inside the configured keyspace. */
export const TRACKING_TABLE = "tracking";

/** Kafka: Debezium-style topic name for change events of the tracking table. */
export function trackingTopic(keyspace: string): string {
  return `cassandra_cdc.${keyspace}.${TRACKING_TABLE}`;
}

/** Kafka: compacted topic holding the CDC poller's cursor per shard, written in the same transaction as the events. */
export function cdcCheckpointTopic(keyspace: string): string {
  return `cassandra_cdc.${keyspace}.${TRACKING_TABLE}.checkpoints`;
}

/** MySQL tables. */
export const MYSQL_TABLES = {
  events: "events",
  job: "job",
  company: "company",
  publisher: "publisher",
  offsetLedger: "kafka_offset_ledger",
  deadLetters: "dead_letters",
  /** Event ids already applied (aggregator de-duplication guard, pruned after a window). */
  processedEvents: "processed_events",
  /** One row per reconcile / replay / rebuild pass (what it checked, found, re-published, left). */
  reconcilePasses: "reconcile_passes",
  schemaMigrations: "schema_migrations",
} as const;
