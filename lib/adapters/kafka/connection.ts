import { Kafka } from "kafkajs";
import type { Config } from "../../config/index.js";
import { type KafkaClientOptions, kafkaClientConfig } from "./kafka-client-config.js";

export type { KafkaClientOptions } from "./kafka-client-config.js";

/**
 * kafkajs 2.2.4 computes a negative setTimeout delay in its request queue; Node 24 then prints a
 * TimeoutNegativeWarning (kafkajs issue #1751; Node clamps the delay to 1 ms, behaviour is unchanged).
 * Drop exactly that warning, once per process, so real warnings stay visible.
 */
function silenceKafkajsNegativeTimeoutWarning(): void {
  const marker = Symbol.for("jtp.kafkajs.negativeTimeoutFilter");
  const holder = process as unknown as Record<symbol, boolean>;
  if (holder[marker]) return;
  holder[marker] = true;
  const original = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const name = typeof warning === "string" ? (typeof rest[0] === "string" ? rest[0] : "") : warning.name;
    if (name === "TimeoutNegativeWarning") return;
    (original as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * A kafkajs client for the configured brokers, with TLS and SASL (MSK IAM, SCRAM) as configured
 * (kafka-client-config.ts). kafkajs's own logging is kept to errors.
 */
export function createKafka(config: Config, clientIdSuffix = "", options: KafkaClientOptions = {}): Kafka {
  silenceKafkajsNegativeTimeoutWarning();
  return new Kafka(kafkaClientConfig(config.kafka, clientIdSuffix, options));
}
