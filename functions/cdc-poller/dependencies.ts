import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { TrackingReader } from "../../lib/adapters/cassandra/tracking-reader.js";
import { readCheckpoints, readPublishedSince } from "../../lib/adapters/kafka/cdc-history.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { TransactionalPublisher } from "../../lib/adapters/kafka/transactional-publisher.js";
import type { Config } from "../../lib/config/index.js";
import { cdcCheckpointTopic, TRACKING_TABLE, trackingTopic } from "../../lib/schema-names.js";
import { CdcPollerSession } from "../../lib/use-cases/cdc/cdc-poller-session.js";
import type { ChangeLog } from "../../lib/use-cases/cdc/poller-ports.js";
import type { Log } from "../../lib/use-cases/ports/log.js";

export interface PollerRuntime {
  readonly session: CdcPollerSession;
  readonly transactionalId: string;
  close(): Promise<void>;
}

export interface PollerWiringOptions {
  /** Wraps the Kafka change log (tests and the integrity suite inject faults this way; never the Lambda). */
  readonly decorateChangeLog?: (changeLog: ChangeLog) => ChangeLog;
}

/** Kafka transactional id of a poller instance: one per owned shard set, so overlapping instances fence each other. */
export function pollerTransactionalId(config: Config): string {
  return `${config.cdc.transactionalIdPrefix}.${config.cassandra.keyspace}.shards-${config.cdc.shardsOwned.join("_")}`;
}

/** Wires the poller use case to the real adapters (Cassandra reader, Kafka transactional publisher). */
export function createPoller(config: Config, log: Log, options: PollerWiringOptions = {}): PollerRuntime {
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
  // Producer-clock slack when looking for already-published events on restart.
  const restartScanMarginMs = 5_000 + config.cdc.settleMs;
  const changeLog: ChangeLog = {
    connect: () => publisher.connect(),
    disconnect: () => publisher.disconnect(),
    publish: (messages, checkpoints, hooks) => publisher.publish(messages, checkpoints, hooks),
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
      sweeps: config.cdc.sweeps,
      maxBatchRows: config.cdc.maxBatchRows,
      startFrom: config.cdc.startFrom,
      idleCheckpointMs: config.cdc.idleCheckpointMs,
    },
    new TrackingReader(cassandra),
    options.decorateChangeLog ? options.decorateChangeLog(changeLog) : changeLog,
    log,
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
