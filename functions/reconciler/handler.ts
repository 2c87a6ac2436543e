import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { createFunctionMetrics, emitInvocationError } from "../../lib/adapters/metrics/function-metrics.js";
import { emitReconcileMetrics } from "../../lib/adapters/metrics/reconciler-metrics.js";
import { FreshRuntime } from "../../lib/adapters/secrets/fresh-runtime.js";
import { loadConfigWithFreshSecrets } from "../../lib/adapters/secrets/secrets-manager-env.js";
import type { Config, Env } from "../../lib/config/index.js";
import { METRIC_SERVICE } from "../../lib/core/metrics/metric-names.js";
import type { Log } from "../../lib/use-cases/ports/log.js";
import type { PassReport } from "../../lib/use-cases/reconcile/reconcile-pass.js";
import { runScheduledPass } from "../../lib/use-cases/reconcile/run-scheduled-pass.js";
import { createReconciler, type ReconcilerRuntime } from "./dependencies.js";

export interface ReconcilerHandlerOptions {
  readonly env?: Env;
  /** Builds the reconciler for a config (default: Cassandra + Kafka + MySQL, see dependencies.ts); tests pass fakes. */
  readonly wire?: (config: Config, log: Log) => ReconcilerRuntime;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export type ReconcilerHandler = (event: unknown, context: Context) => Promise<PassReport>;

/**
 * Scheduled (once a minute, reserved concurrency 1): check the lake partitions whose reconcile checks
 * fell due since the last recorded pass → re-publish what the warehouse has not accounted for →
 * record the pass (reconcile_passes), emit its metrics and return its report. A failed pass is
 * recorded and the invocation fails; the next one starts again after the last covered check.
 */
export function createReconcilerHandler(options: ReconcilerHandlerOptions = {}): ReconcilerHandler {
  const logger = options.logger ?? new Logger({ serviceName: "jtp-reconciler" });
  const log = powertoolsLog(logger);
  const metrics =
    options.metrics ??
    createFunctionMetrics(METRIC_SERVICE.reconciler, options.env ? { env: options.env } : {});
  const wire = options.wire ?? createReconciler;
  const runtimes = new FreshRuntime<ReconcilerRuntime>(
    ({ forceFetch }) => loadConfigWithFreshSecrets(options.env ?? process.env, { forceFetch }),
    (config) => wire(config, log),
    (r) => r.close(),
  );

  const reconcile = async (_event: unknown, context: Context): Promise<PassReport> => {
    try {
      const { config, runtime: rt } = await runtimes.current();
      const report = await runScheduledPass(rt.settings, rt.deps, {
        remainingMs: () => context.getRemainingTimeInMillis(),
        safetyMarginMs: config.reconcile.safetyMarginMs,
      });
      emitReconcileMetrics(metrics, report);
      const { driftPartitions, bucketsDone, ...counts } = report;
      log.info("reconcile pass", { ...counts, buckets: bucketsDone.length, driftPartitions });
      if (report.status === "failed")
        throw new Error(`reconcile pass ${report.passId} failed: ${report.error}`);
      return report;
    } catch (err) {
      emitInvocationError(metrics);
      runtimes.failed(err);
      throw err;
    }
  };

  return middy(reconcile)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = createReconcilerHandler();
