import { RECONCILER_METRIC } from "../../core/metrics/metric-names.js";
import { COUNT, type MetricsSink, whole } from "./function-metrics.js";

/** What one reconciler pass did (the reconciler handler fills it from its pass result). */
export interface ReconcileMetricsInput {
  readonly partitionsChecked: number;
  readonly rowsCompared: number;
  /** Lake rows the warehouse had not accounted for. */
  readonly missingFound: number;
  /** Of those, re-published to Kafka by this pass. */
  readonly republished: number;
  /** Rows still unaccounted for when the pass ended. */
  readonly driftLeft: number;
}

/** Adds the reconciler's metrics for one pass (flushed by the caller). */
export function emitReconcileMetrics(metrics: MetricsSink, input: ReconcileMetricsInput): void {
  metrics.addMetric(RECONCILER_METRIC.partitionsChecked, COUNT, whole(input.partitionsChecked));
  metrics.addMetric(RECONCILER_METRIC.rowsCompared, COUNT, whole(input.rowsCompared));
  metrics.addMetric(RECONCILER_METRIC.missingFound, COUNT, whole(input.missingFound));
  metrics.addMetric(RECONCILER_METRIC.republished, COUNT, whole(input.republished));
  metrics.addMetric(RECONCILER_METRIC.driftLeft, COUNT, whole(input.driftLeft));
}
