import { type Checkpoint, decodeCheckpoint } from "../../lib/core/cdc/checkpoint.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";
import type { OutgoingMessage } from "../../lib/core/change-message.js";
import { type ChangeEnvelope, EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { parseEventId } from "../../lib/core/tracking-row.js";
import { ProducerFencedError, TransientError } from "../../lib/errors.js";
import type { ChangeLog, PublishHooks } from "../../lib/use-cases/cdc/poller-ports.js";

/**
 * In-memory Kafka for the poller: what consumers reading committed records would see (change events
 * and checkpoints), and the epoch of one transactional id. Each FakeChangeLog from `client()` is one
 * poller instance's producer: connecting bumps the epoch, which fences every older client (its next
 * publish, or its commit if a transaction is open, throws ProducerFencedError).
 */

export interface CommittedEvent {
  readonly eventId: string;
  readonly shard: number;
  readonly createTimeMs: number;
  readonly envelope: ChangeEnvelope;
  readonly message: OutgoingMessage;
  /** 1-based number of the transaction that committed it. */
  readonly transaction: number;
}

export interface CommittedCheckpoint {
  readonly key: string | null;
  readonly checkpoint: Checkpoint | undefined;
  readonly transaction: number;
}

export class FakeKafka {
  readonly events: CommittedEvent[] = [];
  readonly checkpoints: CommittedCheckpoint[] = [];
  /** Committed transactions; aborted ones (failed or fenced after sending). */
  committed = 0;
  aborted = 0;
  /** Epoch of the transactional id: bumped by every connect(). */
  epoch = 0;
  readonly transactionalId: string;
  private readonly trace: string[] | undefined;

  constructor(options: { transactionalId?: string; trace?: string[] } = {}) {
    this.transactionalId = options.transactionalId ?? "jtp-cdc.test.shards";
    this.trace = options.trace;
  }

  client(): FakeChangeLog {
    return new FakeChangeLog(this);
  }

  /** How many times each event id was committed. */
  publishedCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.events) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
    return counts;
  }

  /** Event ids committed more than once (should stay empty: exactly once into Kafka). */
  duplicates(): string[] {
    return [...this.publishedCounts()].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** The latest committed checkpoint of each shard (what a restarted poller reads). */
  latestCheckpoints(): Map<number, Checkpoint> {
    const latest = new Map<number, Checkpoint>();
    for (const c of this.checkpoints) {
      const shard = /^shard-(\d+)$/.exec(c.key ?? "")?.[1];
      if (shard === undefined) continue;
      if (c.checkpoint) latest.set(Number(shard), c.checkpoint);
      else latest.delete(Number(shard));
    }
    return latest;
  }

  /** @internal called by FakeChangeLog */
  commit(messages: readonly OutgoingMessage[], checkpoints: readonly OutgoingMessage[]): void {
    const transaction = this.committed + 1;
    const events = messages.map((message) => toEvent(message, transaction));
    this.committed = transaction;
    this.events.push(...events);
    for (const c of checkpoints)
      this.checkpoints.push({ key: c.key, checkpoint: decodeCheckpoint(c.value), transaction });
    this.note(`kafka commit ${transaction}: ${messages.length} events, ${checkpoints.length} checkpoints`);
  }

  /** @internal */
  note(line: string): void {
    this.trace?.push(line);
  }
}

function toEvent(message: OutgoingMessage, transaction: number): CommittedEvent {
  const eventId = message.headers?.[EVENT_ID_HEADER];
  const key = eventId === undefined ? undefined : parseEventId(eventId);
  if (!eventId || !key) throw new Error(`change event without a valid ${EVENT_ID_HEADER} header`);
  const envelope = JSON.parse(message.value) as ChangeEnvelope;
  if (envelope.payload.source.event_id !== eventId)
    throw new Error(`header ${eventId} ≠ payload event_id ${envelope.payload.source.event_id}`);
  return {
    eventId,
    shard: key.shard,
    createTimeMs: timeuuidToMs(key.create_time),
    envelope,
    message,
    transaction,
  };
}

/** Where an injected publish failure strikes. */
export type PublishFault =
  /** Before anything is sent: nothing committed. */
  | "before-send"
  /** After the messages were sent, before the commit: the transaction is aborted, nothing committed. */
  | "before-commit"
  /** After the commit succeeded (the reply was lost): everything committed, yet publish throws. */
  | "after-commit";

export class FakeChangeLog implements ChangeLog {
  readonly calls = { connect: 0, disconnect: 0, publish: 0, readCheckpoints: 0, readPublishedSince: 0 };
  /** Arguments of each readPublishedSince call. */
  readonly publishedSinceAsked: Array<{ shards: number[]; sinceMs: number }> = [];
  /** Runs inside every transaction, after sending and before the commit (e.g. another instance takes over). */
  duringTransaction: (() => Promise<void>) | undefined;
  private epoch: number | undefined;
  private faults: Array<{ at: PublishFault; error: () => Error }> = [];

  constructor(private readonly kafka: FakeKafka) {}

  /** Makes the next publish fail at `at` (queue several calls for several publishes). */
  failNextPublish(
    at: PublishFault,
    error: () => Error = () => new TransientError(`injected ${at} failure`),
  ): void {
    this.faults.push({ at, error });
  }

  get connected(): boolean {
    return this.epoch !== undefined;
  }

  async connect(): Promise<void> {
    this.calls.connect++;
    if (this.epoch !== undefined) return;
    this.kafka.epoch++;
    this.epoch = this.kafka.epoch;
    this.kafka.note(`kafka connect epoch ${this.epoch}`);
  }

  async disconnect(): Promise<void> {
    this.calls.disconnect++;
    this.epoch = undefined;
  }

  async publish(
    messages: readonly OutgoingMessage[],
    checkpoints: readonly OutgoingMessage[],
    hooks: PublishHooks = {},
  ): Promise<void> {
    this.calls.publish++;
    if (this.epoch === undefined) await this.connect(); // like the real publisher: connects lazily
    const fault = this.faults.shift();
    this.assertNotFenced();
    if (fault?.at === "before-send") throw fault.error();
    // "Sent": nothing is visible to committed readers until the commit below.
    try {
      await hooks.beforeCommit?.();
      await this.duringTransaction?.();
      if (fault?.at === "before-commit") throw fault.error();
      this.assertNotFenced();
    } catch (err) {
      this.kafka.aborted++;
      this.kafka.note("kafka abort");
      throw err;
    }
    this.kafka.commit(messages, checkpoints);
    if (fault?.at === "after-commit") throw fault.error();
  }

  async readCheckpoints(shards: readonly number[]): Promise<Map<number, Checkpoint>> {
    this.calls.readCheckpoints++;
    const latest = this.kafka.latestCheckpoints();
    return new Map(shards.flatMap((s) => (latest.has(s) ? [[s, latest.get(s) as Checkpoint]] : [])));
  }

  async readPublishedSince(
    shards: ReadonlySet<number>,
    sinceMs: number,
  ): Promise<Array<{ eventId: string; shard: number; createTimeMs: number }>> {
    this.calls.readPublishedSince++;
    this.publishedSinceAsked.push({ shards: [...shards], sinceMs });
    return this.kafka.events
      .filter((e) => shards.has(e.shard) && e.createTimeMs >= sinceMs)
      .map((e) => ({ eventId: e.eventId, shard: e.shard, createTimeMs: e.createTimeMs }));
  }

  private assertNotFenced(): void {
    if (this.epoch !== this.kafka.epoch) throw new ProducerFencedError(this.kafka.transactionalId);
  }
}
