/**
 * One benchmark "container": a separate Node process running the real aggregator handler (own
 * pool, own module state), like one Lambda execution environment. Driven over IPC by
 * aggregator-bench.ts: it reads each event from a JSON file (as the Lambda runtime receives it),
 * then times only the handler call. Reports per-batch metrics and its own peak memory.
 */
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { Logger } from "@aws-lambda-powertools/logger";
import type { MSKEvent } from "aws-lambda";
import { createAggregatorHandler } from "../functions/aggregator/handler.js";
import { localLambdaContext } from "../infra/local/lambda-context.js";
import { loadConfig } from "../lib/config/index.js";
import type { BatchSummary } from "../lib/use-cases/apply-batch.js";

export interface WorkerJob {
  readonly guard: boolean;
  readonly warmupFile: string;
  readonly files: readonly string[];
  /** Load every event before "go" (concurrent phases) or each one right before its call. */
  readonly preload: boolean;
}

export interface WorkerReport {
  readonly batchMs: number[];
  readonly summaries: BatchSummary[];
  /** RSS right after the cold start (runtime, modules, pool), before the first timed batch. */
  readonly warmRssMiB: number;
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
}

const context = localLambdaContext("bench-aggregator", () => 600_000);

const load = (file: string) => JSON.parse(readFileSync(file, "utf8")) as MSKEvent;
const send = (m: unknown) => process.send?.(m);

process.once("message", async (job: WorkerJob) => {
  const base = loadConfig();
  const config = { ...base, aggregator: { ...base.aggregator, dedupByEventId: job.guard } };
  const handler = createAggregatorHandler({
    config,
    logger: new Logger({ serviceName: "bench", logLevel: "WARN" }),
  });
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  }, 5);
  await handler(load(job.warmupFile), context); // cold start: pool, ledger rows, job cache
  const warmRssMiB = Math.round(process.memoryUsage.rss() / 2 ** 20);
  const preloaded = job.preload ? job.files.map(load) : [];
  send({ ready: true });
  await new Promise((resolve) => process.once("message", resolve));
  const report: WorkerReport = { batchMs: [], summaries: [], warmRssMiB, peakRssMiB: 0, peakHeapMiB: 0 };
  for (const [i, file] of job.files.entries()) {
    const event = job.preload ? preloaded[i] : load(file);
    if (event === undefined) throw new Error(`no event ${file}`);
    const t0 = performance.now();
    const s = await handler(event, context);
    report.batchMs.push(performance.now() - t0);
    report.summaries.push(s);
  }
  clearInterval(sampler);
  send({
    ...report,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    peakHeapMiB: Math.round(peakHeap / 2 ** 20),
  });
  process.exit(0);
});
