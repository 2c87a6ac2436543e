import type { Connection } from "mysql2/promise";
import mysql from "mysql2/promise";
import { type Config, requireSecret } from "../../lib/config/index.js";
import { MigrationError } from "../../lib/errors.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import { listMigrations } from "./migration-files.js";

export interface MigrationReport {
  readonly applied: string[];
  readonly alreadyApplied: number;
}

/**
 * Applies the versioned MySQL migrations (infra/schema/mysql) once each, under a named lock so two
 * runs cannot interleave, then makes sure the two least-privilege accounts exist:
 * the pipeline writer (SELECT/INSERT/UPDATE, no DDL, no DELETE on facts) and the read-only Grafana user.
 */
export async function migrateMysql(config: Config, log: (l: string) => void): Promise<MigrationReport> {
  const conn = await mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.admin.user,
    password: requireSecret(config.mysql.admin),
    multipleStatements: false,
  });
  const db = config.mysql.database; // validated identifier: [a-z][a-z0-9_]*
  try {
    const [lockRows] = await conn.query("SELECT GET_LOCK(?, 60) AS got", [`jtp_migrate_${db}`]);
    if ((lockRows as Array<{ got: number }>)[0]?.got !== 1)
      throw new MigrationError("could not take the migration lock in 60 s");
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await conn.changeUser({ database: db });
    await conn.query(
      `CREATE TABLE IF NOT EXISTS ${MYSQL_TABLES.schemaMigrations} (
         version INT NOT NULL PRIMARY KEY,
         name VARCHAR(255) NOT NULL,
         checksum CHAR(64) NOT NULL,
         applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    const [rows] = await conn.query(`SELECT version, checksum FROM ${MYSQL_TABLES.schemaMigrations}`);
    const done = new Map(
      (rows as Array<{ version: number; checksum: string }>).map((r) => [r.version, r.checksum]),
    );
    const applied: string[] = [];
    for (const m of listMigrations("mysql")) {
      const previous = done.get(m.version);
      if (previous !== undefined) {
        if (previous !== m.checksum) {
          throw new MigrationError(
            `MySQL migration V${m.version}__${m.name} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      log(`mysql: applying V${m.version}__${m.name} (${m.statements.length} statements)`);
      for (const sql of m.statements) {
        try {
          await conn.query(sql);
        } catch (cause) {
          throw new MigrationError(
            `MySQL migration V${m.version}__${m.name} failed at:\n${sql.slice(0, 300)}`,
            { cause },
          );
        }
      }
      await conn.query(
        `INSERT INTO ${MYSQL_TABLES.schemaMigrations} (version, name, checksum) VALUES (?, ?, ?)`,
        [m.version, m.name, m.checksum],
      );
      applied.push(`V${m.version}__${m.name}`);
    }
    await ensureAccounts(conn, config);
    return { applied, alreadyApplied: done.size };
  } finally {
    await conn.query("SELECT RELEASE_LOCK(?)", [`jtp_migrate_${db}`]).catch(() => undefined);
    await conn.end().catch(() => undefined);
  }
}

/**
 * Database-wide grants: the writer SELECT/INSERT/UPDATE (the aggregator's tables; the reconciler's
 * reads of processed_events and dead_letters and its rows in reconcile_passes), the reader SELECT
 * (Grafana, reconcile_passes included). Neither may DELETE facts or change the schema: rebuilding
 * warehouse hours (`jtp replay --rebuild`, which deletes from `events`) runs with the admin account.
 */
async function ensureAccounts(conn: Connection, config: Config): Promise<void> {
  const db = config.mysql.database;
  const host = config.mysql.accountHost;
  const accounts = [
    { account: config.mysql.writer, grants: ["SELECT, INSERT, UPDATE"] },
    { account: config.mysql.reader, grants: ["SELECT"] },
  ];
  for (const { account, grants } of accounts) {
    const password = requireSecret(account);
    // Values go through mysql2's escaping (placeholders); identifiers are validated by the config schema.
    await conn.query("CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?", [account.user, host, password]);
    await conn.query("ALTER USER ?@? IDENTIFIED BY ?", [account.user, host, password]);
    for (const g of grants) await conn.query(`GRANT ${g} ON \`${db}\`.* TO ?@?`, [account.user, host]);
  }
  // The writer may prune its own de-duplication window, nothing else.
  const [t] = await conn.query(
    "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
    [db, "processed_events"],
  );
  if (Number((t as Array<{ n: number }>)[0]?.n ?? 0) > 0) {
    await conn.query(`GRANT DELETE ON \`${db}\`.processed_events TO ?@?`, [config.mysql.writer.user, host]);
  }
}
