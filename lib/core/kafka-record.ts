/**
 * One Kafka record as a Lambda event source mapping delivers it: key and value still base64,
 * headers as raw byte arrays. Decoding and validating it is the aggregator core's job, so that a bad
 * record becomes a dead letter instead of failing the whole batch.
 */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Record timestamp (producer CREATE_TIME or broker LOG_APPEND_TIME), epoch ms; null when absent. */
  readonly timestamp: number | null;
  /** Base64, or null for a record without key. */
  readonly key: string | null;
  /** Base64, or null for a tombstone. */
  readonly value: string | null;
  readonly headers: readonly KafkaHeader[];
}

/** One header entry as the event carries it: `{ "<name>": [byte, ...] }`. */
export type KafkaHeader = Readonly<Record<string, readonly number[]>>;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Stable map key of a topic-partition. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** Distinct topic-partitions of `records`, sorted by topic then partition (the ledger's lock order). */
export function distinctTopicPartitions(records: readonly TopicPartition[]): TopicPartition[] {
  const seen = new Map<string, TopicPartition>();
  for (const r of records) {
    const k = topicPartitionKey(r);
    if (!seen.has(k)) seen.set(k, { topic: r.topic, partition: r.partition });
  }
  return [...seen.values()].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  );
}

/** Value of header `name` decoded as UTF-8 (signed Java bytes accepted), or null when absent or not bytes. The last occurrence wins. */
export function headerValue(headers: readonly KafkaHeader[], name: string): string | null {
  let found: readonly number[] | undefined;
  for (const h of headers) {
    const v = typeof h === "object" && h !== null ? h[name] : undefined;
    if (Array.isArray(v)) found = v;
  }
  if (found === undefined || !found.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) return null;
  return Buffer.from(found.map((b) => b & 0xff)).toString("utf8");
}
