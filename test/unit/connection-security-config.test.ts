import { beforeEach, describe, expect, it } from "vitest";
import {
  clearSecretCache,
  loadConfigWithSecrets,
  type SecretStringReader,
} from "../../lib/adapters/secrets/secrets-manager-env.js";
import { loadConfig } from "../../lib/config/index.js";
import { ConfigError } from "../../lib/errors.js";

const NO_FILE = { readSecretsFile: false } as const;

function issues(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, NO_FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("Kafka authentication settings (KAFKA_SASL_MECHANISM)", () => {
  it("defaults to no SASL, as for the local broker", () => {
    expect(loadConfig({}, NO_FILE).kafka.sasl).toEqual({ mechanism: "none" });
  });

  it("aws-msk-iam with TLS and a region gives the typed MSK IAM setting", () => {
    const c = loadConfig(
      { KAFKA_SASL_MECHANISM: "aws-msk-iam", KAFKA_SSL: "true", AWS_REGION: "eu-west-1" },
      NO_FILE,
    );
    expect(c.kafka.sasl).toEqual({ mechanism: "aws-msk-iam", region: "eu-west-1" });
    expect(c.kafka.ssl).toBe(true);
  });

  it("rejects aws-msk-iam without TLS, saying which variable to set", () => {
    expect(
      issues({ KAFKA_SASL_MECHANISM: "aws-msk-iam", AWS_REGION: "eu-west-1", KAFKA_SSL: "false" }),
    ).toEqual([
      'KAFKA_SASL_MECHANISM: aws-msk-iam requires KAFKA_SSL=true (MSK accepts IAM authentication only over TLS, port 9098); set KAFKA_SSL=true (got "aws-msk-iam")',
    ]);
    // KAFKA_SSL left at its default (false) is the same mistake.
    expect(issues({ KAFKA_SASL_MECHANISM: "aws-msk-iam", AWS_REGION: "eu-west-1" })[0]).toMatch(
      /^KAFKA_SASL_MECHANISM: aws-msk-iam requires KAFKA_SSL=true/,
    );
  });

  it("rejects aws-msk-iam without a region, and a malformed region", () => {
    expect(issues({ KAFKA_SASL_MECHANISM: "aws-msk-iam", KAFKA_SSL: "true" })).toEqual([
      "AWS_REGION: required with KAFKA_SASL_MECHANISM=aws-msk-iam (the region of the MSK cluster, for the token signature; Lambda sets it)",
    ]);
    expect(
      issues({ KAFKA_SASL_MECHANISM: "aws-msk-iam", KAFKA_SSL: "true", AWS_REGION: "Ireland" }),
    ).toContain('AWS_REGION: must be an AWS region such as eu-west-1 (got "Ireland")');
  });

  it("reports every problem of a bad combination at once", () => {
    expect(issues({ KAFKA_SASL_MECHANISM: "aws-msk-iam" })).toHaveLength(2);
  });

  it("scram-sha-512 needs a user and a password, and never echoes the password", () => {
    expect(issues({ KAFKA_SASL_MECHANISM: "scram-sha-512", KAFKA_SASL_PASSWORD: "pw-12345678" })).toEqual([
      "KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=scram-sha-512 (or set KAFKA_SECRET_ARN to read it from Secrets Manager)",
    ]);
    expect(issues({ KAFKA_SASL_MECHANISM: "scram-sha-512" })).toHaveLength(2);
    const c = loadConfig(
      {
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "poller",
        KAFKA_SASL_PASSWORD: "pw-12345678",
      },
      NO_FILE,
    );
    expect(c.kafka.sasl).toEqual({ mechanism: "scram-sha-512", username: "poller", password: "pw-12345678" });
    const text = issues({ KAFKA_SASL_MECHANISM: "none", KAFKA_SASL_PASSWORD: "pw-12345678" }).join("\n");
    expect(text).toContain(
      "KAFKA_SASL_PASSWORD: only used with KAFKA_SASL_MECHANISM=scram-sha-512 (it is none)",
    );
    expect(text).not.toContain("pw-12345678");
  });

  it("rejects credentials that would be silently ignored, and unknown mechanisms", () => {
    expect(
      issues({
        KAFKA_SASL_MECHANISM: "aws-msk-iam",
        KAFKA_SSL: "true",
        AWS_REGION: "eu-west-1",
        KAFKA_SASL_USERNAME: "u",
      }),
    ).toEqual([
      'KAFKA_SASL_USERNAME: only used with KAFKA_SASL_MECHANISM=scram-sha-512 (it is aws-msk-iam); remove it or set the mechanism (got "u")',
    ]);
    expect(issues({ KAFKA_SASL_MECHANISM: "plain" })).toEqual([
      'KAFKA_SASL_MECHANISM: must be one of none, aws-msk-iam, scram-sha-512 (got "plain")',
    ]);
  });
});

describe("SCRAM credentials from Secrets Manager (KAFKA_SECRET_ARN)", () => {
  const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jtp-dev-kafka-AbCdEf";
  beforeEach(() => clearSecretCache());

  it("fills KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD before validation", async () => {
    const reader: SecretStringReader = {
      getSecretString: async (arn) => {
        expect(arn).toBe(ARN);
        return JSON.stringify({ username: "jtp-poller", password: "scram-secret-1" });
      },
    };
    const c = await loadConfigWithSecrets(
      {
        JTP_STATE_DIR: "/nonexistent-jtp-state",
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SECRET_ARN: ARN,
      },
      reader,
    );
    expect(c.kafka.sasl).toEqual({
      mechanism: "scram-sha-512",
      username: "jtp-poller",
      password: "scram-secret-1",
    });
  });
});

describe("Cassandra TLS settings (CASSANDRA_SSL, CASSANDRA_SSL_CA_FILE)", () => {
  it("defaults to no TLS", () => {
    expect(loadConfig({}, NO_FILE).cassandra.tls).toEqual({ enabled: false, caFile: undefined });
  });

  it("reads TLS with Node's CAs or with a CA file", () => {
    expect(loadConfig({ CASSANDRA_SSL: "true" }, NO_FILE).cassandra.tls).toEqual({
      enabled: true,
      caFile: undefined,
    });
    expect(
      loadConfig({ CASSANDRA_SSL: "yes", CASSANDRA_SSL_CA_FILE: "/etc/ssl/ca.pem" }, NO_FILE).cassandra.tls,
    ).toEqual({ enabled: true, caFile: "/etc/ssl/ca.pem" });
  });

  it("rejects a CA file without TLS (it would be ignored) and a malformed flag", () => {
    expect(issues({ CASSANDRA_SSL_CA_FILE: "/etc/ssl/ca.pem" })).toEqual([
      'CASSANDRA_SSL_CA_FILE: only used with CASSANDRA_SSL=true; set CASSANDRA_SSL=true or remove it (got "/etc/ssl/ca.pem")',
    ]);
    expect(issues({ CASSANDRA_SSL: "on" })).toEqual(['CASSANDRA_SSL: must be true or false (got "on")']);
  });
});
