import { awsEnvShape, loadAwsRuntimeSettings } from "../../config/aws-env.js";
import { type Config, type Env, loadConfig } from "../../config/index.js";
import { ConfigError } from "../../errors.js";
import { credentialsFingerprint } from "./credentials-fingerprint.js";
import { clearSecretProviders, type SecretStringReader, secretProviderFor } from "./secret-provider.js";

export type { SecretStringReader } from "./secret-provider.js";

/**
 * Credentials from Secrets Manager, refreshed after SECRETS_MAX_AGE_SECONDS (default 300 s) through
 * Powertools Parameters' cache (`maxAge`), so a rotated secret reaches warm function instances.
 * Handlers call `loadConfigWithFreshSecrets()` at every invocation (a cache hit costs nothing) and
 * rebuild their pool / clients when `credentialsFingerprint` changes (see RebuildOnChange).
 */

/** Which variables a secret fills, when they are not already set. */
const SECRET_TARGETS = [
  { arnVar: "MYSQL_WRITER_SECRET_ARN", userVar: "MYSQL_WRITER_USER", passwordVar: "MYSQL_WRITER_PASSWORD" },
  { arnVar: "CASSANDRA_SECRET_ARN", userVar: "CASSANDRA_USERNAME", passwordVar: "CASSANDRA_PASSWORD" },
  { arnVar: "KAFKA_SECRET_ARN", userVar: "KAFKA_SASL_USERNAME", passwordVar: "KAFKA_SASL_PASSWORD" },
] as const satisfies ReadonlyArray<{
  arnVar: keyof typeof awsEnvShape;
  userVar: string;
  passwordVar: string;
}>;

const isSet = (v: string | undefined): v is string => v !== undefined && v !== "";

export interface SecretReadOptions {
  /** A stand-in for Secrets Manager (tests); default Powertools' SecretsProvider. */
  readonly reader?: SecretStringReader;
  /** Read every secret again now, whatever its age (after an authentication failure). */
  readonly forceFetch?: boolean;
}

function parseCredentials(
  arnVar: string,
  arn: string,
  value: unknown,
): { username?: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === "string" ? value : new TextDecoder().decode(value as Uint8Array));
  } catch {
    throw new ConfigError([
      `${arnVar}: secret ${arn} is not JSON like {"username": "...", "password": "..."}`,
    ]);
  }
  const obj = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof obj.password !== "string" || obj.password === "") {
    throw new ConfigError([`${arnVar}: secret ${arn} has no "password" string`]);
  }
  return typeof obj.username === "string" && obj.username !== ""
    ? { username: obj.username, password: obj.password }
    : { password: obj.password };
}

async function resolveSecrets(
  env: Env,
  options: SecretReadOptions,
): Promise<{ env: Env; filled: Record<string, string> }> {
  const out: Record<string, string | undefined> = { ...env };
  const filled: Record<string, string> = {};
  const targets = SECRET_TARGETS.filter((t) => isSet(env[t.arnVar]) && !isSet(env[t.passwordVar]));
  if (targets.length === 0) return { env, filled };
  const { secretsMaxAgeSeconds } = loadAwsRuntimeSettings(env);
  const provider = await secretProviderFor(options.reader);
  for (const t of targets) {
    const arn = env[t.arnVar] as string;
    const checked = awsEnvShape[t.arnVar].safeParse(arn);
    if (!checked.success) {
      throw new ConfigError([`${t.arnVar}: ${checked.error.issues[0]?.message ?? "invalid"} (got "${arn}")`]);
    }
    let value: unknown;
    try {
      value = await provider.get(arn, {
        maxAge: secretsMaxAgeSeconds,
        ...(options.forceFetch ? { forceFetch: true } : {}),
      });
    } catch (cause) {
      throw new ConfigError(
        [
          `${t.arnVar}: could not read secret ${arn} (${(cause as Error).message}); check the function's IAM role`,
        ],
        { cause },
      );
    }
    const creds = parseCredentials(t.arnVar, arn, value);
    out[t.passwordVar] = creds.password;
    filled[t.passwordVar] = creds.password;
    if (creds.username !== undefined && !isSet(env[t.userVar])) {
      out[t.userVar] = creds.username;
      filled[t.userVar] = creds.username;
    }
  }
  return { env: out, filled };
}

/**
 * `env` with the credentials of the configured Secrets Manager secrets filled in: for each
 * `*_SECRET_ARN` that is set, the matching password (and user, when the secret has `username`)
 * unless the environment already sets the password. Without any ARN, `env` is returned as is.
 */
export async function withSecretsFromArns(
  env: Env,
  reader?: SecretStringReader,
  options: Omit<SecretReadOptions, "reader"> = {},
): Promise<Env> {
  return (await resolveSecrets(env, { ...options, ...(reader ? { reader } : {}) })).env;
}

/** loadConfig() after filling credentials from Secrets Manager. */
export async function loadConfigWithSecrets(
  env: Env = process.env,
  reader?: SecretStringReader,
): Promise<Config> {
  return (await loadConfigWithFreshSecrets(env, reader ? { reader } : {})).config;
}

export interface ConfigWithCredentials {
  readonly config: Config;
  /**
   * Digest of the credentials read from secrets ("" when none were): changes when a secret was
   * rotated and re-read. Rebuild pools / clients when it differs from the one they were built with.
   */
  readonly credentialsFingerprint: string;
}

/** The functions' entry point on AWS: the config with credentials no older than SECRETS_MAX_AGE_SECONDS. */
export async function loadConfigWithFreshSecrets(
  env: Env = process.env,
  options: SecretReadOptions = {},
): Promise<ConfigWithCredentials> {
  const { env: full, filled } = await resolveSecrets(env, options);
  return {
    config: loadConfig(full),
    credentialsFingerprint: Object.keys(filled).length === 0 ? "" : credentialsFingerprint(filled),
  };
}

/** Forget cached secret values (tests; the next read goes to Secrets Manager). */
export function clearSecretCache(): void {
  clearSecretProviders();
}
