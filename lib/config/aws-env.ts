import { z } from "zod";

/**
 * Settings used when running on AWS. Merged into the one env schema in env-schema.ts. Both are
 * optional: without them passwords come from the environment, as locally.
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
   * `username`), the format RDS and `infra/aws/templates/aurora-mysql.yml` create. Read at the first
   * invocation into MYSQL_WRITER_PASSWORD / MYSQL_WRITER_USER unless those are set.
   */
  MYSQL_WRITER_SECRET_ARN: secretArn.optional(),
  /** Same for Cassandra / Amazon Keyspaces credentials (into CASSANDRA_USERNAME / CASSANDRA_PASSWORD). */
  CASSANDRA_SECRET_ARN: secretArn.optional(),
  /**
   * Same for Kafka SASL/SCRAM credentials (into KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD), e.g. the
   * secret a self-managed cluster's event source mapping already uses. Not needed with MSK IAM.
   */
  KAFKA_SECRET_ARN: secretArn.optional(),
} as const;
