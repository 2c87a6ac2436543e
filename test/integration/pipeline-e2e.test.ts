import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareGrains, grainsFromWarehouse, truthFromLake } from "../../infra/integrity/ground-truth.js";
import { dropIsolatedRun, isolatedRun } from "../../infra/local/isolated-run.js";
import { LocalPipeline } from "../../infra/local/local-pipeline.js";
import { runGenerator } from "../../infra/tooling/generator/run-generator.js";
import { CountWatermarkFreshness } from "../../infra/tooling/metrics/count-watermark-freshness.js";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";

describe("the whole pipeline through serverless offline and the local event source mapping", () => {
  const { config, env } = isolatedRun("jtp_e2e");
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
    await dropIsolatedRun(config);
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
    const warehouse = await grainsFromWarehouse(pool);
    const [companies] = await pool.query(
      "SELECT COUNT(*) AS n FROM events WHERE company_id IS NULL OR sources <> 'Cassandra'",
    );
    await pool.end();
    const comparison = compareGrains(truth, warehouse);
    expect(comparison.examples).toEqual([]);
    expect({
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      spend: comparison.spendDiffCents,
    }).toEqual({
      lost: 0,
      duplicated: 0,
      spend: 0,
    });
    expect(warehouse.size).toBe(truth.size);
    expect(Number((companies as Array<{ n: number }>)[0]?.n)).toBe(0); // every row enriched, sources = 'Cassandra'
    console.log(
      `e2e freshness (write → visible in MySQL): p50 ${freshness.percentile(50)} ms, p99 ${freshness.percentile(99)} ms over ${freshness.sampleCount} batches`,
    );
  }, 180_000);
});
