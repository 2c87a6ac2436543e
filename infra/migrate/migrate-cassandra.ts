import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import type { Config } from "../../lib/config/index.js";
import { MigrationError } from "../../lib/errors.js";
import type { MigrationReport } from "./migrate-mysql.js";
import { listMigrations } from "./migration-files.js";

/** Applies the CQL migrations (all `IF NOT EXISTS`, so re-running is harmless) and records them. */
export async function migrateCassandra(config: Config, log: (l: string) => void): Promise<MigrationReport> {
  const ks = config.cassandra.keyspace;
  const client = createCassandraClient(config, { withKeyspace: false });
  try {
    await client.connect();
    const migrations = listMigrations("cassandra", {
      keyspace: ks,
      replication_factor: String(config.cassandra.replicationFactor),
    });
    const applied: string[] = [];
    let alreadyApplied = 0;
    const ledger = await client.execute(
      "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = 'schema_migrations'",
      [ks],
    );
    let ledgerReady = ledger.rowLength > 0;
    for (const m of migrations) {
      if (ledgerReady) {
        const rs = await client.execute(`SELECT checksum FROM ${ks}.schema_migrations WHERE version = ?`, [
          m.version,
        ]);
        const previous = rs.first()?.get("checksum") as string | undefined;
        if (previous === m.checksum) {
          alreadyApplied++;
          continue;
        }
        if (previous !== undefined) {
          throw new MigrationError(
            `CQL migration V${m.version}__${m.name} was changed after it was applied; add a new one`,
          );
        }
      }
      log(`cassandra: applying V${m.version}__${m.name} (${m.statements.length} statements)`);
      for (const cql of m.statements) {
        try {
          await client.execute(cql, [], { prepare: false });
        } catch (cause) {
          throw new MigrationError(
            `CQL migration V${m.version}__${m.name} failed at:\n${cql.slice(0, 300)}`,
            { cause },
          );
        }
      }
      if (!ledgerReady) {
        await client.execute(
          `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
          [],
          { prepare: false },
        );
        ledgerReady = true;
      }
      await client.execute(
        `INSERT INTO ${ks}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, toTimestamp(now()))`,
        [m.version, m.name, m.checksum],
      );
      applied.push(`V${m.version}__${m.name}`);
    }
    return { applied, alreadyApplied };
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}
