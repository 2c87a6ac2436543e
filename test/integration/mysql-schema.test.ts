import type { Pool } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateMysql } from "../../infra/migrate/migrate-mysql.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import { testConfig } from "./support/config.js";

const config = testConfig();
let writer: Pool;
let reader: Pool;

beforeAll(async () => {
  writer = createMysqlPool(config, config.mysql.writer);
  reader = createMysqlPool(config, config.mysql.reader);
});

afterAll(async () => {
  await writer.end();
  await reader.end();
});

describe("MySQL warehouse schema and accounts", () => {
  it("applies migrations idempotently: a second and third run change nothing and do not fail", async () => {
    const quiet = () => undefined;
    const second = await migrateMysql(config, quiet);
    const third = await migrateMysql(config, quiet);
    expect(second.applied).toEqual([]);
    expect(third.applied).toEqual([]);
    expect(third.alreadyApplied).toBeGreaterThanOrEqual(1);
  });

  it("has the events table with the original column names", async () => {
    const [rows] = await reader.query(
      "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
      [config.mysql.database, MYSQL_TABLES.events],
    );
    const cols = (rows as Array<{ c: string }>).map((r) => r.c);
    for (const c of [
      "id",
      "job_id",
      "dates",
      "hours",
      "disqualified_application",
      "qualified_application",
      "conversion",
      "company_id",
      "group_id",
      "campaign_id",
      "publisher_id",
      "bid_set",
      "clicks",
      "spend_hour",
      "sources",
      "updated_at",
    ]) {
      expect(cols).toContain(c);
    }
  });

  it("rejects a second row for the same grain (unique key)", async () => {
    const jobId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const insert = `INSERT INTO ${MYSQL_TABLES.events} (job_id, dates, hours, publisher_id, campaign_id, group_id, clicks) VALUES (?, '2001-01-01', 5, 1, 2, 3, 1)`;
    await writer.execute(insert, [jobId]);
    await expect(writer.execute(insert, [jobId])).rejects.toMatchObject({ code: "ER_DUP_ENTRY" });
  });

  it("derives bid_set exactly from the spend sum and bid count", async () => {
    const jobId = 910_000_000 + Math.floor(Math.random() * 1_000_000);
    await writer.execute(
      `INSERT INTO ${MYSQL_TABLES.events} (job_id, dates, hours, clicks, spend_hour, bid_count) VALUES (?, '2001-01-01', 1, 3, 0.3, 3)`,
      [jobId],
    );
    const [rows] = await reader.execute(`SELECT bid_set FROM ${MYSQL_TABLES.events} WHERE job_id = ?`, [
      jobId,
    ]);
    expect((rows as Array<{ bid_set: string }>)[0]?.bid_set).toBe("0.100000");
  });

  it("gives the Grafana user read access and nothing else", async () => {
    await expect(reader.query(`SELECT COUNT(*) FROM ${MYSQL_TABLES.events}`)).resolves.toBeDefined();
    const denied = { code: expect.stringMatching(/ACCESS_DENIED|DENIED_ERROR/) };
    await expect(
      reader.execute(`INSERT INTO ${MYSQL_TABLES.events} (job_id, dates, hours) VALUES (1, '2001-01-01', 1)`),
    ).rejects.toMatchObject(denied);
    await expect(reader.execute(`UPDATE ${MYSQL_TABLES.events} SET clicks = 0`)).rejects.toMatchObject(
      denied,
    );
    await expect(reader.execute(`DELETE FROM ${MYSQL_TABLES.events}`)).rejects.toMatchObject(denied);
    await expect(reader.query("CREATE TABLE grafana_should_not (x INT)")).rejects.toMatchObject(denied);
  });

  it("does not let the pipeline writer change the schema or delete facts", async () => {
    const denied = { code: expect.stringMatching(/ACCESS_DENIED|DENIED_ERROR/) };
    await expect(writer.query("CREATE TABLE writer_should_not (x INT)")).rejects.toMatchObject(denied);
    await expect(writer.query(`DROP TABLE ${MYSQL_TABLES.events}`)).rejects.toMatchObject(denied);
    await expect(
      writer.execute(`DELETE FROM ${MYSQL_TABLES.events} WHERE job_id = -1`),
    ).rejects.toMatchObject(denied);
  });
});
