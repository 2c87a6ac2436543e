import { z } from "zod";

/**
 * The poller's cursor for one shard, stored in a compacted Kafka topic (key `shard-<n>`) and written
 * in the same Kafka transaction as the change events it covers: the cursor can never run ahead of,
 * or fall behind, what is published.
 */
export const checkpointSchema = z.object({
  v: z.literal(1),
  shard: z.number().int().nonnegative(),
  /**
   * Where the next poll of the shard starts: after every row up to time `ms` ("time": that range was
   * read completely), or after row `uuid` ("row": a bounded batch stopped there). The look-back
   * window for late rows is (ms - lateWindowMs, ms].
   */
  position: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("time"), ms: z.number().int() }),
    z.object({ kind: z.literal("row"), ms: z.number().int(), uuid: z.string().min(1) }),
  ]),
  /** Random id of the poller session that wrote it: lets a warm session trust its in-memory state. */
  session: z.string().min(1),
  /** Monotonic per session. */
  seq: z.number().int().nonnegative(),
  writtenAtMs: z.number().int(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;
export type ShardPosition = Checkpoint["position"];

export function checkpointKey(shard: number): string {
  return `shard-${shard}`;
}

export function encodeCheckpoint(c: Checkpoint): string {
  return JSON.stringify(c);
}

/** Parses a stored checkpoint; undefined for a tombstone or a value this version cannot read. */
export function decodeCheckpoint(value: Buffer | string | null): Checkpoint | undefined {
  if (value === null) return undefined;
  try {
    const parsed = checkpointSchema.safeParse(JSON.parse(value.toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
