import { describe, expect, it, vi } from "vitest";
import { kafkaClientConfig, kafkaSaslOptions } from "../../lib/adapters/kafka/kafka-client-config.js";
import { type Config, loadConfig } from "../../lib/config/index.js";

const NO_FILE = { readSecretsFile: false } as const;
const kafkaOf = (env: Record<string, string>): Config["kafka"] => loadConfig(env, NO_FILE).kafka;

describe("kafkajs options built from the config (every Kafka client of the project)", () => {
  it("none: brokers, no TLS, no SASL, retries and timeouts", () => {
    const options = kafkaClientConfig(kafkaOf({ KAFKA_BROKERS: "b1:9092,b2:9092" }), "-cdc-poller");
    expect(options).toMatchObject({
      clientId: "job-tracking-pipeline-cdc-poller",
      brokers: ["b1:9092", "b2:9092"],
      ssl: false,
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      retry: { retries: 8 },
    });
    expect(options).not.toHaveProperty("sasl");
  });

  it("quiet clients (health probes) do not retry", () => {
    expect(kafkaClientConfig(kafkaOf({}), "-health", { quiet: true }).retry).toEqual({ retries: 0 });
  });

  it("aws-msk-iam: TLS and SASL/OAUTHBEARER with the region's token provider", async () => {
    const provider = vi.fn(async () => ({ value: "signed-token" }));
    const factory = vi.fn((_region: string) => provider);
    const options = kafkaClientConfig(
      kafkaOf({
        KAFKA_BROKERS: "b-1.jtp.kafka-serverless.eu-west-1.amazonaws.com:9098",
        KAFKA_SSL: "true",
        KAFKA_SASL_MECHANISM: "aws-msk-iam",
        AWS_REGION: "eu-west-1",
      }),
      "",
      {},
      factory,
    );
    expect(options.ssl).toBe(true);
    expect(factory).toHaveBeenCalledWith("eu-west-1");
    const sasl = options.sasl;
    expect(sasl?.mechanism).toBe("oauthbearer");
    if (sasl?.mechanism !== "oauthbearer") throw new Error("expected oauthbearer");
    // Building the options signs nothing: kafkajs calls the provider when it authenticates.
    expect(provider).not.toHaveBeenCalled();
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: "signed-token" });
  });

  it("scram-sha-512: the configured user and password", () => {
    const sasl = kafkaSaslOptions({
      mechanism: "scram-sha-512",
      username: "poller",
      password: "pw-12345678",
    });
    expect(sasl).toEqual({ mechanism: "scram-sha-512", username: "poller", password: "pw-12345678" });
  });

  it("none: no sasl option at all", () => {
    expect(kafkaSaslOptions({ mechanism: "none" })).toBeUndefined();
  });
});
