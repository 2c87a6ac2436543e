import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Logger } from "@aws-lambda-powertools/logger";
import type { MSKEvent } from "aws-lambda";
import type { Pool } from "mysql2/promise";
import { afterAll } from "vitest";
import { createAggregatorHandler } from "../../../functions/aggregator/handler.js";
import { createMysqlPool } from "../../../lib/adapters/mysql/connection.js";
import type { AggregatorConfig } from "../../../lib/config/aggregator-env.js";
import type { Config } from "../../../lib/config/index.js";
import { MYSQL_TABLES } from "../../../lib/schema-names.js";
import type { BatchSummary } from "../../../lib/use-cases/apply-batch.js";
import { fakeContext, type ReferenceRow } from "../../support/aggregator-fixtures.js";

const run = promisify(execFile);

/**
 * The aggregator's (writer) account pool for a whole test file: connects on first use, ended after
 * the file's tests.
 */
export function writerPoolForFile(config: Config, connectionLimit?: number): Pool {
  const pool = createMysqlPool(config, config.mysql.writer, connectionLimit ? { connectionLimit } : {});
  afterAll(() => pool.end());
  return pool;
}

/** A handler instance (one "container") on `pool`, with aggregator settings overridden. */
export function aggregatorHandler(
  config: Config,
  pool: Pool,
  overrides: Partial<AggregatorConfig> = {},
  reportingTimeZone = config.reportingTimeZone,
): (event: MSKEvent) => Promise<BatchSummary> {
  const h = createAggregatorHandler({
    config: { ...config, reportingTimeZone, aggregator: { ...config.aggregator, ...overrides } },
    pool,
    logger: new Logger({ serviceName: "aggregator-test", logLevel: "SILENT" }),
  });
  return (event) => h(event, fakeContext());
}

/** A block of job ids nobody else uses (the fact table is shared by all tests). */
export function jobBlock(): number {
  return 1_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000;
}

/** Fact rows of jobs [from, from + span) in the reference's shape, keyed like referenceTotals(). */
export async function factTotals(pool: Pool, from: number, span = 1_000): Promise<Map<string, ReferenceRow>> {
  const [rows] = await pool.query(
    `SELECT job_id, DATE_FORMAT(dates, '%Y-%m-%d') AS d, hours, publisher_id, campaign_id, group_id, clicks,
            spend_hour, bid_count, conversion, qualified_application, disqualified_application, other_tracks
       FROM ${MYSQL_TABLES.events} WHERE job_id >= ? AND job_id < ?`,
    [from, from + span],
  );
  const out = new Map<string, ReferenceRow>();
  for (const r of rows as Array<Record<string, string | number>>) {
    const key = [
      Number(r.job_id),
      r.d,
      Number(r.hours),
      Number(r.publisher_id),
      Number(r.campaign_id),
      Number(r.group_id),
    ].join("|");
    out.set(key, {
      clicks: Number(r.clicks),
      spendMicros: Number(String(r.spend_hour).replace(".", "")),
      bidCount: Number(r.bid_count),
      conversion: Number(r.conversion),
      qualified: Number(r.qualified_application),
      disqualified: Number(r.disqualified_application),
      otherTracks: Number(r.other_tracks),
    });
  }
  return out;
}

export async function ledgerOffset(pool: Pool, topic: string, partition: number): Promise<number | null> {
  const [rows] = await pool.query(
    `SELECT last_offset FROM ${MYSQL_TABLES.offsetLedger} WHERE topic = ? AND partition_id = ?`,
    [topic, partition],
  );
  const r = (rows as Array<{ last_offset: string }>)[0];
  return r === undefined ? null : Number(r.last_offset);
}

/** Stops or starts the local MariaDB through the project's own CLI. */
export async function mariadb(action: "stop" | "start"): Promise<void> {
  await run("npm", ["run", "-s", "servers", "--", action, "mariadb"], {
    cwd: process.cwd(),
    timeout: 170_000,
  });
}
