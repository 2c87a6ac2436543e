import { AGGREGATOR_METRIC, deadLetterMetricName } from "../../core/metrics/metric-names.js";
import type { BatchSummary } from "../../use-cases/apply-batch.js";
import { COUNT, type MetricsSink, MILLISECONDS, whole } from "./function-metrics.js";

/** The part of the aggregator's batch summary its metrics are made of (field meanings there). */
export type AggregatorMetricsInput = Pick<
  BatchSummary,
  | "recordsIn"
  | "applied"
  | "deadLettered"
  | "deadLetteredByReason"
  | "implausible"
  | "skippedReplays"
  | "skippedDuplicates"
  | "rowsUpserted"
  | "batchMs"
  | "transactionMs"
  | "attempts"
  | "freshnessMs"
>;

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
