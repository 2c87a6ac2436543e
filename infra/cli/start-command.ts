import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { loadConfig } from "../../lib/config/index.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { probeEndToEnd } from "../local/end-to-end-probe.js";
import { LocalPipeline } from "../local/local-pipeline.js";
import { formatMs, formatPercentiles, formatRate, formatWindow } from "../local/status-format.js";
import { ensureLocalSecrets } from "../servers/local-secrets.js";
import { type GeneratorStats, runGenerator } from "../tooling/generator/run-generator.js";
import { AppliedFreshness, type FreshnessSnapshot } from "../tooling/metrics/applied-freshness.js";

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

/** How often the status is refreshed (TTY) and printed as a line (no TTY). */
const REFRESH_MS = 500;
const PRINT_EVERY_MS = 5_000;
/** A read of applied events repeats this much of the previous one: rows committed late are not missed. */
const READ_OVERLAP_MS = 3_000;
/** How long the end waits for the events written to be applied. */
const DRAIN_MS = 30_000;
/** The stream has delivered what it will when nothing new was applied for this long. */
const STREAM_SETTLED_MS = 3_000;
/** How long the first event may take end to end (cold starts included) before start says so. */
const PROBE_TIMEOUT_MS = 120_000;

/** What the status line shows besides the freshness figures. */
interface Totals {
  readonly gen: GeneratorStats | undefined;
  readonly applied: number | undefined;
  readonly deadLetters: number | undefined;
  /** Rows the reconciler re-published (the stream had missed them). */
  readonly reconciled?: number;
}

/**
 * The main job: the whole pipeline on local (or external) servers, a generator writing tracking
 * events, and a live status line, until Ctrl-C or --duration. Stops everything it started.
 * What the status line means: docs/local-run.md.
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
  const perEvent = config.aggregator.dedupByEventId;
  let gen: GeneratorStats | undefined;
  try {
    await pipeline.start(env);
    if (o.generator && perEvent && pipeline.appliedEvents) {
      const probe = await probeEndToEnd(pipeline.lakeWriter(), pipeline.catalogue, pipeline.appliedEvents, {
        timeoutMs: PROBE_TIMEOUT_MS,
        signal: stop.signal,
      });
      say(
        probe.ms === undefined
          ? `pipeline NOT ready: a first event was not applied within ${PROBE_TIMEOUT_MS / 1000} s (functions' log: ${pipeline.offlineLog}); generating anyway`
          : `pipeline ready: a first event went through end to end in ${formatMs(probe.ms)} (the functions' cold start and the poller's state rebuild included)`,
      );
    }
    const baseline = (await pipeline.warehouse?.totals())?.events ?? 0;
    say(
      `running: rate ${o.generator ? `${o.rate} events/s` : "no generator"}${o.durationSec > 0 ? `, for ${o.durationSec} s` : ", Ctrl-C to stop"}`,
    );
    if (!perEvent) {
      say(
        "AGG_DEDUP_BY_EVENT_ID=false: no applied event ids are recorded, so no freshness or applied rate is shown",
      );
    }
    const startedAtMs = Date.now();
    const freshness = new AppliedFreshness({ from: "written", startedAtMs });
    let readFromMs = startedAtMs - READ_OVERLAP_MS;
    let firstReported = false;
    /** Reads what was applied since the last read; returns the warehouse clock (or ours). */
    const observe = async (): Promise<number> => {
      if (!perEvent || !pipeline.appliedEvents) return Date.now();
      const page = await pipeline.appliedEvents.since(readFromMs).catch(() => undefined);
      if (!page) return Date.now();
      freshness.recordApplied(page.events, page.nowMs);
      const newest = page.events.at(-1)?.appliedAtMs;
      if (newest !== undefined)
        readFromMs = page.truncated ? newest : Math.max(readFromMs, newest - READ_OVERLAP_MS);
      return page.nowMs;
    };
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
          onWritten: (rows, at) => freshness.recordWritten(rows.map(eventId), at),
          onProgress: (s) => {
            gen = s;
          },
        })
      : Promise.resolve(undefined);
    // A failed lake write ends the run with one clear line (and the usual clean-up), not a stack trace.
    const generated = generating.catch((err: unknown) => {
      if (!stop.signal.aborted) {
        say(`generator stopped: writing to the lake failed (${(err as Error).message}); stopping`);
        stop.abort();
      }
      return undefined;
    });
    const tty = process.stdout.isTTY;
    let lastPrint = 0;
    const totals = async (): Promise<Totals> => {
      const t = await pipeline.warehouse?.totals().catch(() => undefined);
      return {
        gen,
        applied: t ? t.events - baseline : undefined,
        deadLetters: t?.deadLetters,
        reconciled: pipeline.reconcileTotals.republished,
      };
    };
    while (!stop.signal.aborted && Date.now() < deadline) {
      await sleep(REFRESH_MS);
      const t = await totals();
      const now = await observe();
      const snap = freshness.snapshot(now);
      if (!firstReported && snap.firstAppliedAtMs !== undefined && snap.firstWrittenAtMs !== undefined) {
        firstReported = true;
        const line = `first events applied ${formatMs(snap.firstAppliedAtMs - snap.firstWrittenAtMs)} after the first was written`;
        if (tty) process.stdout.write(`\r${" ".repeat(180)}\r`);
        say(line);
      }
      const line = statusLine(t, snap, perEvent);
      if (tty) process.stdout.write(`\r${line.padEnd(180)}`);
      else if (Date.now() - lastPrint >= PRINT_EVERY_MS) {
        console.log(`[status] ${line}`);
        lastPrint = Date.now();
      }
    }
    stop.abort();
    gen = (await generated) ?? gen;
    if (tty) process.stdout.write("\n");
    // Let the pipeline apply what was written (bounded wait); rows the stream does not publish
    // (written later than the poller's look-back) stop the count from moving: then reconcile them.
    const drainDeadline = Date.now() + DRAIN_MS;
    let lastPending = freshness.pendingWritten;
    let movedAt = Date.now();
    while (gen && perEvent && freshness.pendingWritten > 0 && Date.now() < drainDeadline) {
      await sleep(250);
      await observe();
      if (freshness.pendingWritten !== lastPending) {
        lastPending = freshness.pendingWritten;
        movedAt = Date.now();
      } else if (Date.now() - movedAt >= STREAM_SETTLED_MS) break;
    }
    if (gen && perEvent && freshness.pendingWritten > 0) {
      const pass = await pipeline.reconcileNow(startedAtMs - 60_000).catch((err: unknown) => {
        say(`reconcile pass failed: ${(err as Error).message}`);
        return undefined;
      });
      if (pass) {
        say(
          `reconcile: ${pass.missingFound} rows the stream had not delivered (later than the poller's look-back) re-published and applied; drift left ${pass.driftLeft}`,
        );
        await observe();
      }
    }
    const t = await totals();
    const snap = freshness.snapshot(await observe());
    const pending = perEvent && freshness.pendingWritten > 0 ? freshness.pendingWritten : 0;
    say(
      `final: ${[
        `written ${t.gen?.written ?? 0}${t.gen && t.gen.late > 0 ? ` (${t.gen.late} late)` : ""}`,
        `applied ${t.applied ?? "?"}`,
        `dead letters ${t.deadLetters ?? "?"}`,
        ...(perEvent ? [`freshness since start: ${formatPercentiles(snap.sinceStart)}`] : []),
      ].join(" | ")}`,
    );
    if (pending > 0) {
      say(
        `${pending} of the events written were not applied within ${DRAIN_MS / 1000} s of the generator stopping`,
      );
    }
  } finally {
    await pipeline.stop(o.stopServers);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    say("stopped");
  }
}

/**
 * `written 6009 (62 late) | applied 6009 | dead letters 0 | last 10 s: 200/s in, 201/s applied,
 * p50 480 ms p99 900 ms | last 1 min: … | since start: p50 … p99 …`
 */
export function statusLine(t: Totals, snap: FreshnessSnapshot, perEvent: boolean): string {
  const parts = [
    `written ${t.gen?.written ?? 0}${t.gen && t.gen.late > 0 ? ` (${t.gen.late} late)` : ""}`,
    `applied ${t.applied ?? "?"}`,
    `dead letters ${t.deadLetters ?? "?"}`,
    ...(t.reconciled ? [`reconciled ${t.reconciled}`] : []),
  ];
  for (const w of snap.windows) {
    const label = `last ${formatWindow(w.written.windowMs)}`;
    parts.push(
      perEvent
        ? `${label}: ${formatRate(w.written.perSecond)} in, ${formatRate(w.applied.perSecond)} applied, ${formatPercentiles(w.applied)}`
        : `${label}: ${formatRate(w.written.perSecond)} in`,
    );
  }
  if (perEvent) parts.push(`since start: ${formatPercentiles(snap.sinceStart)}`);
  return parts.join(" | ");
}
