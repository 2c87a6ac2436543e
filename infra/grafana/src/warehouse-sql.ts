import { RECONCILE_PASSES_TABLE } from "../../../lib/adapters/mysql/reconcile-pass-log.js";
import { MYSQL_TABLES } from "../../../lib/schema-names.js";

/**
 * SQL of the dashboard panels (Grafana MySQL macros left in place; Grafana expands them).
 *
 * Time zone. `events.dates`/`events.hours` are the event's hour in the reporting time zone
 * (REPORTING_TIME_ZONE), not in UTC. Each row's hour is turned into a DATETIME on the wall clock of
 * that zone (`hour_start`), and the data source's session time zone (`jsonData.timezone`, set to the
 * same zone) makes MySQL read it in that zone: `UNIX_TIMESTAMP(hour_start)` is then the true instant
 * (what Grafana plots), and `$__timeFilter(hour_start)`, which compares with
 * `FROM_UNIXTIME(<epoch>)` (also rendered in the session zone), selects the right hours. TIMESTAMP
 * columns (`updated_at`, `created_at`, `processed_at`) are instants already and need nothing.
 *
 * Grafana's macro syntax takes arguments up to the first `)`, so macros only ever get plain column
 * names: the hour expression is computed in a derived table and filtered outside it. The derived
 * table first narrows `dates` to the calendar days of the range (index `ix_events_time`).
 */

const T = MYSQL_TABLES;

/** Fact rows whose day overlaps the range, with `hour_start` (reporting-zone wall clock). */
const EVENTS_IN_DAYS = `(
  SELECT ev.*, TIMESTAMP(ev.dates, MAKETIME(ev.hours, 0, 0)) AS hour_start
    FROM ${T.events} ev
   WHERE ev.dates BETWEEN DATE($__timeFrom()) AND DATE($__timeTo())
) e`;

/** FROM … WHERE for fact rows whose hour starts inside the dashboard's time range. */
const EVENTS_IN_RANGE = `FROM ${EVENTS_IN_DAYS}
WHERE $__timeFilter(e.hour_start)`;

const sumOf = (column: string, alias: string) => `COALESCE(SUM(e.${column}), 0) AS ${alias}`;

export const kpiSql = {
  clicks: `SELECT ${sumOf("clicks", "clicks")}\n${EVENTS_IN_RANGE}`,
  spend: `SELECT ${sumOf("spend_hour", "spend")}\n${EVENTS_IN_RANGE}`,
  conversions: `SELECT ${sumOf("conversion", "conversions")}\n${EVENTS_IN_RANGE}`,
  qualified: `SELECT ${sumOf("qualified_application", "qualified_applications")}\n${EVENTS_IN_RANGE}`,
  disqualified: `SELECT ${sumOf("disqualified_application", "disqualified_applications")}\n${EVENTS_IN_RANGE}`,
  /** Share of applications that qualified: qualified / (qualified + disqualified). */
  qualifiedRate: `SELECT SUM(e.qualified_application)
       / NULLIF(SUM(e.qualified_application) + SUM(e.disqualified_application), 0) AS qualified_rate
${EVENTS_IN_RANGE}`,
  /** Average bid per click, from the exact sums (never an average of averages). */
  averageBid: `SELECT SUM(e.spend_hour) / NULLIF(SUM(e.bid_count), 0) AS average_bid\n${EVENTS_IN_RANGE}`,
} as const;

export const hourlySql = {
  activity: `SELECT UNIX_TIMESTAMP(e.hour_start) AS time,
       SUM(e.clicks) AS clicks,
       SUM(e.conversion) AS conversions,
       SUM(e.qualified_application) AS qualified,
       SUM(e.disqualified_application) AS disqualified
${EVENTS_IN_RANGE}
GROUP BY e.hour_start
ORDER BY e.hour_start`,
  spend: `SELECT UNIX_TIMESTAMP(e.hour_start) AS time,
       SUM(e.spend_hour) AS spend,
       SUM(e.spend_hour) / NULLIF(SUM(e.bid_count), 0) AS average_bid
${EVENTS_IN_RANGE}
GROUP BY e.hour_start
ORDER BY e.hour_start`,
} as const;

/** Most clicked jobs, with their title and company. */
const topJobs = `SELECT t.job_id, j.title, t.company_id, t.clicks, t.spend, t.conversions
FROM (
  SELECT e.job_id, MAX(e.company_id) AS company_id, SUM(e.clicks) AS clicks,
         SUM(e.spend_hour) AS spend, SUM(e.conversion) AS conversions
  ${EVENTS_IN_RANGE}
  GROUP BY e.job_id
  ORDER BY SUM(e.clicks) DESC, e.job_id
  LIMIT 10
) t
LEFT JOIN ${T.job} j ON j.job_id = t.job_id
ORDER BY t.clicks DESC, t.job_id`;

const topCampaigns = `SELECT CONCAT('campaign ', e.campaign_id) AS campaign, SUM(e.clicks) AS clicks
${EVENTS_IN_RANGE}
GROUP BY e.campaign_id
ORDER BY SUM(e.clicks) DESC, e.campaign_id
LIMIT 10`;

const topPublishers = `SELECT COALESCE(p.name, CONCAT('publisher ', t.publisher_id)) AS publisher, t.clicks
FROM (
  SELECT e.publisher_id, SUM(e.clicks) AS clicks
  ${EVENTS_IN_RANGE}
  GROUP BY e.publisher_id
  ORDER BY SUM(e.clicks) DESC, e.publisher_id
  LIMIT 10
) t
LEFT JOIN ${T.publisher} p ON p.publisher_id = t.publisher_id
ORDER BY t.clicks DESC, t.publisher_id`;

/** By spend; rows of jobs missing from the job table (company_id NULL) are grouped as "unknown". */
const topCompanies = `SELECT CASE WHEN t.company_id IS NULL THEN 'unknown (job not in job table)'
            ELSE COALESCE(c.name, CONCAT('company ', t.company_id)) END AS company,
       t.spend, t.clicks, t.jobs
FROM (
  SELECT e.company_id, SUM(e.spend_hour) AS spend, SUM(e.clicks) AS clicks, COUNT(DISTINCT e.job_id) AS jobs
  ${EVENTS_IN_RANGE}
  GROUP BY e.company_id
  ORDER BY SUM(e.spend_hour) DESC, e.company_id
  LIMIT 10
) t
LEFT JOIN ${T.company} c ON c.company_id = t.company_id
ORDER BY t.spend DESC, t.company_id`;

export const topSql = {
  jobs: topJobs,
  campaigns: topCampaigns,
  publishers: topPublishers,
  companies: topCompanies,
};

export const campaignPerformanceSql = `SELECT e.campaign_id,
       COUNT(DISTINCT e.job_id) AS jobs,
       COUNT(DISTINCT e.publisher_id) AS publishers,
       SUM(e.clicks) AS clicks,
       SUM(e.spend_hour) AS spend,
       SUM(e.spend_hour) / NULLIF(SUM(e.bid_count), 0) AS average_bid,
       SUM(e.conversion) AS conversions,
       SUM(e.conversion) / NULLIF(SUM(e.clicks), 0) AS conversion_rate,
       SUM(e.spend_hour) / NULLIF(SUM(e.conversion), 0) AS cost_per_conversion,
       SUM(e.qualified_application) AS qualified,
       SUM(e.disqualified_application) AS disqualified,
       SUM(e.qualified_application)
         / NULLIF(SUM(e.qualified_application) + SUM(e.disqualified_application), 0) AS qualified_rate
${EVENTS_IN_RANGE}
GROUP BY e.campaign_id
ORDER BY SUM(e.spend_hour) DESC, e.campaign_id`;

export const healthSql = {
  /**
   * Seconds since the aggregator last applied a batch (independent of the time range and the session
   * zone): the offset ledger advances in the same transaction as the aggregates, and is small (one
   * row per topic-partition), unlike `events` (no index on its updated_at: V004).
   */
  freshness: `SELECT UNIX_TIMESTAMP(NOW(3)) - UNIX_TIMESTAMP(MAX(updated_at)) AS freshness_seconds
FROM ${T.offsetLedger}`,
  deadLetters: `SELECT COUNT(*) AS dead_letters
FROM ${T.deadLetters}
WHERE $__timeFilter(created_at)`,
  deadLettersPerHour: `SELECT $__timeGroupAlias(created_at, '1h'), COUNT(*) AS dead_letters
FROM ${T.deadLetters}
WHERE $__timeFilter(created_at)
GROUP BY 1
ORDER BY 1`,
  deadLettersByReason: `SELECT reason_code, COUNT(*) AS records,
       UNIX_TIMESTAMP(MIN(created_at)) * 1000 AS first_seen,
       UNIX_TIMESTAMP(MAX(created_at)) * 1000 AS last_seen
FROM ${T.deadLetters}
WHERE $__timeFilter(created_at)
GROUP BY reason_code
ORDER BY COUNT(*) DESC, reason_code`,
  latestDeadLetters: `SELECT UNIX_TIMESTAMP(created_at) * 1000 AS created, topic, partition_id, record_offset,
       reason_code, reason
FROM ${T.deadLetters}
WHERE $__timeFilter(created_at)
ORDER BY created_at DESC, id DESC
LIMIT 50`,
  /**
   * Consumer progress per topic-partition, from the offset ledger the aggregator advances in the same
   * transaction as the aggregates. The lag in records needs the topic's end offsets, which live in
   * Kafka (`npm run status`, or the event source mapping's OffsetLag metric in CloudWatch); MySQL
   * knows how long ago each partition last advanced.
   */
  ledger: `SELECT topic, partition_id, last_offset,
       UNIX_TIMESTAMP(NOW(3)) - UNIX_TIMESTAMP(updated_at) AS seconds_since_last_batch
FROM ${T.offsetLedger}
ORDER BY topic, partition_id`,
  ledgerMaxAge: `SELECT MAX(UNIX_TIMESTAMP(NOW(3)) - UNIX_TIMESTAMP(updated_at)) AS oldest_partition_seconds
FROM ${T.offsetLedger}`,
  /** Events applied per minute (the de-duplication guard records one row per applied event). */
  appliedPerMinute: `SELECT $__timeGroupAlias(processed_at, '1m'), COUNT(*) AS events_applied
FROM ${T.processedEvents}
WHERE $__timeFilter(processed_at)
GROUP BY 1
ORDER BY 1`,
} as const;

/**
 * Reconcile passes (table reconcile_passes, one row per pass of the reconciler, `jtp reconcile`,
 * replay or rebuild). `started_at` is the time column (an instant, TIMESTAMP).
 */
const P = RECONCILE_PASSES_TABLE;

export const reconcileSql = {
  /**
   * Lake rows still not accounted for after the newest finished pass that really reconciled (not a
   * dry run), whatever the time range: 0 is the goal; anything else stays visible until a pass
   * repairs it.
   */
  driftLeft: `SELECT COALESCE(MAX(drift_left), 0) AS drift_left
FROM (
  SELECT drift_left FROM ${P}
  WHERE status <> 'running' AND dry_run = 0
  ORDER BY id DESC
  LIMIT 1
) last_pass`,
  /** Per finished, non-dry-run pass in range: what it found missing, re-published, dead-lettered, left. */
  perPass: `SELECT UNIX_TIMESTAMP(started_at) AS time,
       missing_found, republished, dead_lettered, drift_left
FROM ${P}
WHERE $__timeFilter(started_at) AND status <> 'running' AND dry_run = 0
ORDER BY started_at, id`,
  /** The 20 newest passes in range, dry runs, running and failed ones included. */
  latest: `SELECT UNIX_TIMESTAMP(started_at) * 1000 AS started, mode, dry_run, status,
       ROUND(UNIX_TIMESTAMP(finished_at) - UNIX_TIMESTAMP(started_at), 1) AS seconds,
       partitions_checked, rows_compared, missing_found, republished, dead_lettered, drift_left, error
FROM ${P}
WHERE $__timeFilter(started_at)
ORDER BY started_at DESC, id DESC
LIMIT 20`,
} as const;
