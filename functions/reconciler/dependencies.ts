import type { Pool } from "mysql2/promise";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { CassandraLakePartitions } from "../../lib/adapters/cassandra/lake-partitions.js";
import { TrackingReader } from "../../lib/adapters/cassandra/tracking-reader.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { slowestPollerPositionMs, topicEndOffsets } from "../../lib/adapters/kafka/stream-positions.js";
import { TransactionalPublisher } from "../../lib/adapters/kafka/transactional-publisher.js";
import { MysqlAccountedEvents } from "../../lib/adapters/mysql/accounted-events.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { appliedOffsets } from "../../lib/adapters/mysql/offset-ledger-reader.js";
import { MysqlReconcilePassLog } from "../../lib/adapters/mysql/reconcile-pass-log.js";
import type { Config, DbAccount } from "../../lib/config/index.js";
import { streamingWindowMs } from "../../lib/core/cdc/sweep-schedule.js";
import { ReconcileRefusedError } from "../../lib/errors.js";
import { cdcCheckpointTopic, TRACKING_TABLE, trackingTopic } from "../../lib/schema-names.js";
import type { Log } from "../../lib/use-cases/ports/log.js";
import type { ReconcileDeps, ReconcileSettings } from "../../lib/use-cases/reconcile/reconcile-pass.js";
import type { StreamProgress } from "../../lib/use-cases/reconcile/reconcile-ports.js";
import type { ScheduleSettings } from "../../lib/use-cases/reconcile/run-scheduled-pass.js";

export interface ReconcilerRuntime {
  readonly settings: ReconcileSettings & ScheduleSettings;
  readonly deps: ReconcileDeps & { readonly stream: StreamProgress };
  close(): Promise<void>;
}

/** The runtime with its MySQL pool (the CLI's rebuild reuses it). */
export interface ReconcilerRuntimeWithPool extends ReconcilerRuntime {
  readonly pool: Pool;
}

export interface ReconcilerWiringOptions {
  /** MySQL account (default: the writer, as in the Lambda; the CLI's rebuild uses the admin). */
  readonly account?: DbAccount;
  /** Transactional id suffix, e.g. "replay" (a replay must not fence the scheduled reconciler). */
  readonly role?: string;
}

/** The reconciler works only with the aggregator's event-id guard on: it is what makes re-publishing safe. */
export function requireEventIdGuard(config: Config): void {
  if (!config.aggregator.dedupByEventId) {
    throw new ReconcileRefusedError(
      "AGG_DEDUP_BY_EVENT_ID is off: re-published rows would be counted twice (the offset ledger cannot see a row sent again at a new offset). Turn the guard on to reconcile or replay.",
    );
  }
}

/** Kafka transactional id of the reconciler: one per keyspace (and role), so a second instance fences the first. */
export function reconcilerTransactionalId(config: Config, role = "scheduled"): string {
  return `${config.reconcile.transactionalIdPrefix}.${config.cassandra.keyspace}.${role}`;
}

/** Wires the reconcile use cases to Cassandra, Kafka (transactional) and MySQL. */
export function createReconciler(
  config: Config,
  log: Log,
  options: ReconcilerWiringOptions = {},
): ReconcilerRuntimeWithPool {
  requireEventIdGuard(config);
  const cassandra = createCassandraClient(config);
  const kafka = createKafka(config, "-reconciler");
  const pool = createMysqlPool(config, options.account ?? config.mysql.writer, { connectionLimit: 4 });
  const publisher = new TransactionalPublisher(
    kafka,
    reconcilerTransactionalId(config, options.role),
    trackingTopic(config.cassandra.keyspace),
    cdcCheckpointTopic(config.cassandra.keyspace),
    config.kafka.compression,
  );
  const r = config.reconcile;
  const topic = trackingTopic(config.cassandra.keyspace);
  const checkpointTopic = cdcCheckpointTopic(config.cassandra.keyspace);
  const shards = Array.from({ length: config.cassandra.shards }, (_, i) => i);
  return {
    settings: {
      keyspace: config.cassandra.keyspace,
      table: TRACKING_TABLE,
      shards,
      bucketMs: config.cassandra.bucketSeconds * 1000,
      concurrency: r.concurrency,
      publishBatchRows: r.publishBatchRows,
      verifyTimeoutMs: r.verifyTimeoutMs,
      verifyPollMs: 1_000,
      checkDelaysMs: r.checkDelaysMs,
      horizonMs: r.horizonMs,
      streamingMs: streamingWindowMs(config.cdc.sweeps, config.cdc.settleMs),
      maxStreamBacklog: r.maxStreamBacklog,
    },
    deps: {
      lake: new CassandraLakePartitions(cassandra, new TrackingReader(cassandra)),
      accounted: new MysqlAccountedEvents(pool),
      publisher: {
        connect: () => publisher.connect(),
        publish: (messages) => publisher.publish(messages, []),
        disconnect: () => publisher.disconnect(),
      },
      passLog: new MysqlReconcilePassLog(pool),
      log,
      stream: {
        pollerPositionMs: () => slowestPollerPositionMs(kafka, checkpointTopic, shards),
        aggregatorBacklog: async () => {
          const [ends, applied] = await Promise.all([
            topicEndOffsets(kafka, topic),
            appliedOffsets(pool, topic),
          ]);
          // end − 1 is the newest offset (a transaction marker counts too: a few records at most).
          let backlog = 0;
          for (const [partition, end] of ends)
            backlog += Math.max(0, end - 1 - (applied.get(partition) ?? -1));
          return backlog;
        },
      },
    },
    pool,
    close: async () => {
      await publisher.disconnect();
      await cassandra.shutdown().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
