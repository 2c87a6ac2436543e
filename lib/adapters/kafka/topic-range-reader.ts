import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";
import { TransientError } from "../../errors.js";

export interface PartitionRange {
  readonly partition: number;
  /** First offset to read (inclusive). */
  readonly from: number;
  /** Stop once the position reaches this offset (exclusive): the high watermark taken before reading. */
  readonly to: number;
}

/**
 * Reads committed records of fixed offset ranges of a topic (read-committed isolation), then stops.
 * kafkajs has no manual partition assignment, so this uses a throw-away consumer group that never
 * commits offsets and seeks each partition to its start.
 */
export async function readTopicRanges(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  onMessage: (partition: number, message: KafkaMessage) => void,
  timeoutMs = 60_000,
): Promise<number> {
  const pending = new Map(ranges.filter((r) => r.to > r.from).map((r) => [r.partition, r]));
  if (pending.size === 0) return 0;
  const consumer = kafka.consumer({
    groupId: `jtp-range-reader-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let count = 0;
  const delivered = new Map<number, number>();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  try {
    // Completion is tracked on END_BATCH_PROCESS: kafkajs emits it also for fetches that held only
    // transaction markers or aborted records (never handed to eachBatch), and its lastOffset counts them,
    // so the position reaches `to` even when a range ends in a commit/abort marker.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const range = pending.get(payload.partition);
      if (range && Number(payload.lastOffset) + 1 >= range.to) {
        pending.delete(payload.partition);
        if (pending.size === 0) resolveDone();
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // Resolving advances the fetch position (nothing is committed: autoCommit is off). Without it
      // kafkajs fetches the same first maxBytesPerPartition of a partition again and again, and a range
      // longer than one fetch never completes.
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const range = pending.get(batch.partition);
        if (!range) return;
        for (const m of batch.messages) {
          const off = Number(m.offset);
          // A seek or rebalance can make kafkajs fetch a range again: deliver each offset once.
          if (off >= range.from && off < range.to && off > (delivered.get(batch.partition) ?? -1)) {
            delivered.set(batch.partition, off);
            onMessage(batch.partition, m);
            count++;
          }
        }
      },
    });
    for (const r of pending.values())
      consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TransientError(
              `reading ${topic} did not reach the end of ${pending.size} partition(s) in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return count;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Earliest, latest and by-timestamp offsets per partition. */
export async function partitionOffsets(
  kafka: Kafka,
  topic: string,
  atTimestampMs?: number,
): Promise<Array<{ partition: number; low: number; high: number; atTime: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const byTime =
      atTimestampMs === undefined
        ? undefined
        : await admin.fetchTopicOffsetsByTimestamp(topic, atTimestampMs);
    return ends.map((e) => {
      const t = byTime?.find((b) => b.partition === e.partition);
      const high = Number(e.high);
      // fetchTopicOffsetsByTimestamp answers -1 (or the end) when no record is that recent.
      const at = t === undefined ? Number(e.low) : Number(t.offset) < 0 ? high : Number(t.offset);
      return { partition: e.partition, low: Number(e.low), high, atTime: at };
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Every committed record of `topic`: each partition from its earliest offset to the high watermark
 * taken before reading. Returns how many were delivered.
 */
export async function readWholeTopic(
  kafka: Kafka,
  topic: string,
  onMessage: (partition: number, message: KafkaMessage) => void,
): Promise<number> {
  const offsets = await partitionOffsets(kafka, topic);
  return readTopicRanges(
    kafka,
    topic,
    offsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })),
    onMessage,
  );
}
