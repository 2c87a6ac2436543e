import { describe, expect, it } from "vitest";
import { listMigrations, splitStatements } from "../../infra/migrate/migration-files.js";

describe("migration files", () => {
  it("splits scripts on ; at line ends and drops comment lines", () => {
    expect(splitStatements("-- a comment\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\n")).toEqual([
      "CREATE TABLE a (x INT)",
      "INSERT INTO a VALUES (1)",
    ]);
  });

  it("orders versions and fills template variables in CQL", () => {
    const cql = listMigrations("cassandra", { keyspace: "ks_test", replication_factor: "3" });
    expect(cql.map((m) => m.version)).toEqual([...cql.map((m) => m.version)].sort((a, b) => a - b));
    const first = cql[0];
    expect(first?.statements[0]).toContain("CREATE KEYSPACE IF NOT EXISTS ks_test");
    expect(first?.statements[0]).toContain("'replication_factor': 3");
    expect(first?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a CQL template variable with no value", () => {
    expect(() => listMigrations("cassandra", {})).toThrow(/no value for \$\{keyspace\}/);
  });

  it("keeps the grain unique key in the warehouse schema", () => {
    const sql = listMigrations("mysql")
      .flatMap((m) => m.statements)
      .join("\n");
    expect(sql).toContain(
      "UNIQUE KEY uq_events_grain (job_id, dates, hours, publisher_id, campaign_id, group_id)",
    );
  });
});
