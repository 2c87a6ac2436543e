import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { createFunctionMetrics, emitInvocationError } from "../../lib/adapters/metrics/function-metrics.js";
import { emitPollerMetrics } from "../../lib/adapters/metrics/poller-metrics.js";
import { FreshRuntime } from "../../lib/adapters/secrets/fresh-runtime.js";
import { loadConfigWithFreshSecrets } from "../../lib/adapters/secrets/secrets-manager-env.js";
import type { Config, Env } from "../../lib/config/index.js";
import { METRIC_SERVICE } from "../../lib/core/metrics/metric-names.js";
import { type InvocationSummary, runPollerInvocation } from "../../lib/use-cases/cdc/run-invocation.js";
import type { Log } from "../../lib/use-cases/ports/log.js";
import { createPoller, type PollerRuntime } from "./dependencies.js";

export interface PollerHandlerOptions {
  /** Environment read with Secrets Manager at each invocation (default process.env). */
  readonly env?: Env;
  /** Builds the poller for a config (default: Cassandra + Kafka, see dependencies.ts); tests pass fakes. */
  readonly wire?: (config: Config, log: Log) => PollerRuntime;
  readonly logger?: Logger;
  /** Default: Powertools Metrics for service "cdc-poller" and the stage of JTP_STAGE. */
  readonly metrics?: Metrics;
}

export type PollerHandler = (event: unknown, context: Context) => Promise<InvocationSummary>;

/**
 * Scheduled (EventBridge, at most once a minute): decode nothing (the event carries no data) → poll
 * the lake every CDC_POLL_INTERVAL_MS until less than CDC_SAFETY_MARGIN_MS is left, publishing new
 * rows to Kafka exactly once → emit the invocation's metrics (embedded metric format, flushed by
 * logMetrics) and return its summary. Cassandra and Kafka SCRAM credentials may come from Secrets
 * Manager (re-read after SECRETS_MAX_AGE_SECONDS); when they change, the clients are rebuilt.
 */
export function createPollerHandler(options: PollerHandlerOptions = {}): PollerHandler {
  const logger = options.logger ?? new Logger({ serviceName: "cdc-poller" });
  const log = powertoolsLog(logger);
  const metrics =
    options.metrics ?? createFunctionMetrics(METRIC_SERVICE.poller, options.env ? { env: options.env } : {});
  const wire = options.wire ?? createPoller;
  // Kept across warm invocations: connections and the poller's state.
  const runtimes = new FreshRuntime<PollerRuntime>(
    ({ forceFetch }) => loadConfigWithFreshSecrets(options.env ?? process.env, { forceFetch }),
    (config) => wire(config, log),
    (r) => r.close(),
  );

  const poll = async (_event: unknown, context: Context): Promise<InvocationSummary> => {
    try {
      const { config, runtime, rebuilt } = await runtimes.current();
      if (rebuilt) log.info("credentials changed (rotated secret): Cassandra and Kafka clients rebuilt");
      const summary = await runPollerInvocation(
        runtime.session,
        {
          remainingMs: () => context.getRemainingTimeInMillis(),
          safetyMarginMs: config.cdc.safetyMarginMs,
          pollIntervalMs: config.cdc.pollIntervalMs,
        },
        log,
      );
      emitPollerMetrics(metrics, {
        rowsPublished: summary.published,
        cassandraRowsRead: summary.rowsRead,
        lateRowsPublished: summary.lateRows,
        eventLagMs: summary.newestIngestLagMs,
        pollDurationsMs: summary.pollDurationsMs,
        fenced: summary.stoppedBy === "fenced",
      });
      return summary;
    } catch (err) {
      emitInvocationError(metrics);
      runtimes.failed(err);
      throw err;
    }
  };

  return middy(poll)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = createPollerHandler();
