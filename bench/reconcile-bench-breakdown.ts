/**
 * Where the time of a reconcile pass without drift goes (bench/reconcile-bench.ts): the two sides of
 * its first, cheap step timed alone over the same buckets, through the same adapters:
 *  - the lake: one COUNT per (bucket, shard) partition, at several concurrencies;
 *  - the warehouse: accounted ids counted per partition, one statement per run of 30 buckets (as the
 *    pass does), and the whole range in one call.
 */
import type { ReconcilerRuntime } from "../functions/reconciler/dependencies.js";
import { mapLimit } from "../lib/use-cases/map-limit.js";
import { consecutiveRuns } from "../lib/use-cases/reconcile/partition-checks.js";
import type { ReconcileSettings } from "../lib/use-cases/reconcile/reconcile-pass.js";
import type { CpuMeter } from "./reconcile-bench-cpu.js";

/** reconcile-pass.ts compares at most this many consecutive buckets at once (MAX_GROUP_BUCKETS). */
const PASS_GROUP_BUCKETS = 30;

export type BreakdownRow = Record<string, string | number>;

async function timed<T>(
  cpu: CpuMeter,
  work: () => Promise<T>,
): Promise<{ ms: number; value: T; cpu: string }> {
  cpu.start();
  const t = performance.now();
  const value = await work();
  const ms = performance.now() - t;
  return { ms, value, cpu: cpu.stop(ms) };
}

export async function measureBreakdown(
  rt: ReconcilerRuntime,
  settings: ReconcileSettings,
  buckets: readonly number[],
  lakeConcurrency: readonly number[],
  cpu: CpuMeter,
  say: (line: string) => void,
): Promise<BreakdownRow[]> {
  const rows: BreakdownRow[] = [];
  const partitions = buckets.flatMap((bucket) => settings.shards.map((shard) => ({ bucket, shard })));
  for (const c of lakeConcurrency) {
    const r = await timed(cpu, () => mapLimit(partitions, c, (p) => rt.deps.lake.countRows(p)));
    const n = r.value.reduce((a, b) => a + b, 0);
    rows.push({
      part: `lake: COUNT per partition, ${c} at once`,
      "time s": Number((r.ms / 1000).toFixed(2)),
      "rows/s": Math.round(n / (r.ms / 1000)),
      "partitions/s": Math.round(partitions.length / (r.ms / 1000)),
    });
    say(`  breakdown: lake counts, ${c} at once: ${(r.ms / 1000).toFixed(2)} s; CPU ${r.cpu}`);
  }
  const bucketMs = settings.bucketMs;
  const groups = consecutiveRuns(buckets, bucketMs, PASS_GROUP_BUCKETS);
  const grouped = await timed(cpu, async () => {
    let n = 0;
    for (const g of groups) {
      const first = g[0] ?? 0;
      const counts = await rt.deps.accounted.countByPartition(first, (g.at(-1) ?? first) + bucketMs);
      for (const v of counts.values()) n += v;
    }
    return n;
  });
  rows.push({
    part: `warehouse: counts per partition, ${groups.length} statements of ≤ ${PASS_GROUP_BUCKETS} buckets`,
    "time s": Number((grouped.ms / 1000).toFixed(2)),
    "rows/s": Math.round(grouped.value / (grouped.ms / 1000)),
    "partitions/s": Math.round(partitions.length / (grouped.ms / 1000)),
  });
  say(
    `  breakdown: warehouse counts by ${PASS_GROUP_BUCKETS}-bucket runs: ${(grouped.ms / 1000).toFixed(2)} s; CPU ${grouped.cpu}`,
  );
  const first = buckets[0] ?? 0;
  const whole = await timed(cpu, async () => {
    const counts = await rt.deps.accounted.countByPartition(first, (buckets.at(-1) ?? first) + bucketMs);
    return [...counts.values()].reduce((a, b) => a + b, 0);
  });
  rows.push({
    part: "warehouse: counts per partition, whole range in one call",
    "time s": Number((whole.ms / 1000).toFixed(2)),
    "rows/s": Math.round(whole.value / (whole.ms / 1000)),
    "partitions/s": Math.round(partitions.length / (whole.ms / 1000)),
  });
  say(`  breakdown: warehouse counts, whole range: ${(whole.ms / 1000).toFixed(2)} s; CPU ${whole.cpu}`);
  return rows;
}

/**
 * The second step of a pass with drift, alone: for every partition whose counts differ, read the
 * create_times of the lake partition and the accounted ids, and the missing rows (in slices of 500,
 * as the pass does), with `concurrency` partitions at once (1 = what reconcile-pass.ts does today:
 * one partition after the other). Nothing is published.
 */
export async function measureRepairPath(
  rt: ReconcilerRuntime,
  settings: ReconcileSettings,
  buckets: readonly number[],
  concurrencies: readonly number[],
  cpu: CpuMeter,
  say: (line: string) => void,
): Promise<BreakdownRow[]> {
  const { lake, accounted } = rt.deps;
  const partitions = buckets.flatMap((bucket) => settings.shards.map((shard) => ({ bucket, shard })));
  const first = buckets[0] ?? 0;
  const [lakeRows, counted] = await Promise.all([
    mapLimit(partitions, settings.concurrency, (p) => lake.countRows(p)),
    accounted.countByPartition(first, (buckets.at(-1) ?? first) + settings.bucketMs),
  ]);
  const drifting = partitions.filter(
    (p, i) => (lakeRows[i] ?? 0) > (counted.get(`${p.bucket}/${p.shard}`) ?? 0),
  );
  const rows: BreakdownRow[] = [];
  for (const c of concurrencies) {
    const r = await timed(cpu, async () => {
      const found = await mapLimit(drifting, c, async (p) => {
        const [inLake, acc] = await Promise.all([lake.createTimes(p), accounted.createTimesOf(p)]);
        const missing = inLake.filter((u) => !acc.has(u));
        for (let i = 0; i < missing.length; i += 500) await lake.rowsByIds(p, missing.slice(i, i + 500));
        return missing.length;
      });
      return found.reduce((a, b) => a + b, 0);
    });
    rows.push({
      part: `repair path: ids + missing rows of ${drifting.length} drifting partitions, ${c} at once`,
      "time s": Number((r.ms / 1000).toFixed(2)),
      "rows/s": Math.round(r.value / (r.ms / 1000)),
      "partitions/s": Math.round(drifting.length / (r.ms / 1000)),
    });
    say(
      `  breakdown: repair path, ${c} partition(s) at once: ${(r.ms / 1000).toFixed(2)} s for ${r.value} missing rows in ${drifting.length} partitions; CPU ${r.cpu}`,
    );
  }
  return rows;
}

/**
 * One poll of the pass's verify wait alone, as reconcile-pass.ts (stillMissing) does it: one
 * warehouse count per bucket that had a repaired partition, one bucket after the other (here: every
 * bucket of the day, as with 1 % missing nearly every bucket has one).
 */
export async function measureVerifyPoll(
  rt: ReconcilerRuntime,
  settings: ReconcileSettings,
  buckets: readonly number[],
  cpu: CpuMeter,
  say: (line: string) => void,
): Promise<BreakdownRow> {
  const r = await timed(cpu, async () => {
    let n = 0;
    for (const b of buckets)
      for (const v of (await rt.deps.accounted.countByPartition(b, b + settings.bucketMs)).values()) n += v;
    return n;
  });
  say(
    `  breakdown: one verify poll, ${buckets.length} buckets one at a time: ${(r.ms / 1000).toFixed(2)} s; CPU ${r.cpu}`,
  );
  return {
    part: `verify wait: one poll, ${buckets.length} statements (one per bucket)`,
    "time s": Number((r.ms / 1000).toFixed(2)),
    "rows/s": Math.round(r.value / (r.ms / 1000)),
    "partitions/s": Math.round((buckets.length * settings.shards.length) / (r.ms / 1000)),
  };
}
