import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { loadConfig } from "../../lib/config/index.js";
import { LocalPipeline } from "../local/local-pipeline.js";
import { ensureLocalSecrets } from "../servers/local-secrets.js";
import { type GeneratorStats, runGenerator } from "../tooling/generator/run-generator.js";
import { CountWatermarkFreshness } from "../tooling/metrics/count-watermark-freshness.js";

export interface StartOptions {
  readonly rate: number;
  readonly durationSec: number;
  readonly generator: boolean;
  readonly external: boolean;
  readonly stopServers: boolean;
  readonly lateFraction: number;
  readonly lateMs: number;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
}

const say = (line: string) => console.log(`[start] ${line}`);

/**
 * The main job: the whole pipeline on local (or external) servers, a generator writing tracking
 * events, and a live status line, until Ctrl-C or --duration. Stops everything it started.
 */
export async function startCommand(o: StartOptions): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (o.external) env.JTP_LOCAL_SERVERS = "none";
  // First start: capture rows from a minute before now (the generator starts after the poller anyway).
  env.CDC_START_FROM ??= new Date(Date.now() - 60_000).toISOString();
  const first = loadConfig(env);
  if (first.localServers.includes("mariadb")) ensureLocalSecrets(first.stateDir);
  const config = loadConfig(env);
  const logger = new Logger({ serviceName: "jtp-local", logLevel: "WARN" });
  const log = powertoolsLog(logger);
  const pipeline = new LocalPipeline(
    config,
    { batchSize: o.batchSize, batchingWindowMs: o.batchingWindowMs, jobs: 2_000 },
    log,
    say,
  );
  const stop = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) say("stopping (Ctrl-C again to force)…");
    else process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const freshness = new CountWatermarkFreshness();
  let gen: GeneratorStats | undefined;
  try {
    await pipeline.start(env);
    const baseline = (await pipeline.warehouse?.totals())?.events ?? 0;
    say(
      `running: rate ${o.generator ? `${o.rate} events/s` : "no generator"}${o.durationSec > 0 ? `, for ${o.durationSec} s` : ", Ctrl-C to stop"}`,
    );
    const deadline = o.durationSec > 0 ? Date.now() + o.durationSec * 1000 : Number.POSITIVE_INFINITY;
    const generating = o.generator
      ? runGenerator(pipeline.lakeWriter(), pipeline.catalogue, {
          rate: o.rate,
          count: 0,
          durationMs: o.durationSec > 0 ? o.durationSec * 1000 : 0,
          lateFraction: o.lateFraction,
          lateMs: o.lateMs,
          seed: Date.now() % 100_000,
          signal: stop.signal,
          onWritten: (rows, at) => freshness.recordWritten(rows.length, at),
          onProgress: (s) => {
            gen = s;
          },
        })
      : Promise.resolve(undefined);
    const tty = process.stdout.isTTY;
    let lastPrint = 0;
    while (!stop.signal.aborted && Date.now() < deadline) {
      await sleep(500);
      const totals = await pipeline.warehouse?.totals().catch(() => undefined);
      if (totals) freshness.recordApplied(totals.events - baseline, Date.now());
      const line = statusLine(
        gen,
        pipeline,
        totals ? totals.events - baseline : undefined,
        totals?.deadLetters,
        freshness,
      );
      if (tty) process.stdout.write(`\r${line.padEnd(150)}`);
      else if (Date.now() - lastPrint > 5_000) {
        console.log(`[status] ${line}`);
        lastPrint = Date.now();
      }
    }
    stop.abort();
    gen = (await generating) ?? gen;
    if (tty) process.stdout.write("\n");
    // Let the pipeline drain what was written (bounded wait).
    if (gen) {
      const drainDeadline = Date.now() + 30_000;
      for (;;) {
        const t = await pipeline.warehouse?.totals();
        const applied = (t?.events ?? 0) - baseline + (t?.deadLetters ?? 0) * 0;
        freshness.recordApplied(applied, Date.now());
        if (applied >= gen.written || Date.now() > drainDeadline) break;
        await sleep(250);
      }
    }
    const t = await pipeline.warehouse?.totals();
    say(
      `final: ${statusLine(gen, pipeline, t ? t.events - baseline : undefined, t?.deadLetters, freshness)}`,
    );
  } finally {
    await pipeline.stop(o.stopServers);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    say("stopped");
  }
}

function statusLine(
  gen: GeneratorStats | undefined,
  pipeline: LocalPipeline,
  aggregated: number | undefined,
  deadLetters: number | undefined,
  freshness: CountWatermarkFreshness,
): string {
  const f = (p: number) => {
    const v = freshness.percentile(p);
    return v === undefined ? "-" : `${v} ms`;
  };
  return [
    `written ${gen?.written ?? 0}${gen && gen.late > 0 ? ` (${gen.late} late)` : ""}`,
    `delivered to aggregator ${pipeline.bridge?.stats.records ?? 0}`,
    `aggregated ${aggregated ?? "?"}`,
    `dead letters ${deadLetters ?? "?"}`,
    `freshness p50 ${f(50)} p99 ${f(99)}`,
    `poller invocations done ${pipeline.scheduler?.invocations ?? 0}`,
  ].join(" | ");
}
