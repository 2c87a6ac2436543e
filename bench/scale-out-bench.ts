/**
 * Scale-out benchmark (a script, not a test): drains the same backlog with 1, 2 and 4 poller
 * processes, each owning its own shards (CDC_SHARDS_OWNED), and checks the topic holds every row
 * exactly once. Prints rows/s per configuration.
 * Usage: npm run bench:scale -- [--backlog 100000] [--instances 1,2,4]
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { dropIsolatedRun } from "../infra/local/isolated-run.js";
import { migrateCassandra } from "../infra/migrate/migrate-cassandra.js";
import { migrateKafka } from "../infra/migrate/migrate-kafka.js";
import { PROJECT_ROOT } from "../infra/servers/project-paths.js";
import { TrackingWriter } from "../infra/tooling/cassandra/tracking-writer.js";
import { seededRng } from "../infra/tooling/generator/random.js";
import { buildCatalogue, randomTrackingEvent } from "../infra/tooling/generator/tracking-event-factory.js";
import { createCassandraClient } from "../lib/adapters/cassandra/connection.js";
import { createKafka } from "../lib/adapters/kafka/connection.js";
import { partitionOffsets, readWholeTopic } from "../lib/adapters/kafka/topic-range-reader.js";
import { type Config, loadConfig } from "../lib/config/index.js";
import { EVENT_ID_HEADER } from "../lib/core/envelope.js";
import { trackingTopic } from "../lib/schema-names.js";
import { runScript, startNeededServers } from "./run-script.js";
import { positiveInt, positiveIntList, scriptProgram } from "./script-args.js";

const { backlog, instances } = scriptProgram(
  "bench:scale",
  "drains one backlog with 1, 2 and 4 poller processes",
)
  .option("--backlog <rows>", "rows in the backlog", positiveInt, 100_000)
  .option("--instances <list>", "poller process counts to run, comma-separated", positiveIntList, [1, 2, 4])
  .parse()
  .opts<{ backlog: number; instances: number[] }>();
const SHARDS = 4;
const say = (s: string) => console.log(`[bench:scale] ${s}`);

async function prepare(k: number): Promise<{ config: Config; env: Record<string, string> }> {
  const env = {
    CASSANDRA_KEYSPACE: `jtp_scale${k}_${Date.now().toString(36)}`,
    CASSANDRA_SHARDS: String(SHARDS),
    CDC_START_FROM: new Date(Date.now() - 3_600_000).toISOString(),
    POWERTOOLS_LOG_LEVEL: "WARN",
  };
  const config = loadConfig({ ...process.env, ...env });
  await migrateCassandra(config, () => undefined);
  await migrateKafka(config, () => undefined);
  const client = createCassandraClient(config);
  const writer = new TrackingWriter(client, SHARDS, config.cassandra.bucketSeconds * 1000);
  const rng = seededRng(k);
  const cat = buildCatalogue(2_000);
  const end = Date.now() - 60_000;
  for (let done = 0; done < backlog; done += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, backlog - done) }, (_, i) => {
      const at = new Date(end - 600_000 + ((done + i) / backlog) * 600_000);
      return writer.prepare({ ...randomTrackingEvent(rng, cat, at.getTime()), createdAt: at });
    });
    await writer.write(rows, 256);
  }
  await client.shutdown();
  return { config, env };
}

async function countTopic(config: Config): Promise<{ messages: number; unique: number }> {
  const kafka = createKafka(config, "-scale");
  const topic = trackingTopic(config.cassandra.keyspace);
  const ids = new Set<string>();
  let messages = 0;
  await readWholeTopic(kafka, topic, (_p, m) => {
    messages++;
    ids.add(m.headers?.[EVENT_ID_HEADER]?.toString() ?? "");
  });
  return { messages, unique: ids.size };
}

async function main(): Promise<undefined> {
  await startNeededServers(["cassandra", "kafka"]);
  const rows: string[] = [];
  for (const k of instances) {
    say(`${k} poller instance(s): preparing a backlog of ${backlog} rows over ${SHARDS} shards`);
    const { config, env } = await prepare(k);
    const groups = Array.from({ length: k }, (_, i) =>
      Array.from({ length: SHARDS }, (_, s) => s).filter((s) => s % k === i),
    );
    const started = Date.now();
    const children = groups.map((shards) =>
      spawn(process.execPath, ["--import", "tsx", "bin/jtp.ts", "poll", "--duration", "300"], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...env, CDC_SHARDS_OWNED: shards.join(",") },
        stdio: ["ignore", "ignore", "ignore"],
      }),
    );
    // Timed from the first published row (process start-up and state rebuild excluded) until the end
    // offsets hold the backlog (they also count one transaction marker per partition per batch).
    let seconds: number;
    try {
      const kafka = createKafka(config, "-scale");
      const topic = trackingTopic(config.cassandra.keyspace);
      let firstAt: number | undefined;
      for (;;) {
        await sleep(100);
        const high = (await partitionOffsets(kafka, topic)).reduce((n, o) => n + o.high, 0);
        if (high > 0) firstAt ??= Date.now();
        if (high >= backlog) break;
      }
      seconds = (Date.now() - (firstAt ?? started)) / 1000;
      await sleep(3_000); // the last transactions' markers count in the offsets: let them finish
    } finally {
      // Never leave poller processes behind, also when the wait above fails.
      for (const c of children) c.kill("SIGINT");
      await sleep(2_000);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    }
    const counted = await countTopic(config);
    const row = `| ${k} | ${groups.map((g) => g.join(",")).join(" / ")} | ${Math.round(backlog / seconds)} | ${counted.messages} | ${counted.unique} |`;
    say(row);
    rows.push(row);
    await dropIsolatedRun(config);
  }
  console.log(`\nbacklog ${backlog} rows, ${SHARDS} shards, each instance a separate process \n`);
  console.log(
    "| poller instances | shards per instance | rows/s (from the first published row) | messages in topic | distinct rows |",
  );
  console.log("|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}

runScript("bench:scale", main);
