import type { Checkpoint } from "../../core/cdc/checkpoint.js";
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

export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the poller needs from Kafka (implemented by adapters/kafka). */
export interface ChangeLog {
  /** Fences any older instance with the same transactional id. */
  connect(): Promise<void>;
  publish(
    messages: readonly OutgoingMessage[],
    checkpoints: readonly OutgoingMessage[],
    hooks?: { beforeCommit?: () => Promise<void> },
  ): Promise<void>;
  disconnect(): Promise<void>;
  readCheckpoints(shards: readonly number[]): Promise<Map<number, Checkpoint>>;
  readPublishedSince(
    shards: ReadonlySet<number>,
    sinceMs: number,
  ): Promise<Array<{ eventId: string; shard: number; createTimeMs: number }>>;
}

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
