import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { EnvIssue } from "./env-issue.js";

/**
 * How every Kafka client of the project authenticates to the brokers (environment → typed). Merged
 * into the one env schema in env-schema.ts; the combinations are checked by `kafkaAuthIssues`.
 */
export const KAFKA_SASL_MECHANISMS = ["none", "aws-msk-iam", "scram-sha-512"] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export const kafkaAuthEnvShape = {
  /**
   * `none` (plaintext or TLS only, the local broker), `aws-msk-iam` (Amazon MSK IAM access control:
   * SASL/OAUTHBEARER with a SigV4-signed token from the function's role; needs KAFKA_SSL=true and
   * AWS_REGION), `scram-sha-512` (needs KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD or KAFKA_SECRET_ARN).
   */
  KAFKA_SASL_MECHANISM: z
    .enum(KAFKA_SASL_MECHANISMS, `must be one of ${KAFKA_SASL_MECHANISMS.join(", ")}`)
    .default("none"),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** Region of the MSK cluster, for the IAM token's signature. Lambda sets it for every function. */
  AWS_REGION: z
    .string()
    .trim()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1")
    .optional(),
} as const;

/** The authentication of the Kafka clients, one case per mechanism (only what that mechanism needs). */
export type KafkaSasl =
  | { readonly mechanism: "none" }
  | { readonly mechanism: "aws-msk-iam"; readonly region: string }
  | { readonly mechanism: "scram-sha-512"; readonly username: string; readonly password: string };

interface KafkaAuthEnv {
  readonly KAFKA_SSL: unknown;
  readonly KAFKA_SASL_MECHANISM: KafkaSaslMechanism;
  readonly KAFKA_SASL_USERNAME?: string | undefined;
  readonly KAFKA_SASL_PASSWORD?: string | undefined;
  readonly AWS_REGION?: string | undefined;
}

/** Combinations of variables that cannot work, one issue each (empty when the settings fit together). */
export function kafkaAuthIssues(e: KafkaAuthEnv): EnvIssue[] {
  const issues: EnvIssue[] = [];
  const mechanism = e.KAFKA_SASL_MECHANISM;
  if (mechanism === "aws-msk-iam") {
    if (e.KAFKA_SSL !== true) {
      issues.push({
        variable: "KAFKA_SASL_MECHANISM",
        message:
          "aws-msk-iam requires KAFKA_SSL=true (MSK accepts IAM authentication only over TLS, port 9098); set KAFKA_SSL=true",
      });
    }
    if (e.AWS_REGION === undefined) {
      issues.push({
        variable: "AWS_REGION",
        message:
          "required with KAFKA_SASL_MECHANISM=aws-msk-iam (the region of the MSK cluster, for the token signature; Lambda sets it)",
      });
    }
  }
  if (mechanism === "scram-sha-512") {
    for (const v of ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const) {
      if (e[v] === undefined) {
        issues.push({
          variable: v,
          message:
            "required with KAFKA_SASL_MECHANISM=scram-sha-512 (or set KAFKA_SECRET_ARN to read it from Secrets Manager)",
        });
      }
    }
  }
  if (mechanism !== "scram-sha-512") {
    for (const v of ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const) {
      if (e[v] !== undefined) {
        issues.push({
          variable: v,
          message: `only used with KAFKA_SASL_MECHANISM=scram-sha-512 (it is ${mechanism}); remove it or set the mechanism`,
        });
      }
    }
  }
  return issues;
}

/** The typed authentication settings; call on an env that `kafkaAuthIssues` accepted. */
export function toKafkaSasl(e: KafkaAuthEnv): KafkaSasl {
  switch (e.KAFKA_SASL_MECHANISM) {
    case "none":
      return { mechanism: "none" };
    case "aws-msk-iam":
      if (e.AWS_REGION === undefined) throw new ConfigError(["AWS_REGION: required with aws-msk-iam"]);
      return { mechanism: "aws-msk-iam", region: e.AWS_REGION };
    case "scram-sha-512":
      if (e.KAFKA_SASL_USERNAME === undefined || e.KAFKA_SASL_PASSWORD === undefined) {
        throw new ConfigError(["KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD: required with scram-sha-512"]);
      }
      return { mechanism: "scram-sha-512", username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD };
  }
}
