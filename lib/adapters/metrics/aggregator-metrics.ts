import { AGGREGATOR_METRIC, deadLetterMetricName } from "../../core/metrics/metric-names.js";
import { COUNT, type MetricsSink, MILLISECONDS, whole } from "./function-metrics.js";

/**
 * The part of the aggregator's BatchSummary (lib/use-cases/apply-batch.ts) its metrics are made of.
 */
export interface AggregatorMetricsInput {
  readonly recordsIn: number;
  readonly applied: number;
  readonly deadLettered: number;
  /** Dead letters per reason code; codes outside the fixed set count as DeadLetters_other. */
  readonly deadLetteredByReason: Readonly<Record<string, number>>;
  readonly implausible: number;
  readonly skippedReplays: number;
  readonly skippedDuplicates: number;
  readonly rowsUpserted: number;
  readonly batchMs: number;
  readonly transactionMs: number;
  readonly attempts: number;
  /** now − oldest event time among applied records; null when nothing was applied. */
  readonly freshnessMs: number | null;
}

/** Adds the aggregator's metrics for one applied batch (flushed by the caller). */
export function emitAggregatorBatch(metrics: MetricsSink, s: AggregatorMetricsInput): void {
  metrics.addMetric(AGGREGATOR_METRIC.recordsIn, COUNT, whole(s.recordsIn));
  metrics.addMetric(AGGREGATOR_METRIC.recordsApplied, COUNT, whole(s.applied));
  metrics.addMetric(AGGREGATOR_METRIC.deadLetters, COUNT, whole(s.deadLettered));
  const byMetric = new Map<string, number>();
  for (const [code, n] of Object.entries(s.deadLetteredByReason)) {
    const name = deadLetterMetricName(code);
    byMetric.set(name, (byMetric.get(name) ?? 0) + n);
  }
  for (const [name, n] of byMetric) if (n > 0) metrics.addMetric(name, COUNT, whole(n));
  metrics.addMetric(AGGREGATOR_METRIC.implausibleRecords, COUNT, whole(s.implausible));
  metrics.addMetric(AGGREGATOR_METRIC.skippedReplays, COUNT, whole(s.skippedReplays));
  metrics.addMetric(AGGREGATOR_METRIC.skippedDuplicates, COUNT, whole(s.skippedDuplicates));
  metrics.addMetric(AGGREGATOR_METRIC.rowsUpserted, COUNT, whole(s.rowsUpserted));
  metrics.addMetric(AGGREGATOR_METRIC.batchTime, MILLISECONDS, whole(s.batchMs));
  metrics.addMetric(AGGREGATOR_METRIC.transactionTime, MILLISECONDS, whole(s.transactionMs));
  metrics.addMetric(AGGREGATOR_METRIC.transactionAttempts, COUNT, whole(s.attempts));
  if (s.freshnessMs !== null)
    metrics.addMetric(AGGREGATOR_METRIC.freshness, MILLISECONDS, whole(s.freshnessMs));
}
