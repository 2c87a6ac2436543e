import { CompressionTypes, type Kafka, type Message, type Producer } from "kafkajs";
import type { OutgoingMessage } from "../../core/change-message.js";
import { ProducerFencedError, TransientError } from "../../errors.js";
import type { PublishHooks } from "../../use-cases/cdc/poller-ports.js";
import { isFencedError } from "./kafka-errors.js";

/**
 * Kafka transactional producer: data messages and checkpoint messages go out in one transaction,
 * so consumers reading committed records see both or neither. Each connect() makes a new producer
 * and initialises the transactional id, which fences any older instance (ProducerFencedError there).
 */
export class TransactionalPublisher {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly transactionalId: string,
    private readonly dataTopic: string,
    private readonly checkpointTopic: string,
    private readonly compression: "none" | "gzip" = "gzip",
    private readonly transactionTimeoutMs = 15_000,
  ) {}

  async connect(): Promise<void> {
    if (this.producer) return;
    const producer = this.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.transactionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    try {
      await producer.connect();
      // kafkajs runs InitProducerId (which bumps the epoch, fences older instances and aborts their
      // open transaction) lazily at the first transaction: force it now with an empty one.
      const txn = await producer.transaction();
      await txn.abort();
      this.producer = producer;
    } catch (cause) {
      await producer.disconnect().catch(() => undefined);
      throw this.classify(cause, "connect");
    }
  }

  async publish(
    messages: readonly OutgoingMessage[],
    checkpoints: readonly OutgoingMessage[],
    hooks: PublishHooks = {},
  ): Promise<void> {
    await this.connect();
    const producer = this.producer;
    if (!producer) throw new TransientError(`Kafka producer ${this.transactionalId} is not connected`);
    const txn = await producer.transaction().catch((cause: unknown) => {
      throw this.classify(cause, "begin transaction");
    });
    try {
      // Large batches go out as several requests of one transaction (see MAX_REQUEST_BYTES).
      // The checkpoints ride in the same request as the last chunk of events (one round trip less).
      const compression = this.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
      const chunks = chunkByBytes(messages, MAX_REQUEST_BYTES);
      if (chunks.length === 0) chunks.push([]);
      for (const [i, chunk] of chunks.entries()) {
        const topicMessages = [];
        if (chunk.length > 0) topicMessages.push({ topic: this.dataTopic, messages: chunk.map(toKafka) });
        if (i === chunks.length - 1 && checkpoints.length > 0) {
          topicMessages.push({ topic: this.checkpointTopic, messages: checkpoints.map(toKafka) });
        }
        if (topicMessages.length > 0) await txn.sendBatch({ topicMessages, acks: -1, compression });
      }
      await hooks.beforeCommit?.();
      await txn.commit();
    } catch (cause) {
      await txn.abort().catch(() => undefined);
      throw this.classify(cause, "publish");
    }
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  private classify(cause: unknown, what: string): Error {
    if (isFencedError(cause)) return new ProducerFencedError(this.transactionalId, { cause });
    return new TransientError(
      `Kafka ${what} failed for ${this.transactionalId}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * Upper bound of one produce request. kafkajs puts all of a request's messages for one partition into a
 * single record batch, which must fit the topic's max.message.bytes (8 MiB, set by `jtp migrate`).
 */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export function chunkByBytes(messages: readonly OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let size = 0;
  for (const m of messages) {
    let bytes = Buffer.byteLength(m.value) + (m.key ? Buffer.byteLength(m.key) : 0) + 70;
    for (const [k, v] of Object.entries(m.headers ?? {})) bytes += k.length + v.length + 4;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function toKafka(m: OutgoingMessage): Message {
  return { key: m.key, value: m.value, ...(m.headers ? { headers: { ...m.headers } } : {}) };
}
