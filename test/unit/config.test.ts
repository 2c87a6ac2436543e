import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseEnvFile, requireSecret } from "../../lib/config/index.js";
import { ConfigError } from "../../lib/errors.js";

const NO_FILE = { readSecretsFile: false } as const;

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, NO_FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("gives local defaults when nothing is set", () => {
    const c = loadConfig({}, NO_FILE);
    expect(c.kafka.brokers).toEqual(["127.0.0.1:9092"]);
    expect(c.kafka.topicPartitions).toBe(6);
    expect(c.cassandra.contactPoints).toEqual(["127.0.0.1:9042"]);
    expect(c.cassandra.keyspace).toBe("tracking_lake");
    expect(c.mysql.port).toBe(3306);
    expect(c.mysql.writer.user).toBe("jtp_writer");
    expect(c.mysql.reader.user).toBe("grafana_reader");
    expect(c.reportingTimeZone).toBe("UTC");
    expect(c.localServers).toEqual(["kafka", "cassandra", "mariadb"]);
  });

  it("reads valid values and types them", () => {
    const c = loadConfig(
      {
        KAFKA_BROKERS: "b1:9092, b2:9093",
        KAFKA_TOPIC_PARTITIONS: "12",
        KAFKA_SSL: "true",
        KAFKA_RETENTION_HOURS: "2",
        MYSQL_PORT: "3307",
        MYSQL_WRITER_PASSWORD: "s3cret-long",
        REPORTING_TIME_ZONE: "Asia/Ho_Chi_Minh",
        JTP_LOCAL_SERVERS: "none",
        CASSANDRA_SHARDS: "8",
      },
      NO_FILE,
    );
    expect(c.kafka.brokers).toEqual(["b1:9092", "b2:9093"]);
    expect(c.kafka.topicPartitions).toBe(12);
    expect(c.kafka.ssl).toBe(true);
    expect(c.kafka.retentionMs).toBe(7_200_000);
    expect(c.mysql.port).toBe(3307);
    expect(requireSecret(c.mysql.writer)).toBe("s3cret-long");
    expect(c.reportingTimeZone).toBe("Asia/Ho_Chi_Minh");
    expect(c.localServers).toEqual([]);
    expect(c.cassandra.shards).toBe(8);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ MYSQL_PORT: "" }, NO_FILE).mysql.port).toBe(3306);
  });

  it("names every malformed variable, its value and what is expected", () => {
    const err = configError({
      MYSQL_PORT: "abc",
      KAFKA_TOPIC_PARTITIONS: "0",
      KAFKA_BROKERS: "no-port-here",
      REPORTING_TIME_ZONE: "Mars/Olympus",
      KAFKA_SSL: "maybe",
      JTP_LOCAL_SERVERS: "kafka,postgres",
      CASSANDRA_KEYSPACE: "Drop Table;",
    });
    const text = err.message;
    expect(err.code).toBe("CONFIG_INVALID");
    expect(text).toContain('MYSQL_PORT: must be an integer (got "abc")');
    expect(text).toContain('KAFKA_TOPIC_PARTITIONS: must be >= 1 (got "0")');
    expect(text).toContain("KAFKA_BROKERS: each entry must be host:port");
    expect(text).toContain("REPORTING_TIME_ZONE: must be an IANA time zone");
    expect(text).toContain("KAFKA_SSL: must be true or false");
    expect(text).toContain("JTP_LOCAL_SERVERS");
    expect(text).toContain("CASSANDRA_KEYSPACE: CASSANDRA_KEYSPACE must be lower-case");
    expect(err.issues).toHaveLength(7);
  });

  it("explains values their parser refuses (sweep schedule, check delays, durations), one line each", () => {
    const err = configError({
      CDC_SWEEP_SCHEDULE: "1000:x",
      RECONCILE_CHECK_DELAYS: "10m,1m",
      RECONCILE_VERIFY_TIMEOUT: "5 parsecs",
    });
    expect(err.message).toContain(
      'CDC_SWEEP_SCHEDULE: must be "none" or age:every pairs in ms such as 1000:2000,4000:20000 ("1000:x" is not age:every (milliseconds)) (got "1000:x")',
    );
    expect(err.message).toContain(
      'RECONCILE_CHECK_DELAYS: must be increasing delays such as 1m,10m,1h,6h,23h (delays must increase) (got "10m,1m")',
    );
    expect(err.message).toContain(
      'RECONCILE_VERIFY_TIMEOUT: "5 parsecs" is not a duration like 90s, 10m, 1h30m (got "5 parsecs")',
    );
    expect(err.issues).toHaveLength(3);
  });

  it("rejects out-of-range numbers", () => {
    expect(configError({ MYSQL_PORT: "70000" }).message).toContain("MYSQL_PORT: must be <= 65535");
  });

  it("never echoes a password in an error", () => {
    const err = configError({ MYSQL_WRITER_PASSWORD: "short" });
    expect(err.message).toContain("MYSQL_WRITER_PASSWORD: must be at least 8 characters");
    expect(err.message).not.toContain('short"');
  });

  it("reports a missing secret at the point of use, naming the variable", () => {
    const c = loadConfig({}, NO_FILE);
    expect(() => requireSecret(c.mysql.writer)).toThrow(
      /MYSQL_WRITER_PASSWORD: required for user "jtp_writer"/,
    );
  });

  it("parses KEY=value files, ignoring comments and junk lines", () => {
    expect(parseEnvFile("# c\nA=1\n\nB = two\nbad line\n")).toEqual({ A: "1", B: "two" });
  });

  it("reads the local secrets file, and lets the environment win over it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "jtp-config-"));
    writeFileSync(path.join(dir, "secrets.env"), "MYSQL_WRITER_PASSWORD=from-the-file\n");
    expect(requireSecret(loadConfig({ JTP_STATE_DIR: dir }).mysql.writer)).toBe("from-the-file");
    const c = loadConfig({ JTP_STATE_DIR: dir, MYSQL_WRITER_PASSWORD: "from-the-env" });
    expect(requireSecret(c.mysql.writer)).toBe("from-the-env");
    expect(c.stateDir).toBe(dir);
  });
});
