import { writeFileSync } from "node:fs";
import { Logger } from "@aws-lambda-powertools/logger";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { loadConfig } from "../../lib/config/index.js";
import { trackingTopic } from "../../lib/schema-names.js";
import { bridgeKafka } from "../local/bridge-kafka.js";
import { KafkaEsmBridge } from "../local/kafka-esm-bridge.js";
import { lambdaInvoker } from "../local/lambda-invoker.js";
import { LocalScheduler } from "../local/local-scheduler.js";
import { OFFLINE_LAMBDA_ENDPOINT, offlineFunctionName } from "../local/serverless-offline-process.js";

/**
 * The AWS side of the local run as its own process (so it can be killed and restarted on its own):
 * the schedule stand-in that invokes the poller, and the Kafka event source mapping bridge that
 * invokes the aggregator, both against a running `serverless offline`.
 */
export async function localAwsCommand(o: {
  batchSize: number;
  batchingWindowMs: number;
  schedule: boolean;
  /** Written (JSON: pid) once the bridge runs and SIGUSR2 is handled. */
  readyFile?: string;
}): Promise<void> {
  const config = loadConfig();
  const log = powertoolsLog(new Logger({ serviceName: "jtp-local-aws" }));
  const invoker = lambdaInvoker(OFFLINE_LAMBDA_ENDPOINT);
  const scheduler = new LocalScheduler(invoker, offlineFunctionName("cdcPoller"), log);
  if (o.schedule) scheduler.start();
  const bridge = new KafkaEsmBridge(
    bridgeKafka(config, log),
    invoker,
    {
      topic: trackingTopic(config.cassandra.keyspace),
      functionName: offlineFunctionName("aggregator"),
      groupId: `jtp-esm-aggregator-${config.cassandra.keyspace}`,
      bootstrapServers: config.kafka.brokers,
      batchSize: o.batchSize,
      batchingWindowMs: o.batchingWindowMs,
      maxRetries: -1,
      startFromEarliest: true,
    },
    log,
  );
  await bridge.start();
  // Fault injection (integrity suite): the next batch is given up, as after exhausted retries.
  process.on("SIGUSR2", () => bridge.giveUpNextBatch());
  if (o.readyFile) writeFileSync(o.readyFile, JSON.stringify({ pid: process.pid }));
  log.info("local event source mapping and schedule running", {
    batchSize: o.batchSize,
    batchingWindowMs: o.batchingWindowMs,
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await scheduler.stop();
  await bridge.stop();
}
