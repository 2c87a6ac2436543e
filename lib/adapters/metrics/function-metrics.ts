import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { loadAwsRuntimeSettings } from "../../config/aws-env.js";
import {
  COMMON_METRIC,
  DIMENSION,
  METRICS_NAMESPACE,
  type MetricService,
} from "../../core/metrics/metric-names.js";

/**
 * Powertools Metrics (CloudWatch embedded metric format: one JSON log line per flush, no API call,
 * no IAM permission) for one function: namespace METRICS_NAMESPACE, dimensions `service` and
 * `stage` only. Flush with `metrics.publishStoredMetrics()` at the end of each invocation, or use
 * the `logMetrics(metrics)` middy middleware (@aws-lambda-powertools/metrics/middleware), which
 * flushes after the handler returns or throws.
 */
export function createFunctionMetrics(
  service: MetricService,
  options: { readonly stage?: string; readonly env?: Readonly<Record<string, string | undefined>> } = {},
): Metrics {
  const stage = options.stage ?? loadAwsRuntimeSettings(options.env ?? process.env).stage;
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: service,
    defaultDimensions: { [DIMENSION.stage]: stage },
  });
}

/** What the emit functions need of a Metrics object (a fake in tests). */
export type MetricsSink = Pick<Metrics, "addMetric">;

export const COUNT = MetricUnit.Count;
export const MILLISECONDS = MetricUnit.Milliseconds;

/** One failed invocation (any function): call it where the handler catches the error it rethrows. */
export function emitInvocationError(metrics: MetricsSink): void {
  metrics.addMetric(COMMON_METRIC.invocationErrors, COUNT, 1);
}

/** A duration or count rounded to a whole, non-negative number (CloudWatch keeps doubles; ours are ms and counts). */
export const whole = (n: number): number => Math.max(0, Math.round(n));
