import type { Checkpoint } from "../../core/cdc/checkpoint.js";
import type { OutgoingMessage } from "../../core/change-message.js";
import type { TrackingRow } from "../../core/tracking-row.js";

/** What the poller needs from the lake (implemented by adapters/cassandra/tracking-reader). */
export interface LakeReader {
  readAfter(
    bucket: number,
    shard: number,
    after: { cursor: string } | { afterMs: number },
    untilMs: number,
    limit: number,
  ): Promise<TrackingRow[]>;
  idsBetween(
    bucket: number,
    shard: number,
    afterMs: number,
    untilMs: number,
  ): Promise<Array<{ createTime: string; createTimeMs: number }>>;
  rowsByIds(bucket: number, shard: number, createTimes: readonly string[]): Promise<TrackingRow[]>;
}

/** Runs between sending a transaction's messages and committing it (fault injection in tests). */
export interface PublishHooks {
  readonly beforeCommit?: () => Promise<void>;
}

/** What the poller needs from Kafka (implemented by adapters/kafka). */
export interface ChangeLog {
  /** Fences any older instance with the same transactional id. */
  connect(): Promise<void>;
  /** Events and checkpoints in one Kafka transaction. Throws ProducerFencedError when fenced. */
  publish(
    messages: readonly OutgoingMessage[],
    checkpoints: readonly OutgoingMessage[],
    hooks?: PublishHooks,
  ): Promise<void>;
  disconnect(): Promise<void>;
  readCheckpoints(shards: readonly number[]): Promise<Map<number, Checkpoint>>;
  readPublishedSince(
    shards: ReadonlySet<number>,
    sinceMs: number,
  ): Promise<Array<{ eventId: string; shard: number; createTimeMs: number }>>;
}
