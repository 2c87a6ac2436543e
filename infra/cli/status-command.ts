import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { partitionOffsets } from "../../lib/adapters/kafka/topic-range-reader.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { loadConfig } from "../../lib/config/index.js";
import { trackingTopic } from "../../lib/schema-names.js";
import { WarehouseStatus } from "../tooling/mysql/warehouse-status.js";

/** Reads the warehouse (as the read-only account) and prints the latest hours and pipeline health. */
export async function statusCommand(hours: number): Promise<void> {
  const config = loadConfig();
  const pool = createMysqlPool(config, config.mysql.reader);
  try {
    const w = new WarehouseStatus(pool);
    const totals = await w.totals();
    const latest = await w.latestHours(hours);
    console.log(`warehouse ${config.mysql.host}:${config.mysql.port}/${config.mysql.database}`);
    console.log(
      `  events counted ${totals.events}, fact rows ${totals.rows}, dead letters ${totals.deadLetters}, last update ${totals.lastUpdatedAt ?? "never"}`,
    );
    if (totals.lastUpdatedAt) {
      const age = Date.now() - Date.parse(`${totals.lastUpdatedAt.replace(" ", "T")}Z`);
      console.log(`  freshness (now - latest updated_at): ${(age / 1000).toFixed(1)} s`);
    }
    console.log("\n  dates       hour  rows   clicks  spend          conv  qualified  disqualified");
    for (const h of latest) {
      console.log(
        `  ${h.dates}  ${String(h.hours).padStart(4)}  ${String(h.rows).padStart(5)}  ${String(h.clicks).padStart(7)}  ${h.spend.padStart(13)}  ${String(h.conversion).padStart(4)}  ${String(h.qualified).padStart(9)}  ${String(h.disqualified).padStart(12)}`,
      );
    }
    const topic = trackingTopic(config.cassandra.keyspace);
    const ledger = await w.ledger(topic);
    const offsets = await partitionOffsets(createKafka(config, "-status"), topic).catch(() => []);
    console.log(`\n  ${topic}: partition, end offset, applied up to, lag (incl. transaction markers)`);
    for (const o of offsets) {
      const applied = ledger.get(o.partition);
      console.log(
        `    ${o.partition}  ${o.high}  ${applied ?? "-"}  ${applied === undefined ? o.high - o.low : o.high - 1 - applied}`,
      );
    }
  } finally {
    await pool.end();
  }
}
