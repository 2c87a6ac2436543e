import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { Pool } from "mysql2/promise";
import { emitAggregatorBatch } from "../../lib/adapters/metrics/aggregator-metrics.js";
import { createFunctionMetrics, emitInvocationError } from "../../lib/adapters/metrics/function-metrics.js";
import { FreshRuntime } from "../../lib/adapters/secrets/fresh-runtime.js";
import {
  loadConfigWithFreshSecrets,
  type SecretStringReader,
} from "../../lib/adapters/secrets/secrets-manager-env.js";
import type { Config, Env } from "../../lib/config/index.js";
import { METRIC_SERVICE } from "../../lib/core/metrics/metric-names.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import type { BatchSummary } from "../../lib/use-cases/apply-batch.js";
import { type AggregatorRuntime, type AggregatorWiring, wireAggregator } from "./dependencies.js";

/**
 * Kafka-triggered aggregator (MSK `aws:kafka` and self-managed Kafka event source mappings):
 * decode the event → apply the batch to MySQL exactly once → return (and log) the batch summary and
 * emit its metrics (CloudWatch embedded metric format, flushed by the logMetrics middleware).
 * Any thrown error fails the invocation, so the event source mapping redelivers the whole batch;
 * the offset ledger makes that redelivery a no-op for what was already committed.
 * Credentials come from Secrets Manager, re-read after SECRETS_MAX_AGE_SECONDS; when they change
 * (rotation) the MySQL pool is rebuilt; after an authentication failure they are re-read at once.
 */
export interface AggregatorHandlerOptions {
  /** A fixed config (no secrets read); default: the environment + Secrets Manager at each invocation. */
  readonly config?: Config;
  /** Environment read when `config` is not given (default process.env). */
  readonly env?: Env;
  /** Stand-in for Secrets Manager (tests). */
  readonly secretReader?: SecretStringReader;
  /** Writer pool; by default created from the config and kept for warm invocations. */
  readonly pool?: Pool;
  /** Builds the use case for a config (default: MySQL, see dependencies.ts); tests pass fakes. */
  readonly wire?: (w: AggregatorWiring) => AggregatorRuntime;
  readonly logger?: Logger;
  /** Default: Powertools Metrics for service "aggregator" and the stage of JTP_STAGE. */
  readonly metrics?: Metrics;
  readonly clock?: () => number;
}

export type AggregatorHandler = (event: unknown, context: Context) => Promise<BatchSummary>;

export function createAggregatorHandler(options: AggregatorHandlerOptions = {}): AggregatorHandler {
  const logger = options.logger ?? new Logger({ serviceName: "jtp-aggregator" });
  const metrics =
    options.metrics ??
    createFunctionMetrics(METRIC_SERVICE.aggregator, options.env ? { env: options.env } : {});
  const wire = options.wire ?? wireAggregator;
  const runtimes = new FreshRuntime<AggregatorRuntime>(
    async ({ forceFetch }) =>
      options.config
        ? { config: options.config, credentialsFingerprint: "" }
        : await loadConfigWithFreshSecrets(options.env ?? process.env, {
            ...(options.secretReader ? { reader: options.secretReader } : {}),
            forceFetch,
          }),
    (config) =>
      wire({
        config,
        ...(options.pool ? { pool: options.pool } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
      }),
    (r) => r.close(),
  );

  const currentRuntime = async (): Promise<AggregatorRuntime> => {
    const { runtime, rebuilt, credentialsFingerprint } = await runtimes.current();
    if (rebuilt)
      logger.info("credentials changed (rotated secret): MySQL pool rebuilt", { credentialsFingerprint });
    return runtime;
  };

  const handle = async (event: unknown): Promise<BatchSummary> => {
    let recordsIn: number | undefined;
    try {
      const { applyBatch } = await currentRuntime();
      const { eventSource, records } = decodeKafkaEvent(event);
      recordsIn = records.length;
      const summary = await applyBatch(records);
      emitAggregatorBatch(metrics, summary);
      logger.info("batch applied", { eventSource, ...summary });
      if (summary.pruneError !== undefined) {
        logger.warn("pruning old event ids failed", { error: summary.pruneError });
      }
      return summary;
    } catch (err) {
      emitInvocationError(metrics);
      const credentialsRefused = runtimes.failed(err);
      logger.error("batch failed; nothing was applied, the event source mapping will redeliver it", {
        recordsIn,
        credentialsRefused,
        error: err instanceof Error ? err : String(err),
      });
      throw err;
    }
  };

  return middy<unknown, BatchSummary>(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

export const handler = createAggregatorHandler();
