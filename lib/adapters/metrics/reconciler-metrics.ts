import { RECONCILER_METRIC } from "../../core/metrics/metric-names.js";
import type { ReconcilePassCounts } from "../../use-cases/reconcile/reconcile-ports.js";
import { COUNT, type MetricsSink, whole } from "./function-metrics.js";

/** What one reconciler pass did (the reconciler handler fills it from its pass result; field meanings there). */
export type ReconcileMetricsInput = Pick<
  ReconcilePassCounts,
  "partitionsChecked" | "rowsCompared" | "missingFound" | "republished" | "driftLeft"
>;

/** Adds the reconciler's metrics for one pass (flushed by the caller). */
export function emitReconcileMetrics(metrics: MetricsSink, input: ReconcileMetricsInput): void {
  metrics.addMetric(RECONCILER_METRIC.partitionsChecked, COUNT, whole(input.partitionsChecked));
  metrics.addMetric(RECONCILER_METRIC.rowsCompared, COUNT, whole(input.rowsCompared));
  metrics.addMetric(RECONCILER_METRIC.missingFound, COUNT, whole(input.missingFound));
  metrics.addMetric(RECONCILER_METRIC.republished, COUNT, whole(input.republished));
  metrics.addMetric(RECONCILER_METRIC.driftLeft, COUNT, whole(input.driftLeft));
}
