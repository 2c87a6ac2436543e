import { Kafka } from "kafkajs";
import { kafkaClientConfig } from "../../lib/adapters/kafka/kafka-client-config.js";
import type { Config } from "../../lib/config/index.js";
import type { Log } from "../../lib/use-cases/ports/log.js";
import { filteringLogCreator } from "./kafka-log-filter.js";

/**
 * The bridge's Kafka client: the project's client settings, with kafkajs's log sent through the
 * filter that keeps retried start-up answers (coordinator loading, group rebalancing) at debug.
 */
export function bridgeKafka(config: Config, log: Log): Kafka {
  return new Kafka({
    ...kafkaClientConfig(config.kafka, "-esm-bridge"),
    logCreator: filteringLogCreator(log),
  });
}
