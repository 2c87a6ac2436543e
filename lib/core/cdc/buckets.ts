/** Ingest-time buckets of the lake's partition key. Pure arithmetic on epoch milliseconds. */

export function bucketStart(timeMs: number, bucketMs: number): number {
  return Math.floor(timeMs / bucketMs) * bucketMs;
}

/** Bucket starts covering [fromMs, toMs], oldest first. */
export function bucketsBetween(fromMs: number, toMs: number, bucketMs: number): number[] {
  const out: number[] = [];
  for (let b = bucketStart(fromMs, bucketMs); b <= toMs; b += bucketMs) out.push(b);
  return out;
}

/** Shard for a new row: spreads writes evenly; any deterministic or random choice is valid for reading. */
export function shardFor(seed: number, shards: number): number {
  return ((seed % shards) + shards) % shards;
}
