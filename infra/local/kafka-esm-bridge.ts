import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { Log } from "../../lib/use-cases/ports/log.js";
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
  /**
   * Retries per batch before giving up; -1 = forever (AWS default: the partition blocks until it
   * succeeds). Giving up, like Lambda after MaximumRetryAttempts: the batch is logged (the on-failure
   * destination's stand-in), its offsets are committed and the partition moves on; its records are
   * not applied (the reconciler finds them).
   */
  readonly maxRetries: number;
  readonly startFromEarliest: boolean;
  /**
   * At most this many invocations in flight across all partitions (default: one per partition, as
   * Lambda's event source mapping does). Lower it to model fewer concurrent consumers.
   */
  readonly maxConcurrentInvocations?: number;
}

export interface BridgeStats {
  invocations: number;
  records: number;
  failures: number;
  /** Batches given up (retries exhausted, or giveUpNextBatch) and their records. */
  batchesGivenUp: number;
  recordsGivenUp: number;
  lastInvocationMs: number;
}

/** The log record of a batch given up (the integrity report counts them by this message). */
export const BATCH_GIVEN_UP = "gave up on a batch: offsets committed past it, records not applied";

/** Records fetched for one partition and not yet delivered; paused above this many. */
const MAX_QUEUED_PER_PARTITION = 20_000;
/** An invocation running longer than this is logged (once) while it runs. */
const SLOW_INVOCATION_MS = 30_000;

/** The bridge is stopping: a batch still failing is left for the next start (offsets not committed). */
class BridgeStoppingError extends Error {
  constructor(cause: unknown) {
    super("bridge stopping", { cause });
    this.name = "BridgeStoppingError";
  }
}

interface PartitionLane {
  readonly partition: number;
  queue: KafkaMessage[];
  /** When the oldest queued record arrived (batching window start). */
  firstQueuedAt: number;
  running: boolean;
  paused: boolean;
  /** Bumped on every rebalance: work of an older generation is dropped, never committed. */
  generation: number;
}

/**
 * Local stand-in for Lambda's Kafka event source mapping (serverless-offline has none).
 * Same semantics: read-committed consumer group; MSK-shaped events of at most `batchSize` records;
 * a batching window (invoke when `batchSize` records are waiting or the oldest has waited the window);
 * partitions independent of each other and each strictly in order; offsets committed only after the
 * invocation succeeds; a failed batch is retried whole, with backoff, and only its partition waits.
 *
 * Fetching and invoking are decoupled: kafkajs's fetch position advances as records are queued
 * (resolveOffset), the committed offset only after delivery, so one slow invocation does not hold up
 * the other partitions' fetches, and a crash redelivers from the last committed offset.
 */
export class KafkaEsmBridge {
  readonly stats: BridgeStats = {
    invocations: 0,
    records: 0,
    failures: 0,
    batchesGivenUp: 0,
    recordsGivenUp: 0,
    lastInvocationMs: 0,
  };
  /** Batches to give up without invoking (a fault the integrity suite injects: retries exhausted). */
  private giveUpPending = 0;
  private consumer: Consumer | undefined;
  private readonly lanes = new Map<number, PartitionLane>();
  private generation = 0;
  private stopping = false;
  private readonly stopped = new AbortController();
  private ticker: NodeJS.Timeout | undefined;
  private startedAtMs = 0;
  private resolveJoined: ((ms: number) => void) | undefined;
  /** Resolves with the ms from start() to the first consumer-group join (partitions assigned). */
  readonly joined: Promise<number> = new Promise((resolve) => {
    this.resolveJoined = resolve;
  });

  constructor(
    private readonly kafka: Kafka,
    private readonly invoker: Invoker,
    private readonly settings: BridgeSettings,
    private readonly log: Log,
    /** Called with each successful invocation's response (e.g. the aggregator's batch summary). */
    private readonly onResult?: (result: unknown, records: number) => void,
  ) {
    if (settings.batchSize < 1 || settings.batchSize > 10_000) throw new Error("batchSize must be 1..10000");
    const limit = settings.maxConcurrentInvocations;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new Error("maxConcurrentInvocations must be a whole number >= 1");
    }
    if (settings.batchingWindowMs < 0 || settings.batchingWindowMs > 300_000) {
      throw new Error("batching window must be 0..300000 ms");
    }
  }

  async start(): Promise<void> {
    const s = this.settings;
    this.startedAtMs = Date.now();
    const consumer = this.kafka.consumer({
      groupId: s.groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 8 * 1024 * 1024,
      // A member that vanished without leaving (a killed run) holds the next join back until its
      // session expires: keep that short (the broker's minimum is 6 s), heartbeats well inside it.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumer = consumer;
    // A rebalance resets fetch positions to the committed offsets: drop what is queued.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.resolveJoined?.(Date.now() - this.startedAtMs);
      this.resolveJoined = undefined;
      this.generation++;
      for (const lane of this.lanes.values()) {
        lane.queue = [];
        lane.generation = this.generation;
        lane.paused = false;
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: s.topic, fromBeginning: s.startFromEarliest });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        if (isStale() || batch.messages.length === 0) return;
        const lane = this.lane(batch.partition);
        if (lane.queue.length === 0) lane.firstQueuedAt = Date.now();
        lane.queue.push(...batch.messages);
        const last = batch.messages.at(-1);
        if (last) resolveOffset(last.offset); // fetch position only; commits happen after delivery
        if (lane.queue.length > MAX_QUEUED_PER_PARTITION && !lane.paused) {
          lane.paused = true;
          consumer.pause([{ topic: s.topic, partitions: [lane.partition] }]);
        }
        this.kick(lane);
      },
    });
    // Batching windows expire without new records arriving: check the lanes on a timer.
    this.ticker = setInterval(() => {
      for (const lane of this.lanes.values()) this.kick(lane);
    }, 20);
  }

  private lane(partition: number): PartitionLane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = {
        partition,
        queue: [],
        firstQueuedAt: 0,
        running: false,
        paused: false,
        generation: this.generation,
      };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  /** Starts delivering a lane's queue if it has a full batch or its window has passed. */
  private kick(lane: PartitionLane): void {
    if (lane.running || lane.queue.length === 0 || this.stopping) return;
    const limit = this.settings.maxConcurrentInvocations;
    if (limit !== undefined && [...this.lanes.values()].filter((l) => l.running).length >= limit) return;
    const due =
      lane.queue.length >= this.settings.batchSize ||
      Date.now() - lane.firstQueuedAt >= this.settings.batchingWindowMs;
    if (!due) return;
    lane.running = true;
    this.deliver(lane)
      .catch((err: unknown) => {
        if (err instanceof BridgeStoppingError) {
          this.log.info("bridge stopped while a batch was failing; it is redelivered on the next start", {
            partition: lane.partition,
            error: (err.cause as Error | undefined)?.message,
          });
          return;
        }
        this.log.error("delivery stopped for a partition", {
          partition: lane.partition,
          error: (err as Error).message,
        });
      })
      .finally(() => {
        lane.running = false;
        this.kick(lane);
        // A concurrency slot is free: other lanes may be waiting for it.
        if (this.settings.maxConcurrentInvocations !== undefined) {
          for (const other of this.lanes.values()) this.kick(other);
        }
      });
  }

  private async deliver(lane: PartitionLane): Promise<void> {
    const s = this.settings;
    const generation = lane.generation;
    const taken = lane.queue.splice(0, s.batchSize);
    lane.firstQueuedAt = Date.now();
    for (const chunk of splitForInvocation(taken, s.batchSize)) {
      const event = buildMskEvent(s.bootstrapServers, s.topic, lane.partition, chunk);
      const forced = this.giveUpPending > 0;
      if (forced) this.giveUpPending--;
      const delivered = forced ? false : await this.invokeWithRetry(event, chunk.length, lane.partition);
      if (!delivered) {
        this.stats.batchesGivenUp++;
        this.stats.recordsGivenUp += chunk.length;
        this.log.warn(BATCH_GIVEN_UP, {
          function: s.functionName,
          partition: lane.partition,
          firstOffset: Number(chunk[0]?.offset),
          lastOffset: Number(chunk.at(-1)?.offset),
          records: chunk.length,
          cause: forced ? "fault injected (retries exhausted)" : `${s.maxRetries} retries exhausted`,
        });
      }
      const last = chunk.at(-1);
      if (!last || lane.generation !== generation || !this.consumer) return;
      await this.consumer.commitOffsets([
        { topic: s.topic, partition: lane.partition, offset: String(Number(last.offset) + 1) },
      ]);
    }
    if (lane.paused && lane.queue.length < MAX_QUEUED_PER_PARTITION / 2) {
      lane.paused = false;
      this.consumer?.resume([{ topic: s.topic, partitions: [lane.partition] }]);
    }
  }

  /** The next batch delivered is given up without invoking, as after exhausted retries (fault injection). */
  giveUpNextBatch(): void {
    this.giveUpPending++;
  }

  /** true when the invocation succeeded; false when it was given up after `maxRetries` retries. */
  private async invokeWithRetry(event: unknown, records: number, partition: number): Promise<boolean> {
    const s = this.settings;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      // A slow invocation is worth a line: the partition waits for it (up to the function timeout).
      const slow = setTimeout(
        () =>
          this.log.warn("invocation still running", {
            function: s.functionName,
            partition,
            records,
            attempt: attempt + 1,
            runningMs: Date.now() - started,
          }),
        SLOW_INVOCATION_MS,
      );
      try {
        const result = await this.invoker.invoke(s.functionName, event);
        this.onResult?.(result, records);
        this.stats.invocations++;
        this.stats.records += records;
        this.stats.lastInvocationMs = Date.now() - started;
        return true;
      } catch (err) {
        clearTimeout(slow);
        this.stats.failures++;
        if (this.stopping) throw new BridgeStoppingError(err);
        if (s.maxRetries >= 0 && attempt >= s.maxRetries) return false;
        const backoff = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8)) * (0.5 + Math.random() / 2);
        this.log.warn("invocation failed; retrying the same batch (its partition waits until it succeeds)", {
          function: s.functionName,
          partition,
          records,
          attempt: attempt + 1,
          retryInMs: Math.round(backoff),
          error: (err as Error).message,
        });
        await sleep(backoff, undefined, { signal: this.stopped.signal }).catch(() => undefined);
        if (this.stopping) throw new BridgeStoppingError(err);
      } finally {
        clearTimeout(slow);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    if (this.ticker) clearInterval(this.ticker);
    // Let in-flight deliveries finish (they commit what succeeded), bounded.
    const deadline = Date.now() + 10_000;
    while ([...this.lanes.values()].some((l) => l.running) && Date.now() < deadline) await sleep(50);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }
}
