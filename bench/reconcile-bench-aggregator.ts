/**
 * The aggregator of bench/reconcile-bench.ts, in-process: the real handler (createAggregatorHandler,
 * with the bench's config: its own warehouse database) fed from the bench's change topic by the local
 * stand-in for Lambda's event source mapping (KafkaEsmBridge), with the production batch settings.
 *
 * Like Lambda, each handler instance ("execution environment", with its own MySQL pool) runs one
 * invocation at a time: the bridge invokes one batch per partition concurrently, and one shared
 * instance would let those invocations starve each other's pool (AGG_DB_POOL_SIZE = 2) — they hung
 * here until MySQL went away. Instances are kept and reused, as warm containers are.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { createAggregatorHandler } from "../functions/aggregator/handler.js";
import { KafkaEsmBridge } from "../infra/local/kafka-esm-bridge.js";
import { localLambdaContext } from "../infra/local/lambda-context.js";
import type { Invoker } from "../infra/local/lambda-invoker.js";
import { createKafka } from "../lib/adapters/kafka/connection.js";
import type { Config } from "../lib/config/index.js";
import { trackingTopic } from "../lib/schema-names.js";
import type { Log } from "../lib/use-cases/ports/log.js";

/** serverless.yml (aggregator event source mapping): batchSize 1000, batching window 1 s. */
export const BRIDGE_BATCH_SIZE = 1_000;
export const BRIDGE_BATCHING_WINDOW_MS = 1_000;

const context = localLambdaContext("reconcile-bench-aggregator", () => 600_000);

export interface BenchAggregator {
  /** Records delivered and the time (epoch ms) the last invocation returned. */
  readonly applied: () => { records: number; lastAtMs: number };
  stop(): Promise<void>;
}

/** Starts the aggregator on the config's change topic and resolves once its consumer joined the group. */
export async function startAggregator(config: Config, log: Log): Promise<BenchAggregator> {
  // One EMF line per batch would bury the bench's output (read at each Metrics' construction).
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  type Handler = ReturnType<typeof createAggregatorHandler>;
  const idle: Handler[] = [];
  const invoker: Invoker = {
    async invoke(_name, event) {
      const handler =
        idle.pop() ??
        createAggregatorHandler({
          config,
          logger: new Logger({ serviceName: "reconcile-bench-aggregator", logLevel: "WARN" }),
        });
      try {
        return await handler(event, context);
      } finally {
        idle.push(handler);
      }
    },
  };
  let lastAtMs = 0;
  const bridge = new KafkaEsmBridge(
    createKafka(config, "-reconcile-bench"),
    invoker,
    {
      topic: trackingTopic(config.cassandra.keyspace),
      functionName: context.functionName,
      groupId: `jtp-reconcile-bench-${config.cassandra.keyspace}`,
      bootstrapServers: config.kafka.brokers,
      batchSize: BRIDGE_BATCH_SIZE,
      batchingWindowMs: BRIDGE_BATCHING_WINDOW_MS,
      maxRetries: -1,
      startFromEarliest: true,
    },
    log,
    () => {
      lastAtMs = Date.now();
    },
  );
  await bridge.start();
  await bridge.joined;
  return {
    applied: () => ({ records: bridge.stats.records, lastAtMs }),
    stop: () => bridge.stop(),
  };
}
