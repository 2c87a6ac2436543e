import { INVALID_REASON_CODES, type InvalidReasonCode } from "../record-validation.js";

/**
 * The ONE place the pipeline's CloudWatch metric names, namespace and dimensions are declared.
 * The functions emit them (lib/adapters/metrics/*, embedded metric format), the alarms and the
 * operations dashboard refer to them (infra/aws/alarms.yml, infra/aws/ops-dashboard.ts), and a
 * packaging test fails when an alarm names a metric that is not declared here.
 *
 * Dimensions: only `service` (which function) and `stage` (dev, prod, …), one dimension set for
 * every metric. Nothing unbounded (no job id, partition or reason dimension): dead letters are
 * counted per reason code with one metric name per code of the fixed set below.
 */
export const METRICS_NAMESPACE = "JobTrackingPipeline";

export const DIMENSION = { service: "service", stage: "stage" } as const;

/** The `service` dimension value of each function. */
export const METRIC_SERVICE = {
  poller: "cdc-poller",
  aggregator: "aggregator",
  reconciler: "reconciler",
} as const;
export type MetricService = (typeof METRIC_SERVICE)[keyof typeof METRIC_SERVICE];

/** CloudWatch units used here (the names CloudWatch and the embedded metric format use). */
export type MetricUnitName = "Count" | "Milliseconds";

/** Emitted by every function when an invocation fails (1 per failed invocation). */
export const COMMON_METRIC = { invocationErrors: "InvocationErrors" } as const;

export const POLLER_METRIC = {
  rowsPublished: "RowsPublished",
  cassandraRowsRead: "CassandraRowsRead",
  lateRowsPublished: "LateRowsPublished",
  /** now − create_time of the newest row published (one value per invocation that published). */
  eventLag: "EventLag",
  /** One value per poll of the invocation. */
  pollDuration: "PollDuration",
  /** Polls completed by the invocation: the heartbeat the "poller silent" alarm watches. */
  polls: "Polls",
  /** 1 when the invocation was fenced by a newer poller (transactional id), else 0. */
  fenced: "Fenced",
} as const;

export const AGGREGATOR_METRIC = {
  recordsIn: "RecordsIn",
  recordsApplied: "RecordsApplied",
  deadLetters: "DeadLetters",
  skippedReplays: "SkippedReplays",
  skippedDuplicates: "SkippedDuplicates",
  rowsUpserted: "RowsUpserted",
  batchTime: "BatchTime",
  transactionTime: "TransactionTime",
  transactionAttempts: "TransactionAttempts",
  /** Per batch: commit time − write time of the oldest event applied (only when something was applied). */
  freshness: "Freshness",
  implausibleRecords: "ImplausibleRecords",
} as const;

export const RECONCILER_METRIC = {
  partitionsChecked: "PartitionsChecked",
  rowsCompared: "RowsCompared",
  /** Lake rows the warehouse had not accounted for (the streaming path missed them: beyond its late bound, or lost). */
  missingFound: "MissingFound",
  republished: "Republished",
  /** Rows still unaccounted for after the pass. */
  driftLeft: "DriftLeft",
} as const;

/**
 * Dead-letter reason codes with a metric of their own (`DeadLetters_<code>`): exactly the
 * validation reason codes, which lib/core/record-validation.ts owns. A code outside them at run
 * time is counted as `DeadLetters_other`.
 */
export const DEAD_LETTER_REASON_CODES: readonly InvalidReasonCode[] = INVALID_REASON_CODES;
export type DeadLetterReasonCode = InvalidReasonCode;
export const OTHER_DEAD_LETTER_REASON = "other";

export function deadLetterMetricName(code: string): string {
  const known = (DEAD_LETTER_REASON_CODES as readonly string[]).includes(code);
  return `${AGGREGATOR_METRIC.deadLetters}_${known ? code : OTHER_DEAD_LETTER_REASON}`;
}

export interface MetricDeclaration {
  readonly service: MetricService;
  readonly name: string;
  readonly unit: MetricUnitName;
}

const declare = (
  service: MetricService,
  names: Readonly<Record<string, string>>,
  units: Readonly<Record<string, MetricUnitName>> = {},
): MetricDeclaration[] =>
  Object.values(names).map((name) => ({ service, name, unit: units[name] ?? "Count" }));

/** Every metric the functions emit, with its service and unit (the alarms may only use these). */
export const EMITTED_METRICS: readonly MetricDeclaration[] = [
  ...Object.values(METRIC_SERVICE).flatMap((s) => declare(s, COMMON_METRIC)),
  ...declare(METRIC_SERVICE.poller, POLLER_METRIC, {
    [POLLER_METRIC.eventLag]: "Milliseconds",
    [POLLER_METRIC.pollDuration]: "Milliseconds",
  }),
  ...declare(METRIC_SERVICE.aggregator, AGGREGATOR_METRIC, {
    [AGGREGATOR_METRIC.batchTime]: "Milliseconds",
    [AGGREGATOR_METRIC.transactionTime]: "Milliseconds",
    [AGGREGATOR_METRIC.freshness]: "Milliseconds",
  }),
  ...[...DEAD_LETTER_REASON_CODES, OTHER_DEAD_LETTER_REASON].map(
    (code): MetricDeclaration => ({
      service: METRIC_SERVICE.aggregator,
      name: deadLetterMetricName(code),
      unit: "Count",
    }),
  ),
  ...declare(METRIC_SERVICE.reconciler, RECONCILER_METRIC),
];
