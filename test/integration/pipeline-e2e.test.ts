import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPipeline } from "../../infra/local/local-pipeline.js";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { type Config, loadConfig } from "../../lib/config/index.js";
import { CountWatermarkFreshness } from "../../lib/core/metrics/count-watermark-freshness.js";
import { runGenerator } from "../../lib/use-cases/generate/run-generator.js";

/** Ground truth, computed directly from the Cassandra rows with no pipeline code (UTC reporting). */
async function truthFromLake(config: Config): Promise<Map<string, Record<string, number>>> {
  const client = createCassandraClient(config);
  const out = new Map<string, Record<string, number>>();
  try {
    const rs = await client.execute("SELECT * FROM tracking", [], { prepare: true, fetchSize: 5000 });
    for await (const row of rs) {
      const ts = row.get("ts") as Date;
      const iso = ts.toISOString();
      const key = [
        row.get("job_id"),
        iso.slice(0, 10),
        Number(iso.slice(11, 13)),
        row.get("publisher_id") ?? 0,
        row.get("campaign_id") ?? 0,
        row.get("group_id") ?? 0,
      ].join("|");
      const m = out.get(key) ?? { clicks: 0, spendCents: 0, conversion: 0, qualified: 0, disqualified: 0 };
      const track = row.get("custom_track");
      if (track === "click") {
        m.clicks = (m.clicks ?? 0) + 1;
        m.spendCents = (m.spendCents ?? 0) + Math.round(Number(row.get("bid")) * 100);
      } else if (track === "conversion") m.conversion = (m.conversion ?? 0) + 1;
      else if (track === "qualified") m.qualified = (m.qualified ?? 0) + 1;
      else if (track === "unqualified") m.disqualified = (m.disqualified ?? 0) + 1;
      out.set(key, m);
    }
  } finally {
    await client.shutdown();
  }
  return out;
}

describe("the whole pipeline through serverless offline and the local event source mapping", () => {
  const name = `jtp_e2e_${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CASSANDRA_KEYSPACE: name,
    MYSQL_DATABASE: name,
    CDC_START_FROM: new Date(Date.now() - 60_000).toISOString(),
    POWERTOOLS_LOG_LEVEL: "WARN",
  };
  const config = loadConfig(env);
  const logger = new Logger({ serviceName: "jtp-e2e", logLevel: "WARN" });
  const pipeline = new LocalPipeline(
    config,
    { batchSize: 100, batchingWindowMs: 200, jobs: 300 },
    powertoolsLog(logger),
    () => undefined,
  );

  beforeAll(async () => {
    await pipeline.start(env);
  }, 240_000);

  afterAll(async () => {
    await pipeline.stop(false);
    const admin = createMysqlPool(config, config.mysql.admin, { withoutDatabase: true });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    const c = createCassandraClient(config, { withKeyspace: false });
    await c.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    await c.shutdown();
  }, 120_000);

  it("lands exactly the lake's totals per grain in the warehouse, late events included, nothing dead-lettered", async () => {
    const freshness = new CountWatermarkFreshness();
    const stats = await runGenerator(pipeline.lakeWriter(), pipeline.catalogue, {
      rate: 1_000,
      count: 4_000,
      durationMs: 0,
      lateFraction: 0.05,
      lateMs: 3_000,
      seed: 42,
      onWritten: (rows, at) => freshness.recordWritten(rows.length, at),
    });
    expect(stats.written).toBe(4_000);
    expect(stats.late).toBeGreaterThan(100);

    const deadline = Date.now() + 90_000;
    let totals = await pipeline.warehouse?.totals();
    while ((totals?.events ?? 0) < 4_000 && Date.now() < deadline) {
      await sleep(200);
      totals = await pipeline.warehouse?.totals();
      freshness.recordApplied(totals?.events ?? 0, Date.now());
    }
    expect(totals?.events).toBe(4_000);
    expect(totals?.deadLetters).toBe(0);
    expect(freshness.percentile(50)).toBeGreaterThan(0);

    const truth = await truthFromLake(config);
    const pool = createMysqlPool(config, config.mysql.reader);
    const [rows] = await pool.query(
      "SELECT job_id, DATE_FORMAT(dates, '%Y-%m-%d') AS d, hours, publisher_id, campaign_id, group_id, clicks, spend_hour, conversion, qualified_application, disqualified_application, company_id, sources FROM events",
    );
    await pool.end();
    const warehouse = new Map(
      (rows as Array<Record<string, string | number | null>>).map((r) => [
        [r.job_id, r.d, r.hours, r.publisher_id, r.campaign_id, r.group_id].join("|"),
        r,
      ]),
    );
    expect(warehouse.size).toBe(truth.size);
    for (const [key, t] of truth) {
      const w = warehouse.get(key);
      expect(w, key).toBeDefined();
      expect({
        clicks: Number(w?.clicks),
        spend: String(w?.spend_hour),
        conversion: Number(w?.conversion),
        qualified: Number(w?.qualified_application),
        disqualified: Number(w?.disqualified_application),
        sources: w?.sources,
        hasCompany: w?.company_id !== null,
      }).toEqual({
        clicks: t.clicks,
        spend: ((t.spendCents ?? 0) / 100).toFixed(6),
        conversion: t.conversion,
        qualified: t.qualified,
        disqualified: t.disqualified,
        sources: "Cassandra",
        hasCompany: true,
      });
    }
    console.log(
      `e2e freshness (write → visible in MySQL): p50 ${freshness.percentile(50)} ms, p99 ${freshness.percentile(99)} ms over ${freshness.sampleCount} batches`,
    );
  }, 180_000);
});
