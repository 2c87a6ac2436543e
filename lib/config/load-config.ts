import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../errors.js";
import { type AggregatorConfig, toAggregatorConfig } from "./aggregator-env.js";
import { type CassandraTls, toCassandraTls } from "./cassandra-tls-env.js";
import { type CdcConfig, parseShardList } from "./cdc-env.js";
import { envSchema, type LocalServerName, type ParsedEnv } from "./env-schema.js";
import { type KafkaSasl, toKafkaSasl } from "./kafka-auth-env.js";
import type { ReconcileConfig } from "./reconcile-env.js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Config {
  readonly stateDir: string;
  /** Servers this project installs and runs itself; the others are external and only connected to. */
  readonly localServers: readonly LocalServerName[];
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPartitions: number;
    readonly replicationFactor: number;
    readonly retentionMs: number;
    readonly ssl: boolean;
    /** SASL authentication (MSK IAM, SCRAM) or none. */
    readonly sasl: KafkaSasl;
    readonly compression: "none" | "gzip";
  };
  readonly cassandra: {
    readonly contactPoints: readonly string[];
    readonly localDataCenter: string;
    readonly keyspace: string;
    readonly replicationFactor: number;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly tls: CassandraTls;
    readonly shards: number;
    readonly bucketSeconds: number;
  };
  readonly mysql: {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly accountHost: string;
    readonly admin: DbAccount;
    readonly writer: DbAccount;
    readonly reader: DbAccount;
  };
  readonly reportingTimeZone: string;
  readonly cdc: CdcConfig;
  readonly aggregator: AggregatorConfig;
  readonly reconcile: ReconcileConfig;
}

export interface DbAccount {
  readonly user: string;
  /** Undefined when not configured; `requireSecret` turns that into a clear ConfigError at the point of use. */
  readonly password: string | undefined;
  /** Name of the variable that holds the password, for error messages. */
  readonly passwordVar: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads `KEY=value` lines (no interpolation, `#` comments). Used for the git-ignored local secrets file. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export const LOCAL_SECRETS_FILE = "secrets.env";

export function defaultStateDir(env: Env = process.env): string {
  return path.resolve(env.JTP_STATE_DIR ?? path.join(process.cwd(), ".state"));
}

/**
 * Environment → validated, typed Config. Values from `env` win over the local secrets file
 * (`<stateDir>/secrets.env`, written by `jtp servers start` for the servers it runs itself).
 * Throws ConfigError listing every bad variable, its value and what is expected.
 */
export function loadConfig(env: Env = process.env, options: { readSecretsFile?: boolean } = {}): Config {
  const stateDir = defaultStateDir(env);
  const secretsPath = path.join(stateDir, LOCAL_SECRETS_FILE);
  const fromFile =
    options.readSecretsFile !== false && existsSync(secretsPath)
      ? parseEnvFile(readFileSync(secretsPath, "utf8"))
      : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) {
    // Empty variables count as unset, as most shells and CI systems treat them.
    if (v !== undefined && v !== "") merged[k] = v;
  }
  const result = envSchema.safeParse(merged);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "(environment)");
      const value = merged[key];
      const shown =
        value === undefined ? "" : key.endsWith("PASSWORD") ? ' (got "***")' : ` (got "${value}")`;
      return `${key}: ${issue.message}${shown}`;
    });
    throw new ConfigError(issues);
  }
  const owned = parseShardList(result.data.CDC_SHARDS_OWNED, result.data.CASSANDRA_SHARDS);
  const outside = owned.filter((s) => s >= result.data.CASSANDRA_SHARDS);
  if (outside.length > 0 || owned.length === 0) {
    throw new ConfigError([
      `CDC_SHARDS_OWNED: shards ${outside.join(",") || "(none)"} are not in 0..${result.data.CASSANDRA_SHARDS - 1} (CASSANDRA_SHARDS=${result.data.CASSANDRA_SHARDS})`,
    ]);
  }
  return toConfig(result.data, stateDir);
}

function toConfig(e: ParsedEnv, stateDir: string): Config {
  return {
    stateDir,
    localServers: [...new Set(e.JTP_LOCAL_SERVERS)],
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      retentionMs: e.KAFKA_RETENTION_HOURS * 3_600_000,
      ssl: e.KAFKA_SSL,
      sasl: toKafkaSasl(e),
      compression: e.KAFKA_COMPRESSION,
    },
    cassandra: {
      contactPoints: e.CASSANDRA_CONTACT_POINTS,
      localDataCenter: e.CASSANDRA_LOCAL_DC,
      keyspace: e.CASSANDRA_KEYSPACE,
      replicationFactor: e.CASSANDRA_REPLICATION_FACTOR,
      username: e.CASSANDRA_USERNAME,
      password: e.CASSANDRA_PASSWORD,
      tls: toCassandraTls(e),
      shards: e.CASSANDRA_SHARDS,
      bucketSeconds: e.CASSANDRA_BUCKET_SECONDS,
    },
    mysql: {
      host: e.MYSQL_HOST,
      port: e.MYSQL_PORT,
      database: e.MYSQL_DATABASE,
      accountHost: e.MYSQL_USER_HOST,
      admin: {
        user: e.MYSQL_ADMIN_USER,
        password: e.MYSQL_ADMIN_PASSWORD,
        passwordVar: "MYSQL_ADMIN_PASSWORD",
      },
      writer: {
        user: e.MYSQL_WRITER_USER,
        password: e.MYSQL_WRITER_PASSWORD,
        passwordVar: "MYSQL_WRITER_PASSWORD",
      },
      reader: {
        user: e.MYSQL_READER_USER,
        password: e.MYSQL_READER_PASSWORD,
        passwordVar: "MYSQL_READER_PASSWORD",
      },
    },
    reportingTimeZone: e.REPORTING_TIME_ZONE,
    cdc: {
      shardsOwned: parseShardList(e.CDC_SHARDS_OWNED, e.CASSANDRA_SHARDS),
      pollIntervalMs: e.CDC_POLL_INTERVAL_MS,
      settleMs: e.CDC_SETTLE_MS,
      sweeps: e.CDC_SWEEP_SCHEDULE,
      maxBatchRows: e.CDC_MAX_BATCH_ROWS,
      safetyMarginMs: e.CDC_SAFETY_MARGIN_MS,
      startFrom: e.CDC_START_FROM === "now" ? "now" : Date.parse(e.CDC_START_FROM),
      idleCheckpointMs: e.CDC_IDLE_CHECKPOINT_MS,
      transactionalIdPrefix: e.CDC_TRANSACTIONAL_ID_PREFIX,
    },
    aggregator: toAggregatorConfig(e),
    reconcile: {
      checkDelaysMs: e.RECONCILE_CHECK_DELAYS,
      horizonMs: e.RECONCILE_HORIZON,
      concurrency: e.RECONCILE_CONCURRENCY,
      publishBatchRows: e.RECONCILE_PUBLISH_BATCH_ROWS,
      verifyTimeoutMs: e.RECONCILE_VERIFY_TIMEOUT,
      safetyMarginMs: e.RECONCILE_SAFETY_MARGIN,
      maxStreamBacklog: e.RECONCILE_MAX_STREAM_BACKLOG,
      transactionalIdPrefix: e.RECONCILE_TRANSACTIONAL_ID_PREFIX,
    },
  };
}

/** The password of `account`, or a ConfigError naming the variable to set. */
export function requireSecret(account: DbAccount): string {
  if (account.password === undefined) {
    throw new ConfigError([
      `${account.passwordVar}: required for user "${account.user}" (set it in the environment, or run ` +
        "`npm run servers -- start`, which generates local passwords into .state/secrets.env)",
    ]);
  }
  return account.password;
}

export function parseHostPort(hp: string): HostPort {
  const idx = hp.lastIndexOf(":");
  return { host: hp.slice(0, idx).replace(/^\[|\]$/g, ""), port: Number(hp.slice(idx + 1)) };
}
