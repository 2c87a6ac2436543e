import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { Pool } from "mysql2/promise";
import { loadConfigWithSecrets } from "../../lib/adapters/secrets/secrets-manager-env.js";
import type { Config } from "../../lib/config/index.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import type { ApplyBatch, BatchSummary } from "../../lib/use-cases/apply-batch.js";
import { buildApplyBatch } from "./dependencies.js";

/**
 * Kafka-triggered aggregator (MSK `aws:kafka` and self-managed Kafka event source mappings):
 * decode the event → apply the batch to MySQL exactly once → return (and log) the batch metrics.
 * Any thrown error fails the invocation, so the event source mapping redelivers the whole batch;
 * the offset ledger makes that redelivery a no-op for what was already committed.
 */
export interface AggregatorHandlerOptions {
  /** Defaults to loadConfig() at the first invocation. */
  readonly config?: Config;
  /** Writer pool; by default created lazily from the config and kept for warm invocations. */
  readonly pool?: Pool;
  readonly logger?: Logger;
  readonly clock?: () => number;
}

export type AggregatorHandler = (event: unknown, context: Context) => Promise<BatchSummary>;

export function createAggregatorHandler(options: AggregatorHandlerOptions = {}): AggregatorHandler {
  const logger = options.logger ?? new Logger({ serviceName: "jtp-aggregator" });
  let applyBatch: ApplyBatch | undefined;

  const handle = async (event: unknown): Promise<BatchSummary> => {
    applyBatch ??= buildApplyBatch({
      // On AWS the writer's password comes from MYSQL_WRITER_SECRET_ARN (Secrets Manager).
      config: options.config ?? (await loadConfigWithSecrets()),
      ...(options.pool ? { pool: options.pool } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    }).applyBatch;
    let recordsIn: number | undefined;
    try {
      const { eventSource, records } = decodeKafkaEvent(event);
      recordsIn = records.length;
      const summary = await applyBatch(records);
      logger.info("batch applied", { eventSource, ...summary });
      if (summary.pruneError !== undefined) {
        logger.warn("pruning old event ids failed", { error: summary.pruneError });
      }
      return summary;
    } catch (err) {
      logger.error("batch failed; nothing was applied, the event source mapping will redeliver it", {
        recordsIn,
        error: err instanceof Error ? err : String(err),
      });
      throw err;
    }
  };

  return middy<unknown, BatchSummary>(handle).use(injectLambdaContext(logger));
}

export const handler = createAggregatorHandler();
