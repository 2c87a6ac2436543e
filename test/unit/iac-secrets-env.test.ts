import { beforeEach, describe, expect, it } from "vitest";
import {
  clearSecretCache,
  loadConfigWithSecrets,
  type SecretStringReader,
  withSecretsFromArns,
} from "../../lib/adapters/secrets/secrets-manager-env.js";
import { loadConfig } from "../../lib/config/index.js";
import { ConfigError } from "../../lib/errors.js";

const WRITER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jtp-prod-mysql-writer-AbCdEf";
const CASSANDRA_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jtp-prod-keyspaces-XyZ123";

function fakeReader(values: Record<string, string>): SecretStringReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getSecretString(arn) {
      calls.push(arn);
      const v = values[arn];
      if (v === undefined) throw new Error("ResourceNotFoundException");
      return v;
    },
  };
}

const base = { JTP_STATE_DIR: "/nonexistent-jtp-state" };

beforeEach(() => clearSecretCache());

describe("credentials from Secrets Manager (MYSQL_WRITER_SECRET_ARN, CASSANDRA_SECRET_ARN)", () => {
  it("fills the writer's user and password from an RDS-style secret, once per process", async () => {
    const reader = fakeReader({
      [WRITER_ARN]: JSON.stringify({ username: "jtp_writer_prod", password: "s3cr3t-pw" }),
    });
    const config = await loadConfigWithSecrets({ ...base, MYSQL_WRITER_SECRET_ARN: WRITER_ARN }, reader);
    expect(config.mysql.writer).toMatchObject({ user: "jtp_writer_prod", password: "s3cr3t-pw" });
    await loadConfigWithSecrets({ ...base, MYSQL_WRITER_SECRET_ARN: WRITER_ARN }, reader);
    expect(reader.calls).toEqual([WRITER_ARN]);
  });

  it("fills Cassandra credentials and keeps variables that are already set", async () => {
    const reader = fakeReader({
      [CASSANDRA_ARN]: JSON.stringify({ username: "ks-user", password: "ks-pass" }),
    });
    const env = await withSecretsFromArns(
      { ...base, CASSANDRA_SECRET_ARN: CASSANDRA_ARN, MYSQL_WRITER_PASSWORD: "from-env-1" },
      reader,
    );
    expect(env).toMatchObject({ CASSANDRA_USERNAME: "ks-user", CASSANDRA_PASSWORD: "ks-pass" });
    expect(env.MYSQL_WRITER_PASSWORD).toBe("from-env-1");
    const explicit = await withSecretsFromArns(
      { ...base, CASSANDRA_SECRET_ARN: CASSANDRA_ARN, CASSANDRA_PASSWORD: "explicit" },
      reader,
    );
    expect(explicit.CASSANDRA_PASSWORD).toBe("explicit");
    expect(reader.calls).toEqual([CASSANDRA_ARN]);
  });

  it("does nothing without an ARN (local runs never call AWS)", async () => {
    const reader = fakeReader({});
    const env = { ...base, MYSQL_WRITER_PASSWORD: "local-password" };
    expect(await withSecretsFromArns(env, reader)).toEqual(env);
    expect(reader.calls).toEqual([]);
  });

  it("fails with a ConfigError naming the variable, never the secret value", async () => {
    const bad = fakeReader({ [WRITER_ARN]: JSON.stringify({ username: "u", pass: "do-not-print-me" }) });
    const err = await withSecretsFromArns({ ...base, MYSQL_WRITER_SECRET_ARN: WRITER_ARN }, bad).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err.message)).toMatch(/MYSQL_WRITER_SECRET_ARN: .* has no "password"/);
    expect(String(err.message)).not.toContain("do-not-print-me");

    clearSecretCache();
    await expect(
      withSecretsFromArns({ ...base, MYSQL_WRITER_SECRET_ARN: WRITER_ARN }, fakeReader({})),
    ).rejects.toThrow(/could not read secret .*ResourceNotFoundException.*IAM role/);
    await expect(
      withSecretsFromArns({ ...base, MYSQL_WRITER_SECRET_ARN: "arn:aws:s3:::bucket" }, fakeReader({})),
    ).rejects.toThrow(/MYSQL_WRITER_SECRET_ARN: must be a Secrets Manager secret ARN/);
  });

  it("the config schema validates the ARN variables", () => {
    expect(() => loadConfig({ ...base, CASSANDRA_SECRET_ARN: "not-an-arn" })).toThrow(/CASSANDRA_SECRET_ARN/);
    expect(() => loadConfig({ ...base, MYSQL_WRITER_SECRET_ARN: WRITER_ARN })).not.toThrow();
  });
});
