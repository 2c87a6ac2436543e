/**
 * How fast the reconciler's cheap first step is on the warehouse side: counting the accounted event
 * ids (processed_events ∪ dead_letters.event_id) per lake partition over one day, through the
 * production adapter (MysqlAccountedEvents.countByPartition), with the whole day in one statement or
 * cut into chunks (one statement per chunk, some in parallel).
 *
 *   npm exec -- tsx bench/accounted-events-bench.ts [--ids 1000000] [--other 500000] [--shards 4]
 *                                                   [--bucket-seconds 60] [--rounds 3]
 *
 * In a scratch database (`<MYSQL_DATABASE>_accounted_bench`, created from the migrations, dropped at
 * the end, admin account): `--ids` event ids of one UTC day (`--shards` shards, `--bucket-seconds`
 * buckets, i.e. 5,760 partitions by default), `--other` ids of the day before (the guard table holds
 * about a day and a bit), and 1,000 dead-lettered ids of the day (half of them also applied).
 * Prints the median time of `--rounds` rounds per variant and checks every variant's totals.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import mysql, { type Pool } from "mysql2/promise";
import { listMigrations } from "../infra/migrate/migration-files.js";
import { MysqlAccountedEvents } from "../lib/adapters/mysql/accounted-events.js";
import { loadConfig, requireSecret } from "../lib/config/index.js";
import { MYSQL_TABLES } from "../lib/schema-names.js";

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === "--" ? argv.slice(1) : argv,
  options: {
    ids: { type: "string", default: "1000000" },
    other: { type: "string", default: "500000" },
    shards: { type: "string", default: "4" },
    "bucket-seconds": { type: "string", default: "60" },
    rounds: { type: "string", default: "3" },
  },
  allowPositionals: false,
});
function positive(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name}: expected a whole number >= ${min}, got ${v}`);
    process.exit(1);
  }
  return n;
}
const IDS = positive("ids", values.ids);
const OTHER = positive("other", values.other, 0);
const SHARDS = positive("shards", values.shards);
const BUCKET_MS = positive("bucket-seconds", values["bucket-seconds"]) * 1000;
const ROUNDS = positive("rounds", values.rounds);
const DEAD_LETTERS = 1_000;

const config = loadConfig();
const scratch = `${config.mysql.database}_accounted_bench`;
const DAY_MS = 86_400_000;
const day = Date.UTC(2026, 10, 30);

function idOf(dayStart: number): string {
  const t = dayStart + Math.floor(Math.random() * DAY_MS);
  return `${t - (t % BUCKET_MS)}/${Math.floor(Math.random() * SHARDS)}/${randomUUID()}`;
}

async function createScratch(): Promise<Pool> {
  const admin = await mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.admin.user,
    password: requireSecret(config.mysql.admin),
  });
  await admin.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
  await admin.query(`CREATE DATABASE \`${scratch}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.changeUser({ database: scratch });
  for (const m of listMigrations("mysql")) for (const sql of m.statements) await admin.query(sql);
  await admin.end();
  return mysql.createPool({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.admin.user,
    password: requireSecret(config.mysql.admin),
    database: scratch,
    connectionLimit: 4,
    timezone: "Z",
  });
}

async function fill(pool: Pool): Promise<number> {
  const started = performance.now();
  const insert = async (n: number, dayStart: number) => {
    for (let done = 0; done < n; done += 10_000) {
      const ids = Array.from({ length: Math.min(10_000, n - done) }, () => idOf(dayStart)).sort();
      await pool.query(`INSERT IGNORE INTO ${MYSQL_TABLES.processedEvents} (event_id) VALUES ?`, [
        ids.map((i) => [i]),
      ]);
    }
  };
  await insert(IDS, day);
  await insert(OTHER, day - DAY_MS);
  // dead letters of the day: even ones also applied (counted once), odd ones only dead-lettered
  const letters = Array.from({ length: DEAD_LETTERS }, () => idOf(day));
  await pool.query(
    `INSERT INTO ${MYSQL_TABLES.deadLetters} (topic, partition_id, record_offset, reason_code, reason, event_id) VALUES ?`,
    [letters.map((id, i) => ["bench", 0, i, "invalid_row", "bench", id])],
  );
  await pool.query(`INSERT IGNORE INTO ${MYSQL_TABLES.processedEvents} (event_id) VALUES ?`, [
    letters.filter((_, i) => i % 2 === 0).map((i) => [i]),
  ]);
  await pool.query(`ANALYZE TABLE ${MYSQL_TABLES.processedEvents}, ${MYSQL_TABLES.deadLetters}`);
  const [rows] = await pool.query(
    `SELECT COUNT(*) AS n FROM (
       SELECT event_id FROM ${MYSQL_TABLES.processedEvents} WHERE event_id >= ? AND event_id < ?
       UNION SELECT event_id FROM ${MYSQL_TABLES.deadLetters} WHERE event_id >= ? AND event_id < ?) u`,
    [`${day}/`, `${day + DAY_MS}/`, `${day}/`, `${day + DAY_MS}/`],
  );
  const expected = Number((rows as Array<{ n: string | number }>)[0]?.n);
  console.log(
    `filled ${(IDS + OTHER).toLocaleString("en-US")} event ids + ${DEAD_LETTERS} dead letters in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s; accounted ids of the day: ${expected.toLocaleString("en-US")}`,
  );
  return expected;
}

const variants = [
  { name: "1 statement (default: 1-day chunks)", chunkMs: 86_400_000, parallelChunks: 1 },
  { name: "1 h chunks, 1 at a time", chunkMs: 3_600_000, parallelChunks: 1 },
  { name: "1 h chunks, 2 in parallel", chunkMs: 3_600_000, parallelChunks: 2 },
  { name: "1 h chunks, 4 in parallel", chunkMs: 3_600_000, parallelChunks: 4 },
  { name: "15 min chunks, 2 in parallel", chunkMs: 900_000, parallelChunks: 2 },
] as const;

const pool = await createScratch();
try {
  const expected = await fill(pool);
  const results: Array<Record<string, string | number>> = [];
  for (const v of variants) {
    const accounted = new MysqlAccountedEvents(pool, v);
    const times: number[] = [];
    let partitions = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const counts = await accounted.countByPartition(day, day + DAY_MS);
      times.push(performance.now() - t);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      if (total !== expected) throw new Error(`${v.name}: counted ${total}, expected ${expected}`);
      partitions = counts.size;
    }
    const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
    results.push({
      variant: v.name,
      "median s": Number((median / 1000).toFixed(2)),
      "ids/s": Math.round(expected / (median / 1000)),
      partitions,
    });
  }
  console.log(
    `countByPartition over one day: ${expected.toLocaleString("en-US")} accounted ids, ${SHARDS} shards, ` +
      `${BUCKET_MS / 1000} s buckets, median of ${ROUNDS} rounds`,
  );
  console.table(results);
} finally {
  await pool.query(`DROP DATABASE IF EXISTS \`${scratch}\``).catch(() => undefined);
  await pool.end();
}
