import { mapLimit } from "../map-limit.js";
import type { ReconcileDeps, ReconcileSettings } from "./reconcile-pass.js";
import { type PartitionKey, partitionKeyString } from "./reconcile-ports.js";

/**
 * The comparisons a reconcile pass makes, partition by partition: lake counts against the
 * warehouse's accounted event ids, the missing ids of one partition, what is still missing after a
 * repair, and the bounded wait for the aggregator.
 */

export interface PartitionCheck {
  readonly p: PartitionKey;
  readonly lakeRows: number;
}

export interface RepairedPartition extends PartitionCheck {
  /** create_times re-published by this pass. */
  readonly republished: readonly string[];
}

/** Buckets compared together at most (one warehouse statement per run, lake counts in parallel). */
export const MAX_GROUP_BUCKETS = 30;

/** Splits buckets (in the given order) into runs of consecutive buckets, at most `max` long. */
export function consecutiveRuns(buckets: readonly number[], bucketMs: number, max: number): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (const b of buckets) {
    const last = run.at(-1);
    if (last !== undefined && (b !== last + bucketMs || run.length >= max)) {
      runs.push(run);
      run = [];
    }
    run.push(b);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** Counts of every partition of a run of consecutive buckets: the lake (in parallel) against the warehouse (one read). */
export async function compareGroup(
  settings: ReconcileSettings,
  deps: ReconcileDeps,
  group: readonly number[],
): Promise<Array<PartitionCheck & { readonly missing: number }>> {
  const first = group[0] ?? 0;
  const last = group.at(-1) ?? first;
  const partitions = group.flatMap((bucket) => settings.shards.map((shard) => ({ bucket, shard })));
  const [accounted, lakeRows] = await Promise.all([
    deps.accounted.countByPartition(first, last + settings.bucketMs),
    mapLimit(partitions, settings.concurrency, (p) => deps.lake.countRows(p)),
  ]);
  return partitions.map((p, i) => {
    const n = lakeRows[i] ?? 0;
    return { p, lakeRows: n, missing: Math.max(0, n - (accounted.get(partitionKeyString(p)) ?? 0)) };
  });
}

/** create_times in the lake partition that the warehouse has not accounted for. */
export async function missingIds(deps: ReconcileDeps, p: PartitionKey): Promise<string[]> {
  const [inLake, accounted] = await Promise.all([deps.lake.createTimes(p), deps.accounted.createTimesOf(p)]);
  return inLake.filter((u) => !accounted.has(u));
}

/** Partitions (key → rows) still not fully accounted for. */
export async function stillMissing(
  settings: ReconcileSettings,
  deps: ReconcileDeps,
  parts: readonly PartitionCheck[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const buckets = [...new Set(parts.map((c) => c.p.bucket))].sort((x, y) => x - y);
  for (const run of consecutiveRuns(buckets, settings.bucketMs, MAX_GROUP_BUCKETS)) {
    const first = run[0] ?? 0;
    const last = run.at(-1) ?? first;
    const accounted = await deps.accounted.countByPartition(first, last + settings.bucketMs);
    for (const c of parts) {
      if (c.p.bucket < first || c.p.bucket > last) continue;
      const left = c.lakeRows - (accounted.get(partitionKeyString(c.p)) ?? 0);
      if (left > 0) out.set(partitionKeyString(c.p), left);
    }
  }
  return out;
}

/** How many re-published rows ended up dead-lettered (poison in the lake). */
export async function deadLetteredAmong(
  deps: ReconcileDeps,
  parts: readonly RepairedPartition[],
): Promise<number> {
  let n = 0;
  for (const r of parts) {
    const dead = await deps.accounted.deadLetteredOf(r.p);
    for (const u of r.republished) if (dead.has(u)) n++;
  }
  return n;
}

/** Waits (bounded) until the aggregator accounted for every re-published row; returns what is still missing. */
export async function waitUntilAccounted(
  settings: ReconcileSettings,
  deps: ReconcileDeps,
  parts: readonly PartitionCheck[],
): Promise<Map<string, number>> {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = clock() + settings.verifyTimeoutMs;
  for (;;) {
    const left = await stillMissing(settings, deps, parts);
    if (left.size === 0 || clock() >= deadline) return left;
    await sleep(Math.min(settings.verifyPollMs, Math.max(0, deadline - clock())));
  }
}
