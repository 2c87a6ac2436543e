import mysql, { type Pool } from "mysql2/promise";
import { listMigrations } from "../infra/migrate/migration-files.js";
import { type Config, requireSecret } from "../lib/config/index.js";
import { MYSQL_TABLES } from "../lib/schema-names.js";

/** Event ids per multi-row INSERT IGNORE. */
const INSERT_ROWS = 5_000;

/**
 * A throw-away warehouse database for a benchmark (admin account): `name` is dropped if it exists,
 * created from the project's MySQL migrations, and opened as a pool (session zone UTC). Call `drop`
 * at the end.
 */
export async function createScratchDatabase(
  config: Config,
  name: string,
  connectionLimit = 2,
): Promise<{ pool: Pool; drop: () => Promise<void> }> {
  const server = {
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.admin.user,
    password: requireSecret(config.mysql.admin),
  };
  const admin = await mysql.createConnection(server);
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.changeUser({ database: name });
    for (const m of listMigrations("mysql")) for (const sql of m.statements) await admin.query(sql);
  } finally {
    await admin.end();
  }
  const pool = mysql.createPool({ ...server, database: name, connectionLimit, timezone: "Z" });
  return {
    pool,
    drop: async () => {
      await pool.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
      await pool.end();
    },
  };
}

/** Inserts event ids into processed_events (as applied), sorted, in multi-row INSERT IGNORE statements. */
export async function insertEventIds(pool: Pool, ids: readonly string[]): Promise<void> {
  const sorted = [...ids].sort();
  for (let i = 0; i < sorted.length; i += INSERT_ROWS) {
    await pool.query(`INSERT IGNORE INTO ${MYSQL_TABLES.processedEvents} (event_id) VALUES ?`, [
      sorted.slice(i, i + INSERT_ROWS).map((id) => [id]),
    ]);
  }
}
