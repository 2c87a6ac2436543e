import { createCassandraClient } from "../../adapters/cassandra/connection.js";
import { TrackingReader } from "../../adapters/cassandra/tracking-reader.js";
import { readCheckpoints, readPublishedSince } from "../../adapters/kafka/cdc-history.js";
import { createKafka } from "../../adapters/kafka/connection.js";
import { TransactionalPublisher } from "../../adapters/kafka/transactional-publisher.js";
import type { Config } from "../../config/index.js";
import { cdcCheckpointTopic, TRACKING_TABLE, trackingTopic } from "../../schema-names.js";
import { CdcPollerSession, type SessionHooks } from "./cdc-poller-session.js";
import type { ChangeLog, Log } from "./poller-ports.js";

export interface PollerRuntime {
  readonly session: CdcPollerSession;
  readonly transactionalId: string;
  close(): Promise<void>;
}

/** Kafka transactional id of a poller instance: one per owned shard set, so overlapping instances fence each other. */
export function pollerTransactionalId(config: Config): string {
  return `${config.cdc.transactionalIdPrefix}.${config.cassandra.keyspace}.shards-${config.cdc.shardsOwned.join("_")}`;
}

/** Wires the poller use case to the real adapters (Cassandra reader, Kafka transactional publisher). */
export function createPoller(config: Config, log: Log, hooks: SessionHooks = {}): PollerRuntime {
  const cassandra = createCassandraClient(config);
  const kafka = createKafka(config, "-cdc-poller");
  const dataTopic = trackingTopic(config.cassandra.keyspace);
  const checkpointTopic = cdcCheckpointTopic(config.cassandra.keyspace);
  const transactionalId = pollerTransactionalId(config);
  const publisher = new TransactionalPublisher(
    kafka,
    transactionalId,
    dataTopic,
    checkpointTopic,
    config.kafka.compression,
  );
  const restartScanMarginMs = 5_000 + config.cdc.settleMs;
  const changeLog: ChangeLog = {
    connect: () => publisher.connect(),
    disconnect: () => publisher.disconnect(),
    publish: (messages, checkpoints, h) => publisher.publish(messages, checkpoints, h),
    readCheckpoints: (shards) => readCheckpoints(kafka, checkpointTopic, shards),
    readPublishedSince: (shards, sinceMs) =>
      readPublishedSince(kafka, dataTopic, shards, sinceMs, restartScanMarginMs),
  };
  const session = new CdcPollerSession(
    {
      keyspace: config.cassandra.keyspace,
      table: TRACKING_TABLE,
      shards: config.cdc.shardsOwned,
      bucketMs: config.cassandra.bucketSeconds * 1000,
      settleMs: config.cdc.settleMs,
      lateWindowMs: config.cdc.lateWindowMs,
      lateSweepMs: config.cdc.lateSweepMs,
      recentSweepMs: config.cdc.recentSweepMs,
      maxBatchRows: config.cdc.maxBatchRows,
      startFrom: config.cdc.startFrom,
      idleCheckpointMs: config.cdc.idleCheckpointMs,
      auditDelayMs: config.cdc.auditDelayMs,
      restartScanMarginMs,
    },
    new TrackingReader(cassandra),
    changeLog,
    log,
    Date.now,
    hooks,
  );
  return {
    session,
    transactionalId,
    close: async () => {
      await session.close();
      await cassandra.shutdown().catch(() => undefined);
    },
  };
}
