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
    // The test reconciles itself once the load is done (no reconciler schedule racing it).
    { batchSize: 100, batchingWindowMs: 200, jobs: 300, reconcileEveryMs: 0 },
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

  it("lands exactly the lake's totals per grain in the warehouse, late events included (swept or reconciled), nothing dead-lettered", async () => {
    const freshness = new CountWatermarkFreshness();
    const startedMs = Date.now();
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

    // The streaming path: until the warehouse stops changing (rows later than the poller's look-back
    // are not published by it), then one reconcile pass repairs the rest.
    const deadline = Date.now() + 90_000;
    let totals = await pipeline.warehouse?.totals();
    let unchangedSince = Date.now();
    while ((totals?.events ?? 0) < 4_000 && Date.now() < deadline && Date.now() - unchangedSince < 10_000) {
      await sleep(200);
      const next = await pipeline.warehouse?.totals();
      if (next?.events !== totals?.events) unchangedSince = Date.now();
      totals = next;
      freshness.recordApplied(totals?.events ?? 0, Date.now());
    }
    const streamed = totals?.events ?? 0;
    const pass = await pipeline.reconcileNow(startedMs - 60_000);
    totals = await pipeline.warehouse?.totals();
    expect(pass).toMatchObject({ status: "done", missingFound: 4_000 - streamed, driftLeft: 0 });
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
      `e2e freshness (write → visible in MySQL): p50 ${freshness.percentile(50)} ms, p99 ${freshness.percentile(99)} ms over ${freshness.sampleCount} batches; streamed ${streamed}, reconciled ${pass.republished}`,
    );
  }, 180_000);
});
