import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isAuthenticationFailure } from "../../lib/adapters/secrets/auth-failure.js";
import { RebuildOnChange } from "../../lib/adapters/secrets/rebuild-on-change.js";
import {
  clearSecretCache,
  loadConfigWithFreshSecrets,
  type SecretStringReader,
} from "../../lib/adapters/secrets/secrets-manager-env.js";
import { ConfigError } from "../../lib/errors.js";

const WRITER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jtp-prod-mysql-writer-AbCdEf";
const base = { JTP_STATE_DIR: "/nonexistent-jtp-state", MYSQL_WRITER_SECRET_ARN: WRITER_ARN };
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** A secret whose value the test rotates; counts the reads. */
function rotatingSecret(password: string): SecretStringReader & { reads: number; rotate(p: string): void } {
  let current = password;
  const reader = {
    reads: 0,
    rotate(p: string) {
      current = p;
    },
    async getSecretString() {
      reader.reads++;
      return JSON.stringify({ username: "jtp_writer_prod", password: current });
    },
  };
  return reader;
}

beforeEach(() => {
  clearSecretCache();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("secrets refreshed after SECRETS_MAX_AGE_SECONDS (Powertools Parameters cache)", () => {
  it("a rotated secret is used once the cached value is older than the max age; the fingerprint changes with it", async () => {
    const secret = rotatingSecret("password-one");
    const env = { ...base, SECRETS_MAX_AGE_SECONDS: "60" };
    const first = await loadConfigWithFreshSecrets(env, { reader: secret });
    expect(first.config.mysql.writer.password).toBe("password-one");
    expect(first.credentialsFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(first.credentialsFingerprint)).not.toContain("password-one");

    secret.rotate("password-two");
    vi.setSystemTime(T0 + 59_000);
    const warm = await loadConfigWithFreshSecrets(env, { reader: secret });
    expect(warm.config.mysql.writer.password).toBe("password-one");
    expect(warm.credentialsFingerprint).toBe(first.credentialsFingerprint);
    expect(secret.reads).toBe(1);

    vi.setSystemTime(T0 + 61_000);
    const refreshed = await loadConfigWithFreshSecrets(env, { reader: secret });
    expect(refreshed.config.mysql.writer.password).toBe("password-two");
    expect(refreshed.credentialsFingerprint).not.toBe(first.credentialsFingerprint);
    expect(secret.reads).toBe(2);
  });

  it("the default max age is 300 s; forceFetch reads again at once (after an authentication failure)", async () => {
    const secret = rotatingSecret("password-one");
    await loadConfigWithFreshSecrets(base, { reader: secret });
    secret.rotate("password-two");
    vi.setSystemTime(T0 + 299_000);
    expect((await loadConfigWithFreshSecrets(base, { reader: secret })).config.mysql.writer.password).toBe(
      "password-one",
    );
    const forced = await loadConfigWithFreshSecrets(base, { reader: secret, forceFetch: true });
    expect(forced.config.mysql.writer.password).toBe("password-two");
    expect(secret.reads).toBe(2);
  });

  it("without a secret ARN nothing is read and the fingerprint is empty", async () => {
    const secret = rotatingSecret("unused-password");
    const out = await loadConfigWithFreshSecrets(
      { JTP_STATE_DIR: "/nonexistent-jtp-state", MYSQL_WRITER_PASSWORD: "local-password" },
      { reader: secret },
    );
    expect(out.credentialsFingerprint).toBe("");
    expect(secret.reads).toBe(0);
  });

  it("a bad SECRETS_MAX_AGE_SECONDS is a ConfigError naming the variable", async () => {
    const err = await loadConfigWithFreshSecrets(
      { ...base, SECRETS_MAX_AGE_SECONDS: "soon" },
      { reader: rotatingSecret("password-one") },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(/SECRETS_MAX_AGE_SECONDS: must be a whole number/);
  });

  it("by default reads Secrets Manager through Powertools' SecretsProvider (AWS SDK v3 GetSecretValue), cached", async () => {
    const send = vi
      .spyOn(SecretsManagerClient.prototype, "send")
      .mockImplementation(async (command: unknown) => {
        expect(command).toBeInstanceOf(GetSecretValueCommand);
        expect((command as GetSecretValueCommand).input.SecretId).toBe(WRITER_ARN);
        return { SecretString: JSON.stringify({ username: "u_sm", password: "from-secrets-manager" }) };
      });
    const env = base;
    const a = await loadConfigWithFreshSecrets(env);
    const b = await loadConfigWithFreshSecrets(env);
    expect(a.config.mysql.writer).toMatchObject({ user: "u_sm", password: "from-secrets-manager" });
    expect(b.credentialsFingerprint).toBe(a.credentialsFingerprint);
    expect(send).toHaveBeenCalledTimes(1);
  });
});

describe("RebuildOnChange and authentication failures", () => {
  it("keeps the resource while the fingerprint is the same; builds a new one and disposes of the old on change", async () => {
    const disposed: string[] = [];
    const holder = new RebuildOnChange<string>(async (v) => {
      disposed.push(v);
    });
    expect(await holder.get("f1", () => "pool-1")).toEqual({ value: "pool-1", rebuilt: false });
    expect(await holder.get("f1", () => "pool-x")).toEqual({ value: "pool-1", rebuilt: false });
    expect(await holder.get("f2", () => "pool-2")).toEqual({ value: "pool-2", rebuilt: true });
    expect(disposed).toEqual(["pool-1"]);
  });

  it("recognises refused credentials through the cause chain (MySQL 1045, Kafka SASL, Cassandra)", () => {
    const mysql = Object.assign(new Error("Access denied for user"), { errno: 1045 });
    expect(isAuthenticationFailure(new Error("batch failed", { cause: mysql }))).toBe(true);
    expect(
      isAuthenticationFailure(Object.assign(new Error("x"), { name: "KafkaJSSASLAuthenticationError" })),
    ).toBe(true);
    expect(isAuthenticationFailure(Object.assign(new Error("x"), { errno: 1213 }))).toBe(false);
    expect(isAuthenticationFailure("no")).toBe(false);
  });
});
