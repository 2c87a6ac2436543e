import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { createFunctionMetrics, emitInvocationError } from "../../lib/adapters/metrics/function-metrics.js";
import { emitReconcileMetrics } from "../../lib/adapters/metrics/reconciler-metrics.js";
import { RebuildOnChange } from "../../lib/adapters/secrets/rebuild-on-change.js";
import { loadConfigWithFreshSecrets } from "../../lib/adapters/secrets/secrets-manager-env.js";
import { METRIC_SERVICE } from "../../lib/core/metrics/metric-names.js";
import type { PassReport } from "../../lib/use-cases/reconcile/reconcile-pass.js";
import { runScheduledPass } from "../../lib/use-cases/reconcile/run-scheduled-pass.js";
import { createReconciler, type ReconcilerRuntime } from "./dependencies.js";

const logger = new Logger({ serviceName: "jtp-reconciler" });
const log = powertoolsLog(logger);
const metrics = createFunctionMetrics(METRIC_SERVICE.reconciler);
/** Kept across warm invocations; rebuilt when a rotated secret changes the credentials. */
const runtimes = new RebuildOnChange<ReconcilerRuntime>((r) => r.close());

/**
 * Scheduled (once a minute, reserved concurrency 1): checks the lake partitions whose reconcile
 * checks fell due since the last recorded pass, re-publishes what the warehouse has not accounted
 * for, records the pass (reconcile_passes) and emits its metrics. A pass that fails is recorded and
 * rethrown; the next invocation starts again after the last covered check.
 */
export async function reconcileLake(_event: ScheduledEvent, context: Context): Promise<PassReport> {
  try {
    const { config, credentialsFingerprint } = await loadConfigWithFreshSecrets(process.env);
    const { value: rt } = await runtimes.get(credentialsFingerprint, () => createReconciler(config, log));
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
    throw err;
  }
}

export const handler = middy(reconcileLake)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
