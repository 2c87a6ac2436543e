/**
 * CDC poller benchmark (a script, not a test). Prints:
 *  1. publish throughput (rows/s) draining a backlog from Cassandra into Kafka, exactly once;
 *  2. poll latency with 10 thousand vs 1 million rows already in the table (cost must not grow with it).
 * Usage: npm run bench:poller -- [--backlog 200000] [--big 1000000]
 * Starts the local servers it needs if they are not running; works in throw-away keyspaces.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createPoller } from "../functions/cdc-poller/dependencies.js";
import { migrateCassandra } from "../infra/migrate/migrate-cassandra.js";
import { migrateKafka } from "../infra/migrate/migrate-kafka.js";
import { TrackingWriter } from "../infra/tooling/cassandra/tracking-writer.js";
import { seededRng } from "../infra/tooling/generator/random.js";
import { buildCatalogue, randomTrackingEvent } from "../infra/tooling/generator/tracking-event-factory.js";
import { createCassandraClient } from "../lib/adapters/cassandra/connection.js";
import { createKafka } from "../lib/adapters/kafka/connection.js";
import { partitionOffsets } from "../lib/adapters/kafka/topic-range-reader.js";
import { type Config, loadConfig } from "../lib/config/index.js";
import { cdcCheckpointTopic, trackingTopic } from "../lib/schema-names.js";
import { silentLog } from "../lib/use-cases/ports/log.js";
import { runScript, startNeededServers } from "./run-script.js";
import { nonNegativeInt, positiveInt, scriptProgram } from "./script-args.js";

const args = scriptProgram("bench:poller", "CDC poller benchmark: publish throughput and poll latency")
  .option("--backlog <rows>", "rows to drain in the throughput part", positiveInt, 200_000)
  .option(
    "--big <rows>",
    "rows already in the table for the latency part (0: skip it)",
    nonNegativeInt,
    1_000_000,
  )
  .parse()
  .opts<{ backlog: number; big: number }>();
const say = (s: string) => console.log(`[bench:poller] ${s}`);

async function lakeFor(
  name: string,
  env: Record<string, string>,
): Promise<{ config: Config; drop: () => Promise<void> }> {
  const keyspace = `jtp_bench_${name}_${Date.now().toString(36)}`;
  const config = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: keyspace, ...env });
  await migrateCassandra(config, () => undefined);
  await migrateKafka(config, () => undefined);
  return {
    config,
    drop: async () => {
      const c = createCassandraClient(config, { withKeyspace: false });
      await c.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await c.shutdown();
      const admin = createKafka(config, "-bench").admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: [trackingTopic(keyspace), cdcCheckpointTopic(keyspace)] })
        .catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** Writes `count` rows spread over the past `spanMs` (older buckets), reporting progress. */
async function fill(config: Config, count: number, spanMs: number, endMs: number): Promise<void> {
  const client = createCassandraClient(config);
  const writer = new TrackingWriter(client, config.cassandra.shards, config.cassandra.bucketSeconds * 1000);
  const rng = seededRng(5);
  const cat = buildCatalogue(2_000);
  const chunk = 5_000;
  const started = Date.now();
  for (let done = 0; done < count; done += chunk) {
    const rows = Array.from({ length: Math.min(chunk, count - done) }, (_, i) => {
      const at = new Date(endMs - spanMs + ((done + i) / count) * spanMs);
      return writer.prepare({ ...randomTrackingEvent(rng, cat, at.getTime()), createdAt: at });
    });
    await writer.write(rows, 256);
    if ((done / chunk) % 20 === 0)
      say(
        `  wrote ${done + rows.length}/${count} rows (${Math.round((done + rows.length) / ((Date.now() - started) / 1000))} rows/s)`,
      );
  }
  await client.shutdown();
}

async function topicSize(config: Config): Promise<number> {
  const offsets = await partitionOffsets(
    createKafka(config, "-bench"),
    trackingTopic(config.cassandra.keyspace),
  );
  return offsets.reduce((n, o) => n + o.high - o.low, 0);
}

async function throughput(backlog: number): Promise<void> {
  say(`1) throughput: backlog of ${backlog} rows`);
  const lake = await lakeFor("tput", {
    CDC_START_FROM: new Date(Date.now() - 3_600_000).toISOString(),
    CDC_MAX_BATCH_ROWS: process.env.CDC_MAX_BATCH_ROWS ?? "5000",
  });
  await fill(lake.config, backlog, 600_000, Date.now() - 60_000);
  const poller = createPoller(lake.config, silentLog);
  await poller.session.ensureReady();
  const started = Date.now();
  let published = 0;
  let polls = 0;
  let readMs = 0;
  let publishMs = 0;
  while (published < backlog) {
    const s = await poller.session.pollOnce();
    readMs += s.readMs;
    publishMs += s.publishMs;
    published += s.published;
    polls++;
    if (s.published === 0 && !s.backlog) break;
  }
  const seconds = (Date.now() - started) / 1000;
  await poller.close();
  const inTopic = await topicSize(lake.config);
  say(
    `   published ${published} rows in ${seconds.toFixed(1)} s over ${polls} transactions: ${Math.round(published / seconds)} rows/s; Cassandra read ${(readMs / 1000).toFixed(1)} s, Kafka publish+commit ${(publishMs / 1000).toFixed(1)} s; topic offsets ${inTopic} (rows + one commit marker per partition per transaction)`,
  );
  await lake.drop();
}

async function latency(tableRows: number): Promise<number> {
  const lake = await lakeFor(`lat${tableRows}`, { CDC_START_FROM: "now" });
  say(`2) poll latency with ${tableRows} rows already in the table`);
  await fill(lake.config, tableRows, 3_600_000, Date.now() - 120_000);
  const poller = createPoller(lake.config, silentLog);
  await poller.session.ensureReady();
  const client = createCassandraClient(lake.config);
  const writer = new TrackingWriter(
    client,
    lake.config.cassandra.shards,
    lake.config.cassandra.bucketSeconds * 1000,
  );
  const rng = seededRng(9);
  const cat = buildCatalogue(2_000);
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    await writer.write(
      Array.from({ length: 100 }, () => writer.prepare(randomTrackingEvent(rng, cat, Date.now()))),
    );
    await sleep(250);
    const t0 = performance.now();
    const s = await poller.session.pollOnce();
    if (i >= 10) times.push(performance.now() - t0); // skip warm-up
    if (s.published === 0 && i > 5) say(`   (poll ${i} published nothing)`);
  }
  await client.shutdown();
  await poller.close();
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(times.length / 2)] ?? 0;
  const p95 = times[Math.floor(times.length * 0.95)] ?? 0;
  say(
    `   ${tableRows} rows: poll p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (100 new rows per poll)`,
  );
  await lake.drop();
  return p50;
}

async function main(): Promise<undefined> {
  const { backlog, big } = args;
  await startNeededServers(["cassandra", "kafka"]);
  await throughput(backlog);
  if (big === 0) return;
  const small = await latency(10_000);
  const large = await latency(big);
  say(`poll latency ratio ${big} vs 10000 rows: ${(large / small).toFixed(2)} (goal <= 1.5)`);
}

runScript("bench:poller", main);
