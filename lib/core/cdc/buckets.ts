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

/**
 * Buckets of [fromMs, toMs) that had closed by `closedByMs` (bucket start + bucketMs ≤ closedByMs),
 * oldest first, and how many buckets of the range had not.
 */
export function closedBucketsBetween(
  fromMs: number,
  toMs: number,
  bucketMs: number,
  closedByMs: number,
): { buckets: number[]; skipped: number } {
  const all = bucketsBetween(fromMs, toMs - 1, bucketMs);
  const buckets = all.filter((b) => b + bucketMs <= closedByMs);
  return { buckets, skipped: all.length - buckets.length };
}

/** Shard for a new row: spreads writes evenly; any deterministic or random choice is valid for reading. */
export function shardFor(seed: number, shards: number): number {
  return ((seed % shards) + shards) % shards;
}
