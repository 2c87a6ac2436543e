import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, Kafka } from "kafkajs";
import type { Log } from "../../lib/use-cases/cdc/poller-ports.js";
import type { Invoker } from "./lambda-invoker.js";
import { buildMskEvent, splitForInvocation } from "./msk-event.js";

export interface BridgeSettings {
  readonly topic: string;
  readonly functionName: string;
  readonly groupId: string;
  readonly bootstrapServers: readonly string[];
  /** Records per invocation, 1..10,000 (AWS default 100). */
  readonly batchSize: number;
  /** Longest wait to gather records before invoking, ms (AWS default for Kafka 500; 0 = invoke at once). */
  readonly batchingWindowMs: number;
  /** Retries per batch before giving up; -1 = forever (AWS default: the partition blocks until it succeeds). */
  readonly maxRetries: number;
  readonly startFromEarliest: boolean;
}

export interface BridgeStats {
  invocations: number;
  records: number;
  failures: number;
  lastInvocationMs: number;
}

/**
 * Local stand-in for Lambda's Kafka event source mapping (serverless-offline has none).
 * Same semantics: read-committed consumer group; MSK-shaped events of at most `batchSize` records;
 * a batching window (the broker holds a fetch until ~1 MiB is ready or the window passes);
 * partitions in parallel, each strictly in order; offsets committed only after the invocation
 * succeeds; a failed batch is retried whole, with backoff, and the partition waits for it.
 */
export class KafkaEsmBridge {
  readonly stats: BridgeStats = { invocations: 0, records: 0, failures: 0, lastInvocationMs: 0 };
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly invoker: Invoker,
    private readonly settings: BridgeSettings,
    private readonly log: Log,
  ) {
    if (settings.batchSize < 1 || settings.batchSize > 10_000) throw new Error("batchSize must be 1..10000");
    if (settings.batchingWindowMs < 0 || settings.batchingWindowMs > 300_000)
      throw new Error("batching window must be 0..300000 ms");
  }

  async start(): Promise<void> {
    const s = this.settings;
    const consumer = this.kafka.consumer({
      groupId: s.groupId,
      readUncommitted: false,
      minBytes: s.batchingWindowMs > 0 ? 1024 * 1024 : 1,
      maxWaitTimeInMs: s.batchingWindowMs > 0 ? s.batchingWindowMs : 100,
      maxBytesPerPartition: 8 * 1024 * 1024,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: s.topic, fromBeginning: s.startFromEarliest });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (const chunk of splitForInvocation(batch.messages, s.batchSize)) {
          if (!isRunning() || isStale()) return;
          const event = buildMskEvent(s.bootstrapServers, batch.topic, batch.partition, chunk);
          await this.invokeWithRetry(event, chunk.length, batch.partition, heartbeat, isRunning);
          const last = chunk.at(-1);
          if (!last) continue;
          resolveOffset(last.offset);
          // Commit exactly what succeeded (autoCommit is off, so commitOffsetsIfNecessary would not).
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
          ]);
        }
      },
    });
  }

  private async invokeWithRetry(
    event: unknown,
    records: number,
    partition: number,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const s = this.settings;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      try {
        await this.invoker.invoke(s.functionName, event);
        this.stats.invocations++;
        this.stats.records += records;
        this.stats.lastInvocationMs = Date.now() - started;
        return;
      } catch (err) {
        this.stats.failures++;
        if (s.maxRetries >= 0 && attempt >= s.maxRetries) throw err;
        const backoff = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8)) * (0.5 + Math.random() / 2);
        this.log.warn("invocation failed; retrying the same batch (partition blocked until it succeeds)", {
          function: s.functionName,
          partition,
          records,
          attempt: attempt + 1,
          retryInMs: Math.round(backoff),
          error: (err as Error).message,
        });
        await heartbeat().catch(() => undefined);
        if (!isRunning()) throw err;
        await sleep(backoff);
      }
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }
}
