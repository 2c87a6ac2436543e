import { PanelBuilder as BarGaugeBuilder } from "@grafana/grafana-foundation-sdk/bargauge";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  BigValueGraphMode,
  ReduceDataOptionsBuilder,
  VizOrientation,
} from "@grafana/grafana-foundation-sdk/common";
import {
  type Dashboard,
  DashboardBuilder,
  type Panel,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TableBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { tableQuery, timeSeriesQuery, WAREHOUSE_DATASOURCE } from "./mysql-target.js";
import {
  campaignPerformanceSql,
  healthSql,
  hourlySql,
  kpiSql,
  reconcileSql,
  topSql,
} from "./warehouse-sql.js";

export const DASHBOARD_UID = "jtp-job-tracking";

export interface DashboardOptions {
  /**
   * Time zone the dashboard shows times in: "utc", "browser" or an IANA name. Use the reporting
   * time zone (REPORTING_TIME_ZONE) so the hours on the axes are the hours of `events.dates/hours`.
   */
  readonly timeZone: string;
}

const lastValue = () => new ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false).fields("");

const thresholds = (steps: Array<[number | null, string]>) =>
  new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));

function stat(title: string, sql: string, unit: string, description: string): StatBuilder {
  return new StatBuilder()
    .title(title)
    .description(description)
    .datasource(WAREHOUSE_DATASOURCE)
    .withTarget(tableQuery(sql))
    .unit(unit)
    .reduceOptions(lastValue())
    .graphMode(BigValueGraphMode.None)
    .height(4)
    .span(4);
}

function table(title: string, sql: string, description: string, span = 12, height = 8): TableBuilder {
  return new TableBuilder()
    .title(title)
    .description(description)
    .datasource(WAREHOUSE_DATASOURCE)
    .withTarget(tableQuery(sql))
    .height(height)
    .span(span);
}

function series(title: string, sql: string, unit: string, description: string): TimeseriesBuilder {
  return new TimeseriesBuilder()
    .title(title)
    .description(description)
    .datasource(WAREHOUSE_DATASOURCE)
    .withTarget(timeSeriesQuery(sql))
    .unit(unit)
    .height(8)
    .span(12);
}

function topBars(title: string, sql: string, description: string): BarGaugeBuilder {
  return new BarGaugeBuilder()
    .title(title)
    .description(description)
    .datasource(WAREHOUSE_DATASOURCE)
    .withTarget(tableQuery(sql))
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(new ReduceDataOptionsBuilder().values(true).calcs([]).fields("/^clicks$/"))
    .unit("short")
    .height(8)
    .span(6);
}

/** Every panel's builder, in dashboard order, grouped by row. */
function rows(): Array<{ row: string; panels: Array<cog.Builder<Panel>> }> {
  const inRange = "Hours of the reporting time zone whose start lies in the dashboard's time range.";
  return [
    {
      row: "KPIs",
      panels: [
        stat("Clicks", kpiSql.clicks, "short", `Clicks. ${inRange}`),
        stat("Spend", kpiSql.spend, "currencyUSD", `Sum of the bids of the clicks. ${inRange}`),
        stat("Conversions", kpiSql.conversions, "short", `Conversions. ${inRange}`),
        stat("Qualified applications", kpiSql.qualified, "short", `Qualified applications. ${inRange}`),
        stat(
          "Disqualified applications",
          kpiSql.disqualified,
          "short",
          `Unqualified applications. ${inRange}`,
        ),
        stat(
          "Qualified rate",
          kpiSql.qualifiedRate,
          "percentunit",
          `qualified / (qualified + disqualified). ${inRange}`,
        ),
      ],
    },
    {
      row: "Hourly",
      panels: [
        series(
          "Clicks, conversions and applications per hour",
          hourlySql.activity,
          "short",
          "One point per hour of the reporting time zone, plotted at the hour's true instant.",
        ),
        series(
          "Spend and average bid per hour",
          hourlySql.spend,
          "currencyUSD",
          "Spend = sum of bids over clicks; average bid = spend / clicks with a bid (exact, not an average of averages).",
        ),
      ],
    },
    {
      row: "Top",
      panels: [
        table("Top jobs by clicks", topSql.jobs, "The 10 most clicked jobs in the range.", 12, 8),
        table(
          "Top companies by spend",
          topSql.companies,
          "The 10 companies with the highest spend in the range (company from the job table).",
          12,
          8,
        ),
        topBars("Top campaigns by clicks", topSql.campaigns, "The 10 most clicked campaigns in the range."),
        topBars(
          "Top publishers by clicks",
          topSql.publishers,
          "The 10 most clicked publishers in the range.",
        ),
        stat(
          "Average bid",
          kpiSql.averageBid,
          "currencyUSD",
          "Spend / clicks with a bid, over the range (exact sums).",
        ).span(12),
      ],
    },
    {
      row: "Campaign performance",
      panels: [
        table(
          "Campaign performance",
          campaignPerformanceSql,
          "Per campaign over the range: reach, spend, efficiency and application quality.",
          24,
          10,
        ),
      ],
    },
    {
      row: "Pipeline health",
      panels: [
        stat(
          "Freshness (now − last applied batch)",
          healthSql.freshness,
          "s",
          "Seconds since the aggregator last applied a batch (now − MAX(kafka_offset_ledger.updated_at); the ledger advances in the same transaction as the aggregates). Grows when the pipeline stalls, or when no events arrive.",
        ).thresholds(
          thresholds([
            [null, "green"],
            [60, "orange"],
            [300, "red"],
          ]),
        ),
        stat(
          "Dead letters in range",
          healthSql.deadLetters,
          "short",
          "Records the aggregator could not apply (bad JSON, wrong types, missing job_id …), quarantined in dead_letters.",
        ).thresholds(
          thresholds([
            [null, "green"],
            [1, "red"],
          ]),
        ),
        stat(
          "Oldest partition progress (s)",
          healthSql.ledgerMaxAge,
          "s",
          "Seconds since the least recently advanced topic-partition was applied (kafka_offset_ledger). Idle partitions age too; compare with freshness.",
        ),
        series(
          "Dead letters per hour",
          healthSql.deadLettersPerHour,
          "short",
          "Dead-lettered records per hour of arrival.",
        ).span(12),
        series(
          "Events applied per minute",
          healthSql.appliedPerMinute,
          "short",
          "Events applied to the warehouse per minute (from the de-duplication guard; kept for AGG_DEDUP_WINDOW_HOURS).",
        ).span(12),
        table(
          "Consumer progress per partition (offset ledger)",
          healthSql.ledger,
          "Last applied Kafka offset per topic-partition and how long ago it advanced. Lag in records = the topic's end offset − last_offset (see `npm run status`, or the OffsetLag metric of the event source mapping).",
          12,
          8,
        ),
        table(
          "Dead letters by reason",
          healthSql.deadLettersByReason,
          "Dead letters in range per reason.",
          12,
          8,
        ),
        table(
          "Latest dead letters",
          healthSql.latestDeadLetters,
          "The 50 most recent dead letters in range.",
          24,
          8,
        ),
      ],
    },
    {
      row: "Reconciliation",
      panels: [
        stat(
          "Drift left (last reconcile pass)",
          reconcileSql.driftLeft,
          "short",
          "Lake rows the warehouse had still not accounted for (applied or dead-lettered) when the newest finished reconcile pass ended (dry runs excluded; whatever the time range). Should be 0.",
        ).thresholds(
          thresholds([
            [null, "green"],
            [1, "red"],
          ]),
        ),
        series(
          "Reconcile passes: missing found, re-published, drift left",
          reconcileSql.perPass,
          "short",
          "One point per finished reconcile pass (scheduled, CLI, replay; dry runs excluded) at its start: lake rows found missing from the warehouse, re-published to the change topic, come back dead-lettered, and still missing at the end (drift left).",
        ).span(20),
        table(
          "Latest reconcile passes",
          reconcileSql.latest,
          "The 20 newest passes in range (reconcile_passes), dry runs, running and failed passes included.",
          24,
          8,
        ),
      ],
    },
  ];
}

/** The job-tracking dashboard as Grafana JSON (schema of the foundation SDK). */
export function buildJobTrackingDashboard(options: DashboardOptions): Dashboard {
  const builder = new DashboardBuilder("Job tracking")
    .uid(DASHBOARD_UID)
    .description(
      "Recruitment-ad performance from the MySQL warehouse (hourly grain, reporting time zone) and pipeline health.",
    )
    .tags(["job-tracking", "warehouse"])
    .timezone(options.timeZone)
    .time({ from: "now-24h", to: "now" })
    .refresh("30s")
    .readonly();
  for (const { row, panels } of rows()) {
    builder.withRow(new RowBuilder(row));
    for (const p of panels) builder.withPanel(p);
  }
  const dashboard = builder.build();
  // Stable, unique panel ids (Grafana links, alerts and the panel-level JSON refer to them).
  for (const [i, panel] of (dashboard.panels ?? []).entries()) panel.id = i + 1;
  return dashboard;
}
