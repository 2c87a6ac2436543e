import { z } from "zod";
import { ConfigError } from "../errors.js";

/**
 * Settings used when running on AWS. Merged into the one env schema in env-schema.ts (so loadConfig
 * validates them too); `loadAwsRuntimeSettings` reads the ones the functions' wiring needs before
 * the full config exists (metric dimensions, secret refresh). All have defaults: without them
 * passwords come from the environment, as locally.
 */
const secretArn = z
  .string()
  .trim()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
    "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
  );

export const awsEnvShape = {
  /**
   * Secrets Manager secret of the MySQL writer account, JSON with `password` (and optionally
   * `username`), the format RDS and `infra/aws/templates/aurora-mysql.yml` create. Read into
   * MYSQL_WRITER_PASSWORD / MYSQL_WRITER_USER unless those are set, and read again once the value
   * is older than SECRETS_MAX_AGE_SECONDS (rotation).
   */
  MYSQL_WRITER_SECRET_ARN: secretArn.optional(),
  /** Same for Cassandra / Amazon Keyspaces credentials (into CASSANDRA_USERNAME / CASSANDRA_PASSWORD). */
  CASSANDRA_SECRET_ARN: secretArn.optional(),
  /**
   * Same for Kafka SASL/SCRAM credentials (into KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD), e.g. the
   * secret a self-managed cluster's event source mapping already uses. Not needed with MSK IAM.
   */
  KAFKA_SECRET_ARN: secretArn.optional(),
  /**
   * How long a secret value read from Secrets Manager is used before it is read again (Powertools
   * Parameters `maxAge`). A rotated secret reaches warm function instances within this time (or at
   * once after an authentication failure). Default 300 s.
   */
  SECRETS_MAX_AGE_SECONDS: z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number of seconds")
    .transform(Number)
    .pipe(z.number().int().min(1, "must be >= 1").max(86_400, "must be <= 86400"))
    .default(300),
  /** Deployment stage (serverless `${sls:stage}`): the `stage` dimension of every metric. Default local. */
  JTP_STAGE: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, "must be lower-case letters, digits and - (max 32), e.g. dev or prod")
    .default("local"),
} as const;

export interface AwsRuntimeSettings {
  readonly secretsMaxAgeSeconds: number;
  readonly stage: string;
}

const runtimeSchema = z.object({
  SECRETS_MAX_AGE_SECONDS: awsEnvShape.SECRETS_MAX_AGE_SECONDS,
  JTP_STAGE: awsEnvShape.JTP_STAGE,
});

/** SECRETS_MAX_AGE_SECONDS and JTP_STAGE, validated (one ConfigError line per bad variable). */
export function loadAwsRuntimeSettings(
  env: Readonly<Record<string, string | undefined>>,
): AwsRuntimeSettings {
  const pick = (k: keyof z.infer<typeof runtimeSchema>) => (env[k] === "" ? undefined : env[k]);
  const input = { SECRETS_MAX_AGE_SECONDS: pick("SECRETS_MAX_AGE_SECONDS"), JTP_STAGE: pick("JTP_STAGE") };
  const result = runtimeSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = String(issue.path[0]) as keyof typeof input;
        return `${key}: ${issue.message} (got "${input[key] ?? ""}")`;
      }),
    );
  }
  return { secretsMaxAgeSeconds: result.data.SECRETS_MAX_AGE_SECONDS, stage: result.data.JTP_STAGE };
}
