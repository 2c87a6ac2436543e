import { z } from "zod";
import { aggregatorEnvShape } from "./aggregator-env.js";
import { awsEnvShape } from "./aws-env.js";
import { cassandraTlsEnvShape, cassandraTlsIssues } from "./cassandra-tls-env.js";
import { cdcEnvShape } from "./cdc-env.js";
import { envBoolean } from "./env-boolean.js";
import { kafkaAuthEnvShape, kafkaAuthIssues } from "./kafka-auth-env.js";
import { reconcileEnvShape, reconcileIssues } from "./reconcile-env.js";

/**
 * The environment variables the pipeline reads, with defaults and validation. Every knob lives
 * here; `load-config.ts` turns the parsed variables into the typed `Config` tree.
 * Defaults target the local servers started by `jtp servers start`.
 */

const identifier = (what: string) =>
  z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,47}$/,
      `${what} must be lower-case letters, digits and _ (max 48), starting with a letter`,
    );

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "must be an integer")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const boolean = envBoolean;

const hostPort = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, "each entry must be host:port");

const hostPortList = z
  .string()
  .trim()
  .min(1, "must list at least one host:port")
  .transform((s) => s.split(",").map((x) => x.trim()))
  .pipe(z.array(hostPort).min(1));

const timeZone = z
  .string()
  .trim()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as UTC or Asia/Ho_Chi_Minh");

export const LOCAL_SERVER_NAMES = ["kafka", "cassandra", "mariadb"] as const;
export type LocalServerName = (typeof LOCAL_SERVER_NAMES)[number];

const localServers = z
  .string()
  .trim()
  .transform((s) =>
    s === "" || s === "none"
      ? []
      : s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
  )
  .pipe(
    z.array(z.enum(LOCAL_SERVER_NAMES, `must be a comma list of ${LOCAL_SERVER_NAMES.join(", ")} or "none"`)),
  );

const secret = z.string().min(8, "must be at least 8 characters").optional();
const userName = z.string().regex(/^[A-Za-z0-9_]{1,32}$/, "must be 1-32 letters, digits or _");

const envObject = z.object({
  JTP_STATE_DIR: z.string().min(1).optional(),
  JTP_LOCAL_SERVERS: localServers.prefault(LOCAL_SERVER_NAMES.join(",")),

  KAFKA_BROKERS: hostPortList.prefault("127.0.0.1:9092"),
  KAFKA_CLIENT_ID: z.string().min(1).default("job-tracking-pipeline"),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000).default(6),
  KAFKA_REPLICATION_FACTOR: integer(1, 10).default(1),
  KAFKA_RETENTION_HOURS: integer(1, 24 * 365).default(168),
  KAFKA_SSL: boolean.default(false),
  /** Compression of produced record batches: gzip halves kafkajs CPU per message on this workload. */
  KAFKA_COMPRESSION: z.enum(["none", "gzip"], "must be none or gzip").default("gzip"),
  ...kafkaAuthEnvShape,

  CASSANDRA_CONTACT_POINTS: hostPortList.prefault("127.0.0.1:9042"),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  CASSANDRA_KEYSPACE: identifier("CASSANDRA_KEYSPACE").default("tracking_lake"),
  CASSANDRA_REPLICATION_FACTOR: integer(1, 10).default(1),
  CASSANDRA_USERNAME: z.string().min(1).optional(),
  CASSANDRA_PASSWORD: z.string().min(1).optional(),
  CASSANDRA_SHARDS: integer(1, 256).default(4),
  CASSANDRA_BUCKET_SECONDS: integer(1, 86_400).default(60),
  ...cassandraTlsEnvShape,

  MYSQL_HOST: z.string().trim().min(1).default("127.0.0.1"),
  MYSQL_PORT: integer(1, 65_535).default(3306),
  MYSQL_DATABASE: identifier("MYSQL_DATABASE").default("job_tracking"),
  MYSQL_USER_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.%_\-:]+$/, "must be a MySQL account host such as % or 10.0.%")
    .default("%"),
  MYSQL_ADMIN_USER: userName.default("jtp_admin"),
  MYSQL_ADMIN_PASSWORD: secret,
  MYSQL_WRITER_USER: userName.default("jtp_writer"),
  MYSQL_WRITER_PASSWORD: secret,
  MYSQL_READER_USER: userName.default("grafana_reader"),
  MYSQL_READER_PASSWORD: secret,

  REPORTING_TIME_ZONE: timeZone.default("UTC"),

  ...cdcEnvShape,
  ...aggregatorEnvShape,
  ...reconcileEnvShape,
  ...awsEnvShape,
});

/** The variables one by one, then the combinations that cannot work together (e.g. MSK IAM without TLS). */
export const envSchema = envObject.superRefine((e, ctx) => {
  for (const issue of [...kafkaAuthIssues(e), ...cassandraTlsIssues(e), ...reconcileIssues(e)]) {
    ctx.addIssue({ code: "custom", path: [issue.variable], message: issue.message });
  }
});

export type ParsedEnv = z.infer<typeof envSchema>;
