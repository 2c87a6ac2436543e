import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { MSKEvent } from "aws-lambda";
import type { Pool } from "mysql2/promise";
import { expect } from "vitest";
import { createReconciler, type ReconcilerRuntime } from "../../../functions/reconciler/dependencies.js";
import { KafkaEsmBridge } from "../../../infra/local/kafka-esm-bridge.js";
import { migrateMysql } from "../../../infra/migrate/migrate-mysql.js";
import { TrackingWriter } from "../../../infra/tooling/cassandra/tracking-writer.js";
import { seededRng } from "../../../infra/tooling/generator/random.js";
import {
  type Catalogue,
  randomTrackingEvent,
} from "../../../infra/tooling/generator/tracking-event-factory.js";
import { type CassandraClient, createCassandraClient } from "../../../lib/adapters/cassandra/connection.js";
import { createKafka } from "../../../lib/adapters/kafka/connection.js";
import { createMysqlPool } from "../../../lib/adapters/mysql/connection.js";
import type { Config } from "../../../lib/config/index.js";
import { closedBucketsBetween } from "../../../lib/core/cdc/buckets.js";
import { streamingWindowMs } from "../../../lib/core/cdc/sweep-schedule.js";
import { eventId, type TrackingRow } from "../../../lib/core/tracking-row.js";
import { MYSQL_TABLES, trackingTopic } from "../../../lib/schema-names.js";
import type { InvocationSummary } from "../../../lib/use-cases/cdc/run-invocation.js";
import { type Log, silentLog } from "../../../lib/use-cases/ports/log.js";
import { type PassReport, reconcilePass } from "../../../lib/use-cases/reconcile/reconcile-pass.js";
import { referenceTotals } from "../../support/aggregator-fixtures.js";
import { aggregatorHandler, factTotals, jobBlock } from "./aggregator-helpers.js";
import { uniqueName } from "./config.js";
import { startInProcessPoller } from "./in-process-poller.js";
import { isolatedLake, readAllChangeEvents } from "./isolated-lake.js";

/**
 * A whole pipeline of its own for one reconciler test, on the real servers: an isolated lake
 * (keyspace + topics), a warehouse database of its own (so processed_events and dead_letters hold
 * only this test's event ids: the reconciler counts them per lake partition), rows of a job-id
 * block nobody else uses, the aggregator applied in-process through the local event source
 * mapping bridge, the streaming poller in-process, and the reconciler's wiring.
 */

export const consoleLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m, f) => console.warn(m, f),
  error: (m, f) => console.error(m, f),
};

/**
 * Small buckets and a short look-back keep the tests fast: the poller sweeps back 2 s (settle
 * 150 ms), so a row is the reconciler's 2.15 s after its bucket closed; the first check delay
 * must start after that (lib/config/reconcile-env.ts).
 */
export const LAB_ENV: Readonly<Record<string, string>> = {
  CASSANDRA_SHARDS: "3",
  CASSANDRA_BUCKET_SECONDS: "5",
  CDC_POLL_INTERVAL_MS: "100",
  CDC_SWEEP_SCHEDULE: "2000:500",
  CDC_SETTLE_MS: "150",
  CDC_MAX_BATCH_ROWS: "500",
  RECONCILE_VERIFY_TIMEOUT: "20s",
  RECONCILE_CHECK_DELAYS: "10s,1m,10m,1h,2h30m",
  RECONCILE_HORIZON: "3h",
  RECONCILE_PUBLISH_BATCH_ROWS: "200",
  RECONCILE_CONCURRENCY: "16",
  POWERTOOLS_LOG_LEVEL: "WARN",
  POWERTOOLS_METRICS_DISABLED: "true",
};

const JOBS = 40;
/** Aggregator invocations in flight at once (the bridge's limit across the topic's partitions). */
const AGGREGATOR_CONCURRENCY = 3;

/** Writes tracking rows of the lab's job block into its lake, remembering valid and poison rows. */
export class LabLake {
  readonly valid: TrackingRow[] = [];
  readonly poison: TrackingRow[] = [];
  private readonly client: CassandraClient;
  private readonly writer: TrackingWriter;
  private readonly rng;
  private readonly catalogue: Catalogue;

  constructor(config: Config, jobFrom: number, seed: number) {
    this.client = createCassandraClient(config);
    this.writer = new TrackingWriter(
      this.client,
      config.cassandra.shards,
      config.cassandra.bucketSeconds * 1000,
    );
    this.rng = seededRng(seed);
    this.catalogue = {
      jobs: Array.from({ length: JOBS }, (_, i) => ({
        jobId: jobFrom + i,
        groupId: 1 + (i % 7),
        campaignId: 1 + (i % 11),
      })),
      publisherIds: [1, 2, 3, 4, 5],
    };
  }

  /**
   * `count` valid rows; `at(i)` = the writer's clock for row i (create_time, and so bucket; the event
   * time `ts` is the same instant). Default: now.
   */
  async write(count: number, at?: (i: number) => number): Promise<TrackingRow[]> {
    const rows = Array.from({ length: count }, (_, i) => {
      const ms = at ? at(i) : Date.now();
      const e = randomTrackingEvent(this.rng, this.catalogue, ms);
      return this.writer.prepare({ ...e, createdAt: new Date(ms) });
    });
    await this.writer.write(rows);
    this.valid.push(...rows);
    return rows;
  }

  /** A poison row (job_id null) written straight to the lake at `atMs` (default now). */
  async writePoison(atMs = Date.now()): Promise<TrackingRow> {
    const e = randomTrackingEvent(this.rng, this.catalogue, atMs);
    const row = this.writer.prepare({ ...e, job_id: null, createdAt: new Date(atMs) });
    await this.writer.write([row]);
    this.poison.push(row);
    return row;
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

export interface PollerHandle {
  stop(): Promise<InvocationSummary>;
}

export interface PassRecord {
  mode: string;
  status: string;
  partitions_checked: number;
  rows_compared: number;
  missing_found: number;
  republished: number;
  dead_lettered: number;
  drift_left: number;
}

export class ReconcileLab {
  private bridge: KafkaEsmBridge | undefined;
  private readonly aggregatorPool: Pool;
  private readonly opened: Array<() => Promise<unknown>> = [];

  private constructor(
    readonly config: Config,
    /** Environment of a child `jtp` process working on this lab (on top of process.env). */
    readonly env: Readonly<Record<string, string>>,
    readonly jobFrom: number,
    readonly lake: LabLake,
    /** Writer account (the aggregator's): reads of the lab's warehouse. */
    readonly pool: Pool,
    /** Admin account: deletes fact rows (what an operator would do by hand). */
    readonly admin: Pool,
    private readonly dropLake: () => Promise<void>,
  ) {
    // One pool shared by concurrent invocations (Lambda: one per container): an invocation may hold
    // a transaction's connection and need another (job lookups), so keep 3 per invocation in flight.
    this.aggregatorPool = createMysqlPool(config, config.mysql.writer, {
      connectionLimit: 3 * AGGREGATOR_CONCURRENCY,
    });
  }

  static async open(
    prefix: string,
    env: Readonly<Record<string, string>> = {},
    seed = 1,
  ): Promise<ReconcileLab> {
    const database = uniqueName(prefix);
    const lake = await isolatedLake(prefix, { ...LAB_ENV, MYSQL_DATABASE: database, ...env });
    await migrateMysql(lake.config, () => undefined);
    const jobFrom = jobBlock();
    const pool = createMysqlPool(lake.config, lake.config.mysql.writer, { connectionLimit: 4 });
    const admin = createMysqlPool(lake.config, lake.config.mysql.admin, { connectionLimit: 2 });
    return new ReconcileLab(
      lake.config,
      lake.env,
      jobFrom,
      new LabLake(lake.config, jobFrom, seed),
      pool,
      admin,
      lake.drop,
    );
  }

  get bucketMs(): number {
    return this.config.cassandra.bucketSeconds * 1000;
  }

  get topic(): string {
    return trackingTopic(this.config.cassandra.keyspace);
  }

  /** Records delivered to the aggregator so far (all successful invocations). */
  get aggregatorRecords(): number {
    return this.bridge?.stats.records ?? 0;
  }

  /** The aggregator as Lambda runs it: the event source mapping (bridge) invokes the handler in-process. */
  async startAggregator(): Promise<void> {
    const handler = aggregatorHandler(this.config, this.aggregatorPool);
    const bridge = new KafkaEsmBridge(
      createKafka(this.config, "-lab-esm"),
      { invoke: (_fn, event) => handler(event as MSKEvent) },
      {
        topic: this.topic,
        functionName: "aggregator",
        groupId: uniqueName("lab"),
        bootstrapServers: this.config.kafka.brokers,
        batchSize: 500,
        batchingWindowMs: 0,
        maxRetries: -1,
        startFromEarliest: true,
        maxConcurrentInvocations: AGGREGATOR_CONCURRENCY,
      },
      process.env.LAB_DEBUG ? consoleLog : silentLog,
    );
    this.bridge = bridge;
    await bridge.start();
    await bridge.joined;
  }

  async stopAggregator(): Promise<void> {
    await this.bridge?.stop();
    this.bridge = undefined;
  }

  /** The streaming poller in-process (one long invocation) until stop(). */
  startPoller(config: Config = this.config): PollerHandle {
    const { stop } = startInProcessPoller(config, { remainingMs: 600_000 });
    this.opened.push(stop);
    return { stop };
  }

  /** The reconciler's wiring (Cassandra, transactional Kafka publisher, MySQL), closed with the lab. */
  reconciler(role = "cli"): ReconcilerRuntime {
    const rt = createReconciler(this.config, silentLog, { role });
    this.opened.push(() => rt.close());
    return rt;
  }

  /** The buckets `jtp reconcile --from --to` checks: [from, to), closed and out of the streaming window. */
  cliBuckets(rt: ReconcilerRuntime, fromMs: number, toMs: number, now = Date.now()): number[] {
    return closedBucketsBetween(fromMs, toMs, this.bucketMs, now - rt.settings.streamingMs).buckets;
  }

  /**
   * One pass as `jtp reconcile --from --to` runs it (mode cli, in-process); `buckets` default to
   * cliBuckets of the range.
   */
  cliPass(
    rt: ReconcilerRuntime,
    fromMs: number,
    toMs: number,
    options: { buckets?: readonly number[]; dryRun?: boolean } = {},
  ): Promise<PassReport> {
    return reconcilePass(rt.settings, rt.deps, {
      mode: "cli",
      buckets: options.buckets ?? this.cliBuckets(rt, fromMs, toMs),
      fromMs,
      toMs,
      dryRun: options.dryRun ?? false,
    });
  }

  /** Waits until every bucket holding `rows` has closed and left the poller's look-back. */
  async waitUntilReconcilable(rows: readonly TrackingRow[]): Promise<void> {
    const streamingMs = streamingWindowMs(this.config.cdc.sweeps, this.config.cdc.settleMs);
    const newest = Math.max(...rows.map((r) => r.bucket)) + this.bucketMs;
    const wait = newest + streamingMs + 50 - Date.now();
    if (wait > 0) await sleep(wait);
  }

  async processedIds(): Promise<string[]> {
    const [rows] = await this.pool.query(`SELECT event_id FROM ${MYSQL_TABLES.processedEvents}`);
    return (rows as Array<{ event_id: string }>).map((r) => r.event_id).sort();
  }

  async deadLetters(): Promise<Array<{ eventId: string | null; reasonCode: string }>> {
    const [rows] = await this.pool.query(
      `SELECT event_id, reason_code FROM ${MYSQL_TABLES.deadLetters} ORDER BY id`,
    );
    return (rows as Array<{ event_id: string | null; reason_code: string }>).map((r) => ({
      eventId: r.event_id,
      reasonCode: r.reason_code,
    }));
  }

  async pass(passId: number): Promise<PassRecord | undefined> {
    const [rows] = await this.pool.query(
      `SELECT mode, status, partitions_checked, rows_compared, missing_found, republished, dead_lettered, drift_left
         FROM reconcile_passes WHERE id = ?`,
      [passId],
    );
    const r = (rows as Array<Record<string, string | number>>)[0];
    if (!r) return undefined;
    return {
      mode: String(r.mode),
      status: String(r.status),
      partitions_checked: Number(r.partitions_checked),
      rows_compared: Number(r.rows_compared),
      missing_found: Number(r.missing_found),
      republished: Number(r.republished),
      dead_lettered: Number(r.dead_lettered),
      drift_left: Number(r.drift_left),
    };
  }

  async passes(): Promise<Array<{ id: number; mode: string; status: string }>> {
    const [rows] = await this.pool.query("SELECT id, mode, status FROM reconcile_passes ORDER BY id");
    return (rows as Array<{ id: number; mode: string; status: string }>).map((r) => ({
      id: Number(r.id),
      mode: r.mode,
      status: r.status,
    }));
  }

  /** Waits until the warehouse accounted for (applied or dead-lettered) at least `n` distinct event ids. */
  async waitForAccounted(n: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [rows] = await this.pool.query(
        `SELECT (SELECT COUNT(*) FROM ${MYSQL_TABLES.processedEvents})
              + (SELECT COUNT(DISTINCT event_id) FROM ${MYSQL_TABLES.deadLetters} d
                  WHERE d.event_id IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM ${MYSQL_TABLES.processedEvents} p WHERE p.event_id = d.event_id)) AS n`,
      );
      const got = Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);
      if (got >= n || Date.now() >= deadline) return got;
      await sleep(200);
    }
  }

  /** Waits until the aggregator has taken `n` records from the topic (and a quiet moment after). */
  async waitForRecords(n: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.aggregatorRecords < n && Date.now() < deadline) await sleep(100);
    return this.aggregatorRecords;
  }

  /**
   * The warehouse equals the lake grain by grain (each valid row counted once: the facts match the
   * reference totals of the lake's valid rows, processed_events holds exactly their ids), and every
   * poison row is dead-lettered with its event id (and never applied).
   */
  async expectEachEventOnce(): Promise<void> {
    const valid = this.lake.valid.map(eventId).sort();
    const poison = this.lake.poison.map(eventId).sort();
    expect(new Set(valid).size).toBe(valid.length);
    const processed = await this.processedIds();
    const missing = valid.filter((id) => !processed.includes(id));
    const extra = processed.filter((id) => !valid.includes(id));
    expect({ missing: missing.length, extra: extra.length, applied: processed.length }).toEqual({
      missing: 0,
      extra: 0,
      applied: valid.length,
    });
    const dead = await this.deadLetters();
    expect([...new Set(dead.map((d) => d.eventId))].sort()).toEqual(poison);
    expect(new Set(dead.map((d) => d.reasonCode))).toEqual(
      poison.length > 0 ? new Set(["missing_job_id"]) : new Set(),
    );
    const facts = await factTotals(this.pool, this.jobFrom);
    const reference = referenceTotals(this.lake.valid);
    expect(facts.size).toBe(reference.size);
    expect(Object.fromEntries(facts)).toEqual(Object.fromEntries(reference));
  }

  async close(): Promise<void> {
    await this.stopAggregator();
    for (const close of this.opened.splice(0)) await close().catch(() => undefined);
    await this.lake.close().catch(() => undefined);
    await this.aggregatorPool.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    const db = this.config.mysql.database;
    await this.admin.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    for (const account of [this.config.mysql.reader, this.config.mysql.writer]) {
      for (const on of [`\`${db}\`.*`, `\`${db}\`.processed_events`]) {
        await this.admin
          .query(`REVOKE ALL PRIVILEGES ON ${on} FROM ?@?`, [account.user, this.config.mysql.accountHost])
          .catch(() => undefined);
      }
    }
    await this.admin.end().catch(() => undefined);
    await this.dropLake();
  }
}

/**
 * `jtp <command>` over 100 lake rows of the last 2 min in a lab whose aggregator runs without the
 * event-id guard (AGG_DEDUP_BY_EVENT_ID=false): the command fails naming the variable and why,
 * publishes nothing and records no pass.
 */
export async function expectRefusedWithGuardOff(
  prefix: string,
  command: "reconcile" | "replay",
): Promise<void> {
  const lab = await ReconcileLab.open(prefix, { AGG_DEDUP_BY_EVENT_ID: "false" });
  try {
    const from = Date.now() - 120_000;
    await lab.lake.write(100, (i) => from + i * 100);
    const run = await runJtp(
      [command, "--from", new Date(from - 5_000).toISOString(), "--to", new Date().toISOString()],
      lab.env,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("AGG_DEDUP_BY_EVENT_ID");
    expect(run.stderr).toMatch(/counted twice/);
    expect(await readAllChangeEvents(lab.config)).toHaveLength(0);
    expect(await lab.passes()).toEqual([]);
  } finally {
    await lab.close();
  }
}

export interface JtpRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/**
 * Runs `node --import tsx bin/jtp.ts <args>` as a child process with `env` on top of the process
 * environment. `killWhen(stdout)` true → SIGKILL at once (a crash mid-run).
 */
export function runJtp(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { killWhen?: (stdout: string) => boolean; timeoutMs?: number } = {},
): Promise<JtpRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", "bin/jtp.ts", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (options.killWhen?.(stdout) && child.exitCode === null) child.kill("SIGKILL");
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    }),
  );
}
