import type { Kafka } from "kafkajs";
import { readCheckpoints } from "./cdc-history.js";
import { partitionOffsets } from "./topic-range-reader.js";

/** The slowest shard cursor (create_time, epoch ms) of the committed poller checkpoints; undefined if a shard has none. */
export async function slowestPollerPositionMs(
  kafka: Kafka,
  checkpointTopic: string,
  shards: readonly number[],
): Promise<number | undefined> {
  const checkpoints = await readCheckpoints(kafka, checkpointTopic, shards);
  if (shards.some((s) => !checkpoints.has(s))) return undefined;
  return Math.min(...[...checkpoints.values()].map((c) => c.position.ms));
}

/** End offset (next offset to be written) of every partition of `topic`. */
export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  return new Map((await partitionOffsets(kafka, topic)).map((o) => [o.partition, o.high]));
}
