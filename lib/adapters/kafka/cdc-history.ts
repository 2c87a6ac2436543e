import type { Kafka } from "kafkajs";
import { type Checkpoint, checkpointKey, decodeCheckpoint } from "../../core/cdc/checkpoint.js";
import { timeuuidToMs } from "../../core/cdc/timeuuid.js";
import { EVENT_ID_HEADER } from "../../core/envelope.js";
import { parseEventId } from "../../core/tracking-row.js";
import { partitionOffsets, readTopicRanges, readWholeTopic } from "./topic-range-reader.js";

export interface PublishedRef {
  readonly eventId: string;
  readonly shard: number;
  readonly createTimeMs: number;
}

/** Latest committed checkpoint per shard, read from the compacted checkpoint topic. */
export async function readCheckpoints(
  kafka: Kafka,
  checkpointTopic: string,
  shards: readonly number[],
): Promise<Map<number, Checkpoint>> {
  const wanted = new Map(shards.map((s) => [checkpointKey(s), s]));
  const latest = new Map<number, Checkpoint>();
  await readWholeTopic(kafka, checkpointTopic, (_p, m) => {
    const shard = wanted.get(m.key?.toString() ?? "");
    if (shard === undefined) return;
    const c = decodeCheckpoint(m.value);
    if (c) latest.set(shard, c);
    else latest.delete(shard);
  });
  return latest;
}

/**
 * Ids of change events already committed to the data topic for `shards` whose row create_time is
 * at or after `sinceMs`: what a restarted poller must not publish again. Reads records produced since
 * `sinceMs - marginMs` (producer timestamps), using only the headers (no JSON parsing).
 */
export async function readPublishedSince(
  kafka: Kafka,
  dataTopic: string,
  shards: ReadonlySet<number>,
  sinceMs: number,
  marginMs: number,
): Promise<PublishedRef[]> {
  const offsets = await partitionOffsets(kafka, dataTopic, sinceMs - marginMs);
  const out: PublishedRef[] = [];
  await readTopicRanges(
    kafka,
    dataTopic,
    offsets.map((o) => ({ partition: o.partition, from: o.atTime, to: o.high })),
    (_p, m) => {
      const eventId = m.headers?.[EVENT_ID_HEADER]?.toString();
      const key = eventId === undefined ? undefined : parseEventId(eventId);
      if (!eventId || !key || !shards.has(key.shard)) return;
      const createTimeMs = timeuuidToMs(key.create_time);
      if (createTimeMs >= sinceMs) out.push({ eventId, shard: key.shard, createTimeMs });
    },
  );
  return out;
}
