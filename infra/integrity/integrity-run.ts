import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { partitionOffsets, readTopicRanges } from "../../lib/adapters/kafka/topic-range-reader.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import type { Config } from "../../lib/config/index.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import { trackingTopic } from "../../lib/schema-names.js";
import { migrateAll } from "../cli/migrate-command.js";
import { lambdaInvoker } from "../local/lambda-invoker.js";
import { buildMskEvent } from "../local/msk-event.js";
import { OFFLINE_LAMBDA_ENDPOINT, offlineFunctionName } from "../local/serverless-offline-process.js";
import { localServer } from "../servers/registry.js";
import { TrackingWriter } from "../tooling/cassandra/tracking-writer.js";
import { seededRng } from "../tooling/generator/random.js";
import { companyOf, runGenerator } from "../tooling/generator/run-generator.js";
import { buildCatalogue } from "../tooling/generator/tracking-event-factory.js";
import { seedDimensions } from "../tooling/mysql/dimension-seeder.js";
import { WarehouseStatus } from "../tooling/mysql/warehouse-status.js";
import { ComponentProcesses, randomKillPlan } from "./component-chaos.js";
import {
  type Comparison,
  compareGrains,
  grainsFromWarehouse,
  totalEvents,
  truthFromLake,
} from "./ground-truth.js";
import { fuzzedPayloads, poisonPayloads, type SampleRecord } from "./poison.js";

export interface IntegrityOptions {
  /** Seconds of generator load. Faults are spread over it. */
  readonly loadSeconds: number;
  readonly rate: number;
  /** How long MariaDB stays down. */
  readonly dbDownSeconds: number;
  readonly lateWindowMs: number;
  readonly quiescenceTimeoutSeconds: number;
  /** Seed of the random kill moments. */
  readonly seed: number;
  /** How many kill -9s (spread over poller, bridge and aggregator). */
  readonly kills: number;
  /** Seeded random mutations of real change records injected next to the hand-written poison. */
  readonly fuzzedRecords: number;
  readonly say: (line: string) => void;
}

export interface IntegrityReport {
  readonly eventsGenerated: number;
  readonly lateInsideBound: number;
  readonly faults: string[];
  readonly seed: number;
  /** Aggregator invocations that failed (killed mid-batch, or database down) and were retried by the bridge. */
  readonly interruptedInvocations: number;
  /** Poller invocations that failed (Kafka/Cassandra restarts) and were followed by a fresh one. */
  readonly pollerFailures: number;
  readonly poisonInjected: number;
  readonly deadLettered: number;
  readonly deadLetterReasons: Record<string, number>;
  readonly duplicateRecordsRedelivered: number;
  readonly beyondBoundWritten: number;
  readonly beyondBoundUnpublished: number;
  readonly beyondBoundReported: number;
  /** create_time range of the unpublished rows (for diagnosis). */
  readonly unpublishedRange: string;
  readonly comparison: Comparison;
  readonly recoverySeconds: number | undefined;
  readonly componentsCrashed: string[];
}

/**
 * Runs the whole local pipeline under generator load while injecting faults, waits for quiescence and
 * compares the warehouse with ground truth from Cassandra, grain by grain. Uses its own keyspace and
 * database; the servers must be local (they get restarted).
 */
export async function runIntegrity(
  base: Config,
  env: NodeJS.ProcessEnv,
  o: IntegrityOptions,
): Promise<IntegrityReport> {
  const config = base;
  const say = o.say;
  const faults: string[] = [];
  const fault = (what: string) => {
    faults.push(`${new Date().toISOString().slice(11, 19)} ${what}`);
    say(`FAULT ${what}`);
  };
  await migrateAll(config);
  const catalogue = buildCatalogue(500);
  const writerPool = createMysqlPool(config, config.mysql.writer);
  await seedDimensions(writerPool, catalogue, companyOf);
  await writerPool.end();

  // Components as separate processes, so each can be killed on its own. Logs of this run in their own folder.
  const runDir = path.join(config.stateDir, "integrity", config.cassandra.keyspace);
  const components = new ComponentProcesses(runDir, env, ["--batch-size", "200", "--batching-window", "100"]);
  await components.startAll();
  const crashed: string[] = [];

  // Generator: a writer that survives Cassandra restarts (it retries the same rows: same primary key).
  const cass = createCassandraClient(config);
  const writer = new TrackingWriter(cass, config.cassandra.shards, config.cassandra.bucketSeconds * 1000);
  const sink = {
    prepare: writer.prepare.bind(writer),
    write: async (rows: readonly TrackingRow[]) => {
      for (;;) {
        try {
          await writer.write(rows);
          return;
        } catch {
          await sleep(500);
        }
      }
    },
  };
  const stopGen = new AbortController();
  const generating = runGenerator(sink, catalogue, {
    rate: o.rate,
    count: 0,
    durationMs: o.loadSeconds * 1000,
    lateFraction: 0.02,
    lateMs: Math.floor(o.lateWindowMs / 3),
    seed: 777,
    signal: stopGen.signal,
  });

  const at = async (fraction: number) => {
    const t = started + fraction * o.loadSeconds * 1000;
    const wait = t - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const started = Date.now();
  const kafka = createKafka(config, "-integrity");
  const topic = trackingTopic(config.cassandra.keyspace);
  const invoker = lambdaInvoker(OFFLINE_LAMBDA_ENDPOINT);
  let poisonInjected = 0;
  let duplicateRecords = 0;
  const beyond: TrackingRow[] = [];

  // kill -9 of each component at random moments (seeded, so a failing run can be replayed with --seed).
  const plan = randomKillPlan(seededRng(o.seed), o.kills);
  say(
    `kill plan (seed ${o.seed}): ${plan.map((k) => `${k.component}@${Math.round(k.at * o.loadSeconds)}s`).join(", ")}`,
  );
  const killing = (async () => {
    for (const k of plan) {
      await at(k.at);
      fault(`kill -9 ${ComponentProcesses.describe(k.component)}; restart after ${k.downMs} ms`);
      components.kill(k.component);
      await sleep(k.downMs);
      await components.start(k.component);
    }
  })();

  await at(0.3);
  // Hand-written poison, plus seeded random mutations of real change records read from the topic.
  const samples: SampleRecord[] = [];
  const firstEnds = await partitionOffsets(kafka, topic);
  await readTopicRanges(
    kafka,
    topic,
    firstEnds.map((e) => ({ partition: e.partition, from: e.low, to: Math.min(e.high, e.low + 10) })),
    (_p, m) => {
      if (m.value) samples.push({ key: m.key, value: m.value, headers: m.headers as Record<string, Buffer> });
    },
  );
  const poison = [
    ...poisonPayloads().map((p) => ({ ...p, headers: {} })),
    ...fuzzedPayloads(seededRng(o.seed + 1), samples, o.fuzzedRecords),
  ];
  fault(
    `inject ${poison.length} poison records (${poison.length - poisonPayloads().length} fuzzed from real ones)`,
  );
  const producer = kafka.producer();
  await producer.connect();
  for (const p of poison) {
    await producer.send({ topic, messages: [{ key: p.key, value: p.value, headers: p.headers }] });
    poisonInjected++;
  }
  await producer.disconnect();

  await at(0.35);
  fault("duplicate and overlapping batches delivered to the aggregator");
  const ends = await partitionOffsets(kafka, topic);
  for (const e of ends.filter((x) => x.high - x.low > 20).slice(0, 3)) {
    const records: Array<{
      offset: string;
      timestamp: string;
      key: Buffer | null;
      value: Buffer | null;
      headers?: Record<string, Buffer>;
    }> = [];
    await readTopicRanges(
      kafka,
      topic,
      [{ partition: e.partition, from: e.low, to: Math.min(e.high, e.low + 60) }],
      (_p, m) =>
        records.push({
          offset: m.offset,
          timestamp: m.timestamp,
          key: m.key,
          value: m.value,
          headers: m.headers as Record<string, Buffer>,
        }),
    );
    const first = records.slice(0, 40);
    const overlap = records.slice(20, 60);
    for (const batch of [first, first, overlap]) {
      // The aggregator may be down at this moment (a random kill): retry like an event source mapping.
      for (let attempt = 1; ; attempt++) {
        try {
          await invoker.invoke(
            offlineFunctionName("aggregator"),
            buildMskEvent(config.kafka.brokers, topic, e.partition, batch),
          );
          break;
        } catch (err) {
          if (attempt >= 60) throw err;
          await sleep(1_000);
        }
      }
      duplicateRecords += batch.length;
    }
  }

  await at(0.45);
  fault("restart Kafka broker");
  const kafkaServer = localServer(config, "kafka");
  await kafkaServer.stop(() => undefined);
  await sleep(2000);
  await kafkaServer.start(() => undefined);

  await at(0.55);
  fault(`stop MariaDB for ${o.dbDownSeconds} s`);
  const db = localServer(config, "mariadb");
  await db.stop(() => undefined);
  await sleep(o.dbDownSeconds * 1000);
  await db.start(() => undefined);

  await at(0.7);
  fault("restart Cassandra");
  const cassandraServer = localServer(config, "cassandra");
  await cassandraServer.stop(() => undefined);
  await cassandraServer.start(() => undefined);

  // Late enough to be beyond the bound once the poller has caught up again after the restarts.
  await at(0.92);
  fault("write 5 rows later than the late-row bound");
  const lateBy = o.lateWindowMs + 8_000;
  const extra = Array.from({ length: 5 }, (_, i) =>
    writer.prepare({
      job_id: catalogue.jobs[i]?.jobId ?? 1000,
      custom_track: "conversion",
      bid: null,
      campaign_id: 1,
      group_id: 1,
      publisher_id: 1,
      ts: Date.now(),
      bn: null,
      cd: null,
      de: null,
      dl: null,
      dt: null,
      ed: null,
      ev: null,
      id: null,
      md: null,
      rl: null,
      sr: null,
      tz: null,
      ua: null,
      uid: null,
      utm_campaign: null,
      utm_content: null,
      utm_medium: null,
      utm_source: null,
      utm_term: null,
      v: null,
      vp: null,
      createdAt: new Date(Date.now() - lateBy),
    }),
  );
  await sink.write(extra);
  beyond.push(...extra);

  const gen = await generating;
  await killing;
  const lastFaultEnd = Date.now();
  say(`load done: ${gen.written} events (${gen.late} late inside the bound); waiting for quiescence`);

  // Quiescence: the warehouse stops changing and matches the lake (minus never-published beyond-bound rows).
  const reader = createMysqlPool(config, config.mysql.reader);
  const status = new WarehouseStatus(reader);
  let recoverySeconds: number | undefined;
  let unpublished = new Set<string>();
  let comparison: Comparison | undefined;
  // Converged when every lake row is either counted exactly once in the warehouse or was never
  // published AND reported by the poller as beyond the late bound. Rows merely still in flight keep it
  // waiting (they are neither published nor reported yet), so a slow pipeline is not mistaken for loss.
  let reported = 0;
  const deadline = Date.now() + o.quiescenceTimeoutSeconds * 1000;
  let lastTotal = -1;
  let unchangedChecks = 0;
  while (Date.now() < deadline) {
    await sleep(3_000);
    // The topic cannot be read to its end while a transaction is still open (a killed poller's is
    // aborted by its successor or by the transaction timeout): try again at the next check.
    const published = await publishedIds(config).catch((err: unknown) => {
      say(`  topic not readable to its end yet (${(err as Error).message}); checking again`);
      return undefined;
    });
    if (!published) continue;
    unpublished = await lakeIdsNotIn(config, published);
    reported = beyondBoundReports(components.logs.poller);
    const truth = await truthFromLake(config, unpublished);
    const wh = await grainsFromWarehouse(reader).catch(() => undefined);
    if (!wh) continue;
    comparison = compareGrains(truth, wh);
    say(
      `  lake ${totalEvents(truth) + unpublished.size} events, warehouse ${totalEvents(wh)}, unpublished ${unpublished.size} (reported beyond bound ${reported}), lost ${comparison.lost}, duplicated ${comparison.duplicated}`,
    );
    const clean = comparison.lost === 0 && comparison.duplicated === 0 && comparison.spendDiffCents === 0;
    // Stuck (no progress while events are missing): show what the database is doing, for diagnosis.
    unchangedChecks = totalEvents(wh) === lastTotal && !clean ? unchangedChecks + 1 : 0;
    lastTotal = totalEvents(wh);
    if (unchangedChecks === 4) await sayDatabaseActivity(config, say);
    if (clean && reported === unpublished.size) {
      recoverySeconds = (Date.now() - lastFaultEnd) / 1000;
      break;
    }
  }
  const [dl] = await reader.query("SELECT reason_code, COUNT(*) AS n FROM dead_letters GROUP BY reason_code");
  const deadLetterReasons = Object.fromEntries(
    (dl as Array<{ reason_code: string; n: number }>).map((r) => [r.reason_code, Number(r.n)]),
  );
  const totals = await status.totals();
  await reader.end();

  // Every component must still be running (or have been restarted by us).
  crashed.push(...components.crashed());
  for (const s of ["kafka", "cassandra", "mariadb"] as const) {
    if (!(await localServer(config, s).status()).healthy) crashed.push(s);
  }
  const interruptedInvocations = components.countLines("bridge", "invocation failed; retrying");
  const pollerFailures = components.countLines("poller", "poller invocation failed");
  await components.stopAll();
  await cass.shutdown();

  return {
    eventsGenerated: gen.written + beyond.length,
    lateInsideBound: gen.late,
    faults,
    seed: o.seed,
    interruptedInvocations,
    pollerFailures,
    poisonInjected,
    deadLettered: totals.deadLetters,
    deadLetterReasons,
    duplicateRecordsRedelivered: duplicateRecords,
    beyondBoundWritten: beyond.length,
    // All causes: rows written deliberately late, and rows a writer kept retrying (e.g. through a Cassandra restart) for longer than the bound.
    beyondBoundUnpublished: unpublished.size,
    beyondBoundReported: reported,
    unpublishedRange:
      unpublished.size === 0
        ? "-"
        : (() => {
            const t = [...unpublished].map((u) => timeuuidToMs(u)).sort((a, b) => a - b);
            return `${new Date(t[0] ?? 0).toISOString()} .. ${new Date(t.at(-1) ?? 0).toISOString()}`;
          })(),
    comparison: comparison ?? {
      lost: -1,
      duplicated: -1,
      grainsCompared: 0,
      grainsDiffering: 0,
      spendDiffCents: 0,
      examples: [],
    },
    recoverySeconds,
    componentsCrashed: crashed,
  };
}

/** The warehouse's open transactions and statements (admin account). */
async function sayDatabaseActivity(config: Config, say: (line: string) => void): Promise<void> {
  const admin = createMysqlPool(config, config.mysql.admin, { withoutDatabase: true, connectionLimit: 1 });
  try {
    const [procs] = await admin.query(
      "SELECT id, user, command, time, state, LEFT(info, 120) AS info FROM information_schema.processlist WHERE db = ? AND command <> 'Sleep'",
      [config.mysql.database],
    );
    const [trx] = await admin.query(
      "SELECT trx_mysql_thread_id, trx_state, trx_started, trx_rows_locked, LEFT(trx_query, 120) AS q FROM information_schema.innodb_trx",
    );
    say(`  no progress: statements ${JSON.stringify(procs)}; transactions ${JSON.stringify(trx)}`);
  } catch (err) {
    say(`  no progress; database activity unavailable: ${(err as Error).message}`);
  } finally {
    await admin.end();
  }
}

/** create_time of every lake row whose event id is not among `published`. */
async function lakeIdsNotIn(config: Config, published: ReadonlySet<string>): Promise<Set<string>> {
  const client = createCassandraClient(config);
  const out = new Set<string>();
  try {
    const rs = await client.execute("SELECT bucket, shard, create_time FROM tracking", [], {
      prepare: true,
      fetchSize: 5000,
    });
    for await (const row of rs) {
      const id = eventId({
        bucket: (row.get("bucket") as Date).getTime(),
        shard: Number(row.get("shard")),
        create_time: String(row.get("create_time")),
      });
      if (!published.has(id)) out.add(String(row.get("create_time")));
    }
  } finally {
    await client.shutdown();
  }
  return out;
}

async function publishedIds(config: Config): Promise<Set<string>> {
  const kafka = createKafka(config, "-integrity-read");
  const topic = trackingTopic(config.cassandra.keyspace);
  const offsets = await partitionOffsets(kafka, topic);
  const ids = new Set<string>();
  await readTopicRanges(
    kafka,
    topic,
    offsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })),
    (_p, m) => {
      const id = m.headers?.[EVENT_ID_HEADER]?.toString();
      if (id) ids.add(id);
    },
  );
  return ids;
}

/** Sums the poller's "rows beyond the late-row bound" reports in this run's function log. */
function beyondBoundReports(logFile: string): number {
  let reported = 0;
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes("rows beyond the late-row bound")) continue;
    try {
      const j = JSON.parse(line) as { rowsInLake?: number; rowsPublished?: number };
      reported += Number(j.rowsInLake ?? 0) - Number(j.rowsPublished ?? 0);
    } catch {
      // not a JSON line
    }
  }
  return reported;
}
