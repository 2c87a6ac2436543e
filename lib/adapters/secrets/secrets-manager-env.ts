import { awsEnvShape } from "../../config/aws-env.js";
import { type Config, type Env, loadConfig } from "../../config/index.js";
import { ConfigError } from "../../errors.js";

/** Reads one secret's string value (Secrets Manager, or a stand-in in tests). */
export interface SecretStringReader {
  getSecretString(secretArn: string): Promise<string>;
}

/** The real reader: AWS SDK v3, region and credentials from the Lambda environment. */
export function secretsManagerReader(): SecretStringReader {
  let client: import("@aws-sdk/client-secrets-manager").SecretsManagerClient | undefined;
  return {
    async getSecretString(secretArn) {
      const sdk = await import("@aws-sdk/client-secrets-manager");
      client ??= new sdk.SecretsManagerClient({});
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
      if (out.SecretString === undefined) throw new Error("the secret has no string value");
      return out.SecretString;
    },
  };
}

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

/** Secret values already read in this process (warm invocations do not call Secrets Manager again). */
const cache = new Map<string, Promise<{ username?: string; password: string }>>();

async function readCredentials(
  reader: SecretStringReader,
  arnVar: string,
  arn: string,
): Promise<{ username?: string; password: string }> {
  let text: string;
  try {
    text = await reader.getSecretString(arn);
  } catch (cause) {
    throw new ConfigError(
      [
        `${arnVar}: could not read secret ${arn} (${(cause as Error).message}); check the function's IAM role`,
      ],
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
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

/**
 * `env` with the credentials of the configured Secrets Manager secrets filled in: for each
 * `*_SECRET_ARN` that is set, the matching password (and user, when the secret has `username`)
 * unless the environment already sets the password. Without any ARN, `env` is returned as is.
 */
export async function withSecretsFromArns(
  env: Env,
  reader: SecretStringReader = secretsManagerReader(),
): Promise<Env> {
  const out: Record<string, string | undefined> = { ...env };
  for (const t of SECRET_TARGETS) {
    const arn = env[t.arnVar];
    if (!isSet(arn) || isSet(env[t.passwordVar])) continue;
    const checked = awsEnvShape[t.arnVar].safeParse(arn);
    if (!checked.success) {
      throw new ConfigError([`${t.arnVar}: ${checked.error.issues[0]?.message ?? "invalid"} (got "${arn}")`]);
    }
    let pending = cache.get(arn);
    if (!pending) {
      pending = readCredentials(reader, t.arnVar, arn);
      cache.set(arn, pending);
      pending.catch(() => cache.delete(arn));
    }
    const creds = await pending;
    out[t.passwordVar] = creds.password;
    if (creds.username !== undefined && !isSet(env[t.userVar])) out[t.userVar] = creds.username;
  }
  return out;
}

/** loadConfig() after filling credentials from Secrets Manager (the functions' entry point on AWS). */
export async function loadConfigWithSecrets(
  env: Env = process.env,
  reader: SecretStringReader = secretsManagerReader(),
): Promise<Config> {
  return loadConfig(await withSecretsFromArns(env, reader));
}

/** Forget cached secret values (tests; or after a rotation, to re-read on the next invocation). */
export function clearSecretCache(): void {
  cache.clear();
}
