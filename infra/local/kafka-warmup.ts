import type { Kafka } from "kafkajs";

export interface WarmupResult {
  /** ms until the consumer group's coordinator answered. */
  readonly groupCoordinatorMs: number;
  /** ms until a transaction coordinator answered (a throwaway transactional id, begun and aborted). */
  readonly transactionCoordinatorMs: number;
  /** The partitions of `topic`, as the broker lists them. */
  readonly partitions: number[];
}

/**
 * Makes a fresh broker load its group and transaction coordinators now (and lists the topic's
 * partitions), instead of when the bridge
 * joins its group and the poller begins its first transaction. On a broker that has just been
 * started, the internal topics (__consumer_offsets, __transaction_state) are created and loaded on
 * first use, which took 2.1 s and 3.5 s on a fresh single-node broker here, while the clients
 * that asked wait in retry back-off. Run it while serverless-offline starts and that time is hidden.
 * The transactional id must not be one a poller uses (beginning a transaction fences its owner).
 */
export async function warmKafkaCoordinators(
  kafka: Kafka,
  groupId: string,
  warmupTransactionalId: string,
  topic: string,
): Promise<WarmupResult> {
  const started = Date.now();
  const admin = kafka.admin();
  const groupCoordinator = (async () => {
    await admin.connect();
    try {
      await admin.describeGroups([groupId]);
      const ms = Date.now() - started;
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = (metadata.topics[0]?.partitions ?? [])
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      return { ms, partitions };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  })();
  const transactionCoordinator = (async () => {
    const producer = kafka.producer({
      transactionalId: warmupTransactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.abort();
      return Date.now() - started;
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  })();
  const [group, transactionCoordinatorMs] = await Promise.all([groupCoordinator, transactionCoordinator]);
  return { groupCoordinatorMs: group.ms, transactionCoordinatorMs, partitions: group.partitions };
}
