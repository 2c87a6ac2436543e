import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { loadConfig } from "../../lib/config/index.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import { backfillCompanyIds } from "../tooling/mysql/company-backfill.js";

/** Fills events.company_id where the job dimension row arrived after the aggregates (writer account). */
export async function backfillCommand(): Promise<void> {
  const config = loadConfig();
  const pool = createMysqlPool(config, config.mysql.writer);
  try {
    const rows = await backfillCompanyIds(pool);
    console.log(`back-filled company_id on ${rows} fact row(s)`);
  } finally {
    await pool.end();
  }
}

/** Lists dead letters (newest first) with their source and reason; read-only account. */
export async function deadLettersCommand(limit: number, showPayload: boolean): Promise<void> {
  const config = loadConfig();
  const pool = createMysqlPool(config, config.mysql.reader);
  try {
    const [summary] = await pool.query(
      `SELECT reason_code, COUNT(*) AS n, MIN(created_at) AS first_seen, MAX(created_at) AS last_seen
         FROM ${MYSQL_TABLES.deadLetters} GROUP BY reason_code ORDER BY n DESC`,
    );
    console.log("reason_code                     count  first seen               last seen");
    for (const r of summary as Array<Record<string, string>>) {
      console.log(
        `${String(r.reason_code).padEnd(30)} ${String(r.n).padStart(6)}  ${r.first_seen}  ${r.last_seen}`,
      );
    }
    const [rows] = await pool.query(
      `SELECT topic, partition_id, record_offset, reason_code, reason, created_at, payload
         FROM ${MYSQL_TABLES.deadLetters} ORDER BY id DESC LIMIT ?`,
      [limit],
    );
    console.log(`\nlatest ${limit}:`);
    for (const r of rows as Array<Record<string, unknown>>) {
      console.log(
        `${r.topic}-${r.partition_id}@${r.record_offset}  ${r.reason_code}: ${r.reason}  (${r.created_at})`,
      );
      if (showPayload && r.payload) console.log(`   payload: ${String(r.payload).slice(0, 500)}`);
    }
  } finally {
    await pool.end();
  }
}
