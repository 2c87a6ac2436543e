import { type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import type { Config, KafkaSasl } from "../../config/index.js";
import { sharedMskIamTokenProvider } from "./msk-iam-token-provider.js";

export interface KafkaClientOptions {
  /** No kafkajs logging and no retries: for health probes that are expected to fail while a server starts. */
  readonly quiet?: boolean;
}

/** Makes the OAUTHBEARER token provider of a region (default: one shared per process and region). */
export type MskTokenProviderFactory = (region: string) => () => Promise<{ value: string }>;

/** kafkajs `sasl` option for the configured mechanism (undefined = no SASL). */
export function kafkaSaslOptions(
  sasl: KafkaSasl,
  tokenProvider: MskTokenProviderFactory = sharedMskIamTokenProvider,
): SASLOptions | undefined {
  switch (sasl.mechanism) {
    case "none":
      return undefined;
    case "aws-msk-iam":
      // MSK IAM is SASL/OAUTHBEARER with a SigV4-presigned URL as the token (kafkajs's own "aws"
      // mechanism is a different, non-MSK protocol).
      return { mechanism: "oauthbearer", oauthBearerProvider: tokenProvider(sasl.region) };
    case "scram-sha-512":
      return { mechanism: "scram-sha-512", username: sasl.username, password: sasl.password };
  }
}

/**
 * The kafkajs client settings every Kafka client of the project uses (publisher, history reader,
 * bridge, admin): brokers, TLS, SASL, timeouts and retries. Pure: building it opens no connection
 * and signs nothing (the MSK IAM token is signed when kafkajs first authenticates).
 */
export function kafkaClientConfig(
  kafka: Config["kafka"],
  clientIdSuffix = "",
  options: KafkaClientOptions = {},
  tokenProvider?: MskTokenProviderFactory,
): KafkaConfig & { sasl?: SASLOptions } {
  const sasl = kafkaSaslOptions(kafka.sasl, tokenProvider);
  return {
    clientId: `${kafka.clientId}${clientIdSuffix}`,
    brokers: [...kafka.brokers],
    // Server certificates are verified against Node's bundled root CAs (MSK's are public ones).
    ssl: kafka.ssl,
    ...(sasl ? { sasl } : {}),
    logLevel: options.quiet ? logLevel.NOTHING : logLevel.ERROR,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: options.quiet ? { retries: 0 } : { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
  };
}
