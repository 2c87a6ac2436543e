import { setTimeout as sleep } from "node:timers/promises";
import type { Pool } from "mysql2/promise";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { readWholeTopic } from "../../lib/adapters/kafka/topic-range-reader.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import type { Config } from "../../lib/config/index.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { trackingTopic } from "../../lib/schema-names.js";
import {
  type Comparison,
  compareGrains,
  grainsFromWarehouse,
  totalEvents,
  truthFromLake,
} from "./ground-truth.js";

/** One comparison of the warehouse with ground truth from the lake. */
export interface GroundTruthCheck {
  readonly comparison: Comparison;
  /** Every event in the lake. */
  readonly lakeEvents: number;
  readonly warehouseEvents: number;
  /** create_time of every lake row that was never published to the topic. */
  readonly unpublished: ReadonlySet<string>;
  /** Of those, the rows left out of the truth because the run excused them (see checkGroundTruth). */
  readonly excusedUnpublished: number;
}

/** Converged: every lake row the truth holds is counted exactly once in the warehouse, spend included. */
export function isConverged(c: GroundTruthCheck): boolean {
  return c.comparison.lost === 0 && c.comparison.duplicated === 0 && c.comparison.spendDiffCents === 0;
}

/**
 * Compares the warehouse with the lake. Every lake row is expected in the warehouse exactly once (a
 * missing one is lost), except the rows of `excused` (create_time) that were never published (rows
 * the run wrote beyond the poller's look-back on purpose, while no repair step runs). Undefined when
 * the topic or the warehouse cannot be read yet (e.g. an open transaction of a killed poller, or the
 * database restarting): try again later.
 */
export async function checkGroundTruth(
  config: Config,
  reader: Pool,
  excused: ReadonlySet<string>,
): Promise<GroundTruthCheck | undefined> {
  const published = await publishedIds(config).catch(() => undefined);
  if (!published) return undefined;
  const unpublished = await lakeIdsNotIn(config, published);
  const left = new Set([...unpublished].filter((t) => excused.has(t)));
  const truth = await truthFromLake(config, left);
  const warehouse = await grainsFromWarehouse(reader).catch(() => undefined);
  if (!warehouse) return undefined;
  return {
    comparison: compareGrains(truth, warehouse),
    lakeEvents: totalEvents(truth) + left.size,
    warehouseEvents: totalEvents(warehouse),
    unpublished,
    excusedUnpublished: left.size,
  };
}

export interface QuiescenceResult {
  /** The last comparison made (undefined: none could be made before the deadline). */
  readonly check: GroundTruthCheck | undefined;
  readonly converged: boolean;
  /** When it converged or settled (ms). */
  readonly at: number;
}

/**
 * Checks every 3 s until the warehouse matches the lake (`until: "converged"`), or until it matches
 * or has stopped changing for four checks (`until: "settled"`, before a repair step), or the deadline.
 */
export async function waitForQuiescence(
  config: Config,
  excused: ReadonlySet<string>,
  o: {
    readonly until: "converged" | "settled";
    readonly timeoutSeconds: number;
    readonly signal?: AbortSignal;
    readonly say: (line: string) => void;
  },
): Promise<QuiescenceResult> {
  const reader = createMysqlPool(config, config.mysql.reader);
  const deadline = Date.now() + o.timeoutSeconds * 1000;
  let check: GroundTruthCheck | undefined;
  let lastTotal = -1;
  let unchangedChecks = 0;
  try {
    while (Date.now() < deadline && !o.signal?.aborted) {
      await sleep(3_000);
      const now = await checkGroundTruth(config, reader, excused);
      if (!now) {
        o.say("  topic or warehouse not readable to its end yet; checking again");
        continue;
      }
      check = now;
      const c = now.comparison;
      o.say(
        `  lake ${now.lakeEvents} events, warehouse ${now.warehouseEvents}, unpublished ${now.unpublished.size} (excused ${now.excusedUnpublished}), lost ${c.lost}, duplicated ${c.duplicated}`,
      );
      if (isConverged(now)) return { check, converged: true, at: Date.now() };
      unchangedChecks = now.warehouseEvents === lastTotal ? unchangedChecks + 1 : 0;
      lastTotal = now.warehouseEvents;
      if (unchangedChecks === 4) {
        if (o.until === "settled") return { check, converged: false, at: Date.now() };
        // Stuck (no progress while events are missing): show what the database is doing, for diagnosis.
        await sayDatabaseActivity(config, o.say);
      }
    }
  } finally {
    await reader.end();
  }
  return { check, converged: false, at: Date.now() };
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

/** Event ids of every change event on the run's topic. */
async function publishedIds(config: Config): Promise<Set<string>> {
  const kafka = createKafka(config, "-integrity-read");
  const topic = trackingTopic(config.cassandra.keyspace);
  const ids = new Set<string>();
  await readWholeTopic(kafka, topic, (_p, m) => {
    const id = m.headers?.[EVENT_ID_HEADER]?.toString();
    if (id) ids.add(id);
  });
  return ids;
}
