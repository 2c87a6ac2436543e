import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { partitionOffsets } from "../../lib/adapters/kafka/topic-range-reader.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import {
  type ReconcilePassRecord,
  readLastReconcilePass,
} from "../../lib/adapters/mysql/reconcile-pass-log.js";
import { loadConfig } from "../../lib/config/index.js";
import { trackingTopic } from "../../lib/schema-names.js";
import { formatPercentiles, formatRate, formatWindow } from "../local/status-format.js";
import { AppliedFreshness } from "../tooling/metrics/applied-freshness.js";
import { AppliedEvents } from "../tooling/mysql/applied-events.js";
import { WarehouseStatus } from "../tooling/mysql/warehouse-status.js";

/** The rolling windows `status` reports (the longest is read from the warehouse). */
const WINDOWS_MS = [10_000, 60_000] as const;

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
    for (const line of await rollingWindowLines(new AppliedEvents(pool), config.aggregator.dedupByEventId)) {
      console.log(line);
    }
    console.log(reconcileLine(await readLastReconcilePass(pool)));
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

/**
 * Applied rate and event age at apply over the last 10 s and minute, from processed_events (the
 * aggregator records each applied event id there with the time, when AGG_DEDUP_BY_EVENT_ID is on).
 */
async function rollingWindowLines(applied: AppliedEvents, perEvent: boolean): Promise<string[]> {
  if (!perEvent)
    return [
      "  rolling windows: not available (AGG_DEDUP_BY_EVENT_ID=false: no applied event ids are recorded)",
    ];
  const longest = Math.max(...WINDOWS_MS);
  const page = await applied.since(Date.now() - longest - 1_000);
  const figures = new AppliedFreshness({
    from: "created",
    windowsMs: WINDOWS_MS,
    startedAtMs: page.nowMs - longest,
  });
  figures.recordApplied(page.events, page.nowMs);
  const snap = figures.snapshot(page.nowMs);
  return [
    `  applied, rolling (age = applied - event create_time, warehouse clock)${page.truncated ? `; more events than read, figures cover the first ${page.events.length}` : ""}:`,
    ...snap.windows.map(
      (w) =>
        `    last ${formatWindow(w.applied.windowMs).padEnd(6)} ${formatRate(w.applied.perSecond).padStart(8)} applied, age ${formatPercentiles(w.applied)}`,
    ),
  ];
}

/** The newest reconcile pass (table reconcile_passes), one line. */
export function reconcileLine(p: ReconcilePassRecord | undefined): string {
  if (!p) return "  reconciler: no pass recorded yet";
  const when = new Date(p.startedAtMs).toISOString();
  return `  reconciler: last pass #${p.id} (${p.mode}${p.dryRun ? ", dry run" : ""}) ${p.status} at ${when}: ${p.partitionsChecked} partitions, ${p.rowsCompared} rows compared, ${p.missingFound} missing, ${p.republished} re-published, ${p.deadLettered} dead-lettered, drift left ${p.driftLeft}${p.error ? ` (${p.error})` : ""}`;
}
