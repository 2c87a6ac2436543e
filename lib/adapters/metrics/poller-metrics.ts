import { POLLER_METRIC } from "../../core/metrics/metric-names.js";
import { COUNT, type MetricsSink, MILLISECONDS, whole } from "./function-metrics.js";

/** What one poller invocation did (the poller handler fills it from its invocation summary). */
export interface PollerMetricsInput {
  readonly rowsPublished: number;
  readonly cassandraRowsRead: number;
  readonly lateRowsPublished: number;
  /** now − create_time of the newest row published; undefined when nothing was published. */
  readonly eventLagMs: number | undefined;
  /** Duration of each poll of the invocation. */
  readonly pollDurationsMs: readonly number[];
  /** The invocation was fenced by a newer poller (its transactional id was taken over). */
  readonly fenced: boolean;
}

/** Adds the poller's metrics for one invocation (flushed by the caller). */
export function emitPollerMetrics(metrics: MetricsSink, input: PollerMetricsInput): void {
  metrics.addMetric(POLLER_METRIC.rowsPublished, COUNT, whole(input.rowsPublished));
  metrics.addMetric(POLLER_METRIC.cassandraRowsRead, COUNT, whole(input.cassandraRowsRead));
  metrics.addMetric(POLLER_METRIC.lateRowsPublished, COUNT, whole(input.lateRowsPublished));
  if (input.eventLagMs !== undefined && Number.isFinite(input.eventLagMs)) {
    metrics.addMetric(POLLER_METRIC.eventLag, MILLISECONDS, whole(input.eventLagMs));
  }
  // One value per poll (Powertools flushes by itself at 100 values of one metric).
  for (const ms of input.pollDurationsMs)
    metrics.addMetric(POLLER_METRIC.pollDuration, MILLISECONDS, whole(ms));
  metrics.addMetric(POLLER_METRIC.polls, COUNT, input.pollDurationsMs.length);
  metrics.addMetric(POLLER_METRIC.fenced, COUNT, input.fenced ? 1 : 0);
}
