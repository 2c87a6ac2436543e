/**
 * How long `jtp replay --rebuild` takes for one day of 1,000,000 lake rows, on the warehouse side:
 * the rebuildHours use case (aggregation as the aggregator does it) and its one transaction
 * (MysqlWarehouseRebuild: INSERT IGNORE the event ids, DELETE the day's fact rows, upsert the new
 * ones), with a synthetic lake generated page by page in memory (the Cassandra reads are measured by
 * the reconciler's own bench).
 *
 *   npm exec -- tsx bench/rebuild-hours-bench.ts [--rows 1000000] [--shards 4] [--jobs 2000]
 *
 * In a scratch database (`<MYSQL_DATABASE>_rebuild_bench`, created from the migrations, dropped at
 * the end, admin account, as the CLI runs it). Two runs over the same day: into an empty warehouse,
 * then again over the rows of the first (every fact row deleted and inserted again, every event id
 * already applied). Prints the time to read and aggregate, the transaction time, and peak memory.
 */
import { trackAt } from "../infra/tooling/generator/tracking-event-factory.js";
import { MysqlJobCompanyLookup } from "../lib/adapters/mysql/job-company-lookup.js";
import { MysqlWarehouseRebuild } from "../lib/adapters/mysql/warehouse-rebuild.js";
import { loadConfig } from "../lib/config/index.js";
import { hourBucketer } from "../lib/core/time-bucket.js";
import { RAW_INT_COLUMNS, RAW_TEXT_COLUMNS, type TrackingRow } from "../lib/core/tracking-row.js";
import type { WarehouseRow } from "../lib/use-cases/apply-batch-ports.js";
import { rebuildHours } from "../lib/use-cases/reconcile/rebuild-hours.js";
import type {
  LakePartitions,
  PartitionKey,
  WarehouseHour,
  WarehouseRebuild,
} from "../lib/use-cases/reconcile/reconcile-ports.js";
import { createScratchDatabase } from "./scratch-database.js";
import { positiveInt, scriptArgs, scriptProgram } from "./script-args.js";

const args = scriptProgram("rebuild-hours-bench", "rebuildHours over one day of synthetic lake rows")
  .option("--rows <n>", "lake rows of the day", positiveInt, 1_000_000)
  .option("--shards <n>", "lake shards", positiveInt, 4)
  .option("--jobs <n>", "distinct jobs", positiveInt, 2_000)
  .parse(scriptArgs(), { from: "user" })
  .opts<{ rows: number; shards: number; jobs: number }>();
const ROWS = args.rows;
const SHARDS = args.shards;
const JOBS = args.jobs;
const BUCKET_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY = Date.UTC(2026, 10, 29);
const PER_PARTITION = Math.ceil(ROWS / ((DAY_MS / BUCKET_MS) * SHARDS));
const config = loadConfig();
const scratch = `${config.mysql.database}_rebuild_bench`;

const RAW: Record<string, null> = {};
for (const c of [...RAW_TEXT_COLUMNS, ...RAW_INT_COLUMNS]) RAW[c] = null;

/** A lake whose partitions of the day hold PER_PARTITION rows each, generated page by page. */
class SyntheticLake implements LakePartitions {
  private rowsOf(p: PartitionKey, from: number, to: number): TrackingRow[] {
    if (p.bucket < DAY || p.bucket >= DAY + DAY_MS) return [];
    const out: TrackingRow[] = [];
    for (let i = from; i < Math.min(to, PER_PARTITION); i++) {
      const n = (p.bucket / BUCKET_MS) * 131 + p.shard * 7 + i * 31;
      const hex = (p.bucket / BUCKET_MS + p.shard * 1_000_003 + i * 7).toString(16).padStart(12, "0");
      out.push({
        ...(RAW as unknown as TrackingRow),
        bucket: p.bucket,
        shard: p.shard,
        create_time: `00000000-0000-1000-8000-${hex}`,
        job_id: 1 + (n % JOBS),
        custom_track: trackAt(n),
        bid: Math.fround(0.1 + (n % 50) / 10),
        campaign_id: n % 20,
        group_id: n % 5,
        publisher_id: 1 + (n % 3),
        ts: p.bucket + ((i * 997) % BUCKET_MS),
      });
    }
    return out;
  }
  async countRows(p: PartitionKey) {
    return this.rowsOf(p, 0, PER_PARTITION).length;
  }
  async createTimes(p: PartitionKey) {
    return this.rowsOf(p, 0, PER_PARTITION).map((r) => r.create_time);
  }
  async rowsByIds(p: PartitionKey, ids: readonly string[]) {
    return this.rowsOf(p, 0, PER_PARTITION).filter((r) => ids.includes(r.create_time));
  }
  async *pages(p: PartitionKey, pageSize: number) {
    for (let i = 0; i < PER_PARTITION; i += pageSize) {
      const page = this.rowsOf(p, i, i + pageSize);
      if (page.length === 0) return;
      yield page;
    }
  }
}

/** Times the transaction. */
class Timed implements WarehouseRebuild {
  ms = 0;
  constructor(private readonly inner: WarehouseRebuild) {}
  async replaceHours(hours: readonly WarehouseHour[], rows: readonly WarehouseRow[], ids: readonly string[]) {
    const t = performance.now();
    try {
      return await this.inner.replaceHours(hours, rows, ids);
    } finally {
      this.ms = performance.now() - t;
    }
  }
}

const { pool, drop } = await createScratchDatabase(config, scratch);
await pool.query("INSERT INTO job (job_id, company_id) VALUES ?", [
  Array.from({ length: JOBS }, (_, i) => [i + 1, 1 + (i % 100)]),
]);
let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 100);
try {
  const results: Array<Record<string, string | number>> = [];
  for (const run of ["into an empty warehouse", "again over the same day"]) {
    const rebuild = new Timed(
      new MysqlWarehouseRebuild(pool, { upsertChunkRows: config.aggregator.upsertChunkRows }),
    );
    const started = performance.now();
    const r = await rebuildHours(
      { fromMs: DAY, toMs: DAY + DAY_MS, shards: Array.from({ length: SHARDS }, (_, i) => i) },
      {
        lake: new SyntheticLake(),
        rebuild,
        jobs: new MysqlJobCompanyLookup(pool),
        bucketer: hourBucketer("UTC"),
        options: { maxLatenessMs: 10 * 60_000, bucketMs: BUCKET_MS },
      },
    );
    const total = performance.now() - started;
    results.push({
      run,
      "rows in range": r.rowsInRange,
      "fact rows deleted": r.deletedRows,
      "fact rows inserted": r.insertedRows,
      "read + aggregate s": Number(((total - rebuild.ms) / 1000).toFixed(1)),
      "transaction s": Number((rebuild.ms / 1000).toFixed(1)),
      "total s": Number((total / 1000).toFixed(1)),
      "rows/s": Math.round(r.rowsInRange / (total / 1000)),
    });
  }
  console.log(
    `rebuild of one UTC day: ${(PER_PARTITION * SHARDS * (DAY_MS / BUCKET_MS)).toLocaleString("en-US")} lake rows, ` +
      `${SHARDS} shards, ${JOBS} jobs, 24 hours in one transaction; peak RSS ${Math.round(peakRss / 2 ** 20)} MiB, peak heap used ${Math.round(peakHeap / 2 ** 20)} MiB`,
  );
  console.table(results);
} finally {
  clearInterval(sampler);
  await drop();
}
