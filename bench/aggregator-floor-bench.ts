/**
 * The database's share of one aggregator batch, alone: how long MariaDB takes for the statements of
 * a 10,000-record batch in ONE transaction (what exactly-once requires: one session, so one server
 * thread), with validation and everything else in Node taken away. This is the floor of the batch
 * time of one invocation on this machine.
 *
 *   npm run bench:aggregator-floor -- [--prefill 2000000] [--rounds 8] [--records 10000] [--jobs 2000]
 *
 * In a scratch database (`<MYSQL_DATABASE>_floor_bench`, created from the migrations, dropped at
 * the end, admin account): fills the event-id guard table with `--prefill` ids, then per round times,
 * through the production adapter (MysqlWarehouseTx):
 *   - the event-id claims of `--records` events (chunks of 1,000, as the aggregator sends them),
 *   - the upsert of the aggregate rows of `--records` events (2,000 jobs × 3 publishers × 2 hours, as
 *     in bench:aggregator),
 *   - both in one transaction (guard on), and the upsert alone (guard off),
 * and prints the records/s ceiling each leaves (records / statement time). Goal context: 50,000
 * records/s means 200 ms per 10,000-record batch for everything.
 */
import { randomUUID } from "node:crypto";
import type { Pool } from "mysql2/promise";
import { MysqlWarehouse } from "../lib/adapters/mysql/mysql-warehouse.js";
import { loadConfig } from "../lib/config/index.js";
import { Aggregation, contributionOf } from "../lib/core/aggregation.js";
import { hourBucketer } from "../lib/core/time-bucket.js";
import { MYSQL_TABLES } from "../lib/schema-names.js";
import type { WarehouseRow } from "../lib/use-cases/apply-batch-ports.js";
import { reportFailures, startNeededServers } from "./run-script.js";
import { createScratchDatabase } from "./scratch-database.js";
import { positiveInt, scriptProgram } from "./script-args.js";

const args = scriptProgram("bench:aggregator-floor", "the database's share of one aggregator batch")
  .option("--prefill <ids>", "event ids already in the guard table", positiveInt, 2_000_000)
  .option("--rounds <n>", "timed rounds", positiveInt, 8)
  .option("--records <n>", "records per batch", positiveInt, 10_000)
  .option("--jobs <n>", "distinct jobs", positiveInt, 2_000)
  .parse()
  .opts<{ prefill: number; rounds: number; records: number; jobs: number }>();
const PREFILL = args.prefill;
const ROUNDS = args.rounds;
const RECORDS = args.records;
const JOBS = args.jobs;

reportFailures("bench:aggregator-floor");
await startNeededServers(["mariadb"]);
const config = loadConfig();
const scratch = `${config.mysql.database}_floor_bench`;

/** Event ids shaped like the poller's: "<bucket ms>/<shard>/<time uuid>", event times in the last hour. */
function eventIds(n: number, now: number): string[] {
  return Array.from({ length: n }, () => {
    const ts = now - Math.floor(Math.random() * 3_600_000);
    return `${ts - (ts % 60_000)}/${Math.floor(Math.random() * 4)}/${randomUUID()}`;
  });
}

/**
 * Aggregate rows of `n` click events over JOBS jobs × 3 publishers × the last two hours, through the
 * production aggregation (sorted by grain).
 */
function aggregateRows(n: number, now: number): WarehouseRow[] {
  const utc = hourBucketer("UTC");
  const aggregation = new Aggregation();
  for (let i = 0; i < n; i++) {
    const jobId = 2_000_000_000 + Math.floor(Math.random() * JOBS);
    const row = {
      job_id: jobId,
      ts: now - Math.floor(Math.random() * 3_600_000),
      custom_track: "click",
      bid: 1.2345,
      publisher_id: 1 + Math.floor(Math.random() * 3),
      campaign_id: jobId % 50,
      group_id: jobId % 10,
    };
    aggregation.add(contributionOf(row, utc));
  }
  return aggregation.rows().map((r) => ({ ...r, companyId: null }));
}

async function prefill(pool: Pool): Promise<void> {
  const started = performance.now();
  const now = Date.now();
  for (let done = 0; done < PREFILL; done += 10_000) {
    const ids = eventIds(Math.min(10_000, PREFILL - done), now).sort();
    await pool.query(`INSERT IGNORE INTO ${MYSQL_TABLES.processedEvents} (event_id) VALUES ?`, [
      ids.map((i) => [i]),
    ]);
    if ((done / 10_000) % 50 === 49) {
      console.log(
        `  prefilled ${(done + 10_000).toLocaleString("en-US")} / ${PREFILL.toLocaleString("en-US")} event ids`,
      );
    }
  }
  console.log(
    `prefill: ${PREFILL.toLocaleString("en-US")} event ids in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

interface Round {
  readonly claimsMs: number;
  readonly upsertGuardMs: number;
  readonly guardTxMs: number;
  readonly upsertOnlyTxMs: number;
  readonly rows: number;
}

async function round(warehouse: MysqlWarehouse): Promise<Round> {
  const now = Date.now();
  const ids = eventIds(RECORDS, now);
  const rows = aggregateRows(RECORDS, now);
  let claimsMs = 0;
  let upsertGuardMs = 0;
  const t0 = performance.now();
  await warehouse.transaction(async (tx) => {
    for (let i = 0; i < ids.length; i += 1_000) {
      const c = performance.now();
      await tx.claimEventIds(ids.slice(i, i + 1_000).sort());
      claimsMs += performance.now() - c;
    }
    const u = performance.now();
    await tx.upsertAggregates(rows);
    upsertGuardMs = performance.now() - u;
  });
  const guardTxMs = performance.now() - t0;
  const again = aggregateRows(RECORDS, now);
  const t1 = performance.now();
  await warehouse.transaction((tx) => tx.upsertAggregates(again));
  return { claimsMs, upsertGuardMs, guardTxMs, upsertOnlyTxMs: performance.now() - t1, rows: rows.length };
}

const { pool, drop } = await createScratchDatabase(config, scratch);
try {
  await prefill(pool);
  const warehouse = new MysqlWarehouse(pool, { upsertChunkRows: config.aggregator.upsertChunkRows });
  await round(warehouse); // warm-up: the grains' rows exist from here on, as in a running pipeline
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(warehouse));
  const median = (f: (r: Round) => number) => {
    const v = rounds.map(f).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)] ?? 0;
  };
  const ceiling = (ms: number) => Math.round(RECORDS / (ms / 1000));
  console.log(
    `aggregator statement floor: ${RECORDS.toLocaleString("en-US")} records per batch, ${JOBS} jobs, ` +
      `${PREFILL.toLocaleString("en-US")} event ids already in the guard table, one transaction, medians of ${ROUNDS} rounds`,
  );
  console.table([
    {
      "event-id guard": "on",
      "claims ms": Math.round(median((r) => r.claimsMs)),
      "upsert ms": Math.round(median((r) => r.upsertGuardMs)),
      "rows upserted": Math.round(median((r) => r.rows)),
      "transaction ms": Math.round(median((r) => r.guardTxMs)),
      "ceiling records/s": ceiling(median((r) => r.guardTxMs)),
    },
    {
      "event-id guard": "off",
      "claims ms": 0,
      "upsert ms": Math.round(median((r) => r.upsertOnlyTxMs)),
      "rows upserted": Math.round(median((r) => r.rows)),
      "transaction ms": Math.round(median((r) => r.upsertOnlyTxMs)),
      "ceiling records/s": ceiling(median((r) => r.upsertOnlyTxMs)),
    },
  ]);
  console.log(
    "ceiling = records / transaction time: what one invocation could reach if validating, aggregating and " +
      "everything else in Node took no time at all (goal: 50,000 records/s = 200 ms per 10,000 records).",
  );
} finally {
  await drop();
}
