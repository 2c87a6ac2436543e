import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import {
  AGGREGATOR_METRIC,
  COMMON_METRIC,
  DIMENSION,
  METRIC_SERVICE,
  METRICS_NAMESPACE,
  type MetricService,
  POLLER_METRIC,
  RECONCILER_METRIC,
} from "../../lib/core/metrics/metric-names.js";

/**
 * The CloudWatch operations dashboard as code: pipeline health per stage (Grafana stays the
 * business view). Metric names come from lib/core/metrics/metric-names.ts. The body is a Fn::Sub
 * template: ${Region}, ${Stage}, ${AggregatorFunction}, ${PollerFunction}, ${FailedBatchesQueue}
 * are filled in by CloudFormation / serverless. Written to infra/aws/ops-dashboard.yml (included by
 * serverless.yml); `npx tsx infra/aws/ops-dashboard.ts --check` fails when that file is stale.
 */
export const OPS_DASHBOARD_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "ops-dashboard.yml",
);

/** A `${name}` placeholder (Fn::Sub, or a serverless variable such as sls:stage). */
const sub = (name: string): string => `\${${name}}`;
const STAGE = sub("Stage");
const AGGREGATOR_FN = sub("AggregatorFunction");

type MetricRow = Array<string | Record<string, unknown>>;
interface Widget {
  readonly type: "metric" | "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const custom = (service: MetricService, name: string, options: Record<string, unknown>): MetricRow => [
  METRICS_NAMESPACE,
  name,
  DIMENSION.service,
  service,
  DIMENSION.stage,
  STAGE,
  options,
];
const lambda = (name: string, fn: string, options: Record<string, unknown>): MetricRow => [
  "AWS/Lambda",
  name,
  "FunctionName",
  fn,
  options,
];

const sum = (label: string) => ({ stat: "Sum", label });
const pct = (p: string, label: string) => ({ stat: p, label });

interface Panel {
  readonly title: string;
  readonly metrics: MetricRow[];
  readonly period?: number;
  readonly unit?: string;
}

const AGG = METRIC_SERVICE.aggregator;
const POLL = METRIC_SERVICE.poller;
const REC = METRIC_SERVICE.reconciler;

/** Rows of panels, top to bottom: the stream's health first, then each function. */
const ROWS: ReadonlyArray<{ readonly heading: string; readonly panels: readonly Panel[] }> = [
  {
    heading: "Stream health: is data flowing, how fresh, how far behind",
    panels: [
      {
        title: "Freshness per batch, write -> commit (ms)",
        metrics: [
          custom(AGG, AGGREGATOR_METRIC.freshness, pct("p50", "p50")),
          custom(AGG, AGGREGATOR_METRIC.freshness, pct("p99", "p99")),
          custom(AGG, AGGREGATOR_METRIC.freshness, pct("Maximum", "max")),
        ],
      },
      {
        title: "Trigger offset lag (records)",
        metrics: [lambda("OffsetLag", AGGREGATOR_FN, { stat: "Maximum", label: "offset lag" })],
      },
      {
        title: "Rows published (poller) vs records applied (aggregator), per minute",
        metrics: [
          custom(POLL, POLLER_METRIC.rowsPublished, sum("published")),
          custom(AGG, AGGREGATOR_METRIC.recordsApplied, sum("applied")),
        ],
      },
    ],
  },
  {
    heading: "Aggregator",
    panels: [
      {
        title: "Records per minute",
        metrics: [
          custom(AGG, AGGREGATOR_METRIC.recordsIn, sum("in")),
          custom(AGG, AGGREGATOR_METRIC.recordsApplied, sum("applied")),
          custom(AGG, AGGREGATOR_METRIC.skippedReplays, sum("replays skipped")),
          custom(AGG, AGGREGATOR_METRIC.skippedDuplicates, sum("duplicates skipped")),
          custom(AGG, AGGREGATOR_METRIC.rowsUpserted, sum("rows upserted")),
        ],
      },
      {
        title: "Dead letters and implausible records per minute",
        metrics: [
          custom(AGG, AGGREGATOR_METRIC.deadLetters, sum("dead letters")),
          custom(AGG, AGGREGATOR_METRIC.implausibleRecords, sum("implausible")),
        ],
      },
      {
        title: "Batch and transaction time p99 (ms), attempts",
        metrics: [
          custom(AGG, AGGREGATOR_METRIC.batchTime, pct("p99", "batch p99")),
          custom(AGG, AGGREGATOR_METRIC.transactionTime, pct("p99", "transaction p99")),
          custom(AGG, AGGREGATOR_METRIC.transactionAttempts, pct("Maximum", "attempts max")),
        ],
      },
      {
        title: "Invocations, errors, throttles; failed batches queued",
        metrics: [
          lambda("Invocations", AGGREGATOR_FN, sum("invocations")),
          lambda("Errors", AGGREGATOR_FN, sum("errors")),
          lambda("Throttles", AGGREGATOR_FN, sum("throttles")),
          [
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            sub("FailedBatchesQueue"),
            { stat: "Maximum", label: "failed batches queued" },
          ],
        ],
      },
    ],
  },
  {
    heading: "CDC poller",
    panels: [
      {
        title: "Rows per minute",
        metrics: [
          custom(POLL, POLLER_METRIC.cassandraRowsRead, sum("read from Cassandra")),
          custom(POLL, POLLER_METRIC.rowsPublished, sum("published")),
          custom(POLL, POLLER_METRIC.lateRowsPublished, sum("late rows published")),
        ],
      },
      {
        title: "Event lag, newest row published (ms)",
        metrics: [
          custom(POLL, POLLER_METRIC.eventLag, pct("p50", "p50")),
          custom(POLL, POLLER_METRIC.eventLag, pct("Maximum", "max")),
        ],
      },
      {
        title: "Polls per minute, poll duration p99 (ms), fenced, errors",
        metrics: [
          custom(POLL, POLLER_METRIC.polls, sum("polls")),
          custom(POLL, POLLER_METRIC.pollDuration, pct("p99", "poll p99")),
          custom(POLL, POLLER_METRIC.fenced, sum("fenced")),
          custom(POLL, COMMON_METRIC.invocationErrors, sum("invocation errors")),
          lambda("Errors", sub("PollerFunction"), sum("Lambda errors")),
        ],
      },
    ],
  },
  {
    heading: "Reconciler (the lake compared with the warehouse)",
    panels: [
      {
        title: "Per pass: missing found, re-published, drift left",
        period: 3600,
        metrics: [
          custom(REC, RECONCILER_METRIC.missingFound, sum("missing found")),
          custom(REC, RECONCILER_METRIC.republished, sum("re-published")),
          custom(REC, RECONCILER_METRIC.driftLeft, pct("Maximum", "drift left")),
        ],
      },
      {
        title: "Per pass: partitions checked, rows compared, errors",
        period: 3600,
        metrics: [
          custom(REC, RECONCILER_METRIC.partitionsChecked, sum("partitions checked")),
          custom(REC, RECONCILER_METRIC.rowsCompared, sum("rows compared")),
          custom(REC, COMMON_METRIC.invocationErrors, sum("invocation errors")),
        ],
      },
    ],
  },
];

/** The dashboard body (JSON text with Fn::Sub placeholders). */
export function buildOpsDashboardBody(): string {
  const widgets: Widget[] = [
    {
      type: "text",
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown:
          `## job-tracking-pipeline ${STAGE}: pipeline health\n` +
          "Alarms and what to do: docs/observability.md (runbook). Business figures: Grafana.",
      },
    },
  ];
  let y = 2;
  for (const row of ROWS) {
    widgets.push({
      type: "text",
      x: 0,
      y,
      width: 24,
      height: 1,
      properties: { markdown: `### ${row.heading}` },
    });
    y += 1;
    const width = Math.floor(24 / row.panels.length);
    row.panels.forEach((p, i) => {
      widgets.push({
        type: "metric",
        x: i * width,
        y,
        width,
        height: 6,
        properties: {
          title: p.title,
          view: "timeSeries",
          region: sub("Region"),
          period: p.period ?? 60,
          stacked: false,
          metrics: p.metrics,
        },
      });
    });
    y += 6;
  }
  return JSON.stringify({ start: "-PT3H", periodOverride: "inherit", widgets });
}

/** The serverless.yml `resources` fragment (YAML text) holding the dashboard. */
export function renderOpsDashboardYaml(): string {
  const fragment = {
    Resources: {
      OpsDashboard: {
        Type: "AWS::CloudWatch::Dashboard",
        Condition: "CreateAlarms",
        Properties: {
          DashboardName: `job-tracking-pipeline-${sub("sls:stage")}-ops`,
          DashboardBody: {
            "Fn::Sub": [
              buildOpsDashboardBody(),
              {
                Region: { Ref: "AWS::Region" },
                Stage: sub("sls:stage"),
                AggregatorFunction: { Ref: "AggregatorLambdaFunction" },
                PollerFunction: { Ref: "CdcPollerLambdaFunction" },
                FailedBatchesQueue: {
                  "Fn::If": [
                    "UseMsk",
                    { "Fn::GetAtt": ["AggregatorFailedBatchesQueue", "QueueName"] },
                    "none",
                  ],
                },
              },
            ],
          },
        },
      },
    },
  };
  return `# GENERATED by infra/aws/ops-dashboard.ts (npx tsx infra/aws/ops-dashboard.ts): do not edit.\n# The CloudWatch operations dashboard (stages with alarmsEnabled: dev, prod). See docs/observability.md.\n${stringify(fragment, { lineWidth: 0 })}`;
}

function main(argv: readonly string[]): number {
  const text = renderOpsDashboardYaml();
  if (argv.includes("--check")) {
    const committed = readFileSync(OPS_DASHBOARD_FILE, "utf8");
    if (committed !== text) {
      console.error(`${OPS_DASHBOARD_FILE} is out of date: run npx tsx infra/aws/ops-dashboard.ts`);
      return 1;
    }
    return 0;
  }
  writeFileSync(OPS_DASHBOARD_FILE, text);
  console.log(`wrote ${OPS_DASHBOARD_FILE}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
