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
import type { Pool } from "mysql2/promise";
import { MysqlAccountedEvents } from "../lib/adapters/mysql/accounted-events.js";
import { loadConfig } from "../lib/config/index.js";
import { MYSQL_TABLES } from "../lib/schema-names.js";
import { createScratchDatabase, insertEventIds } from "./scratch-database.js";
import { nonNegativeInt, positiveInt, scriptArgs, scriptProgram } from "./script-args.js";

const args = scriptProgram("accounted-events-bench", "countByPartition over one day of accounted event ids")
  .option("--ids <n>", "event ids of the day", positiveInt, 1_000_000)
  .option("--other <n>", "event ids of the day before", nonNegativeInt, 500_000)
  .option("--shards <n>", "lake shards", positiveInt, 4)
  .option("--bucket-seconds <n>", "lake bucket length", positiveInt, 60)
  .option("--rounds <n>", "timed rounds per variant", positiveInt, 3)
  .parse(scriptArgs(), { from: "user" })
  .opts<{ ids: number; other: number; shards: number; bucketSeconds: number; rounds: number }>();
const IDS = args.ids;
const OTHER = args.other;
const SHARDS = args.shards;
const BUCKET_MS = args.bucketSeconds * 1000;
const ROUNDS = args.rounds;
const DEAD_LETTERS = 1_000;

const config = loadConfig();
const scratch = `${config.mysql.database}_accounted_bench`;
const DAY_MS = 86_400_000;
const day = Date.UTC(2026, 10, 30);

function idOf(dayStart: number): string {
  const t = dayStart + Math.floor(Math.random() * DAY_MS);
  return `${t - (t % BUCKET_MS)}/${Math.floor(Math.random() * SHARDS)}/${randomUUID()}`;
}

async function fill(pool: Pool): Promise<number> {
  const started = performance.now();
  const insert = async (n: number, dayStart: number) => {
    for (let done = 0; done < n; done += 10_000) {
      await insertEventIds(
        pool,
        Array.from({ length: Math.min(10_000, n - done) }, () => idOf(dayStart)),
      );
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
  await insertEventIds(
    pool,
    letters.filter((_, i) => i % 2 === 0),
  );
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

const { pool, drop } = await createScratchDatabase(config, scratch, 4);
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
  await drop();
}
