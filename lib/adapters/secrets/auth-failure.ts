/**
 * Whether an error (or one of its causes) says the credentials were refused: MySQL/MariaDB access
 * denied (1045), Kafka SASL authentication failed, Cassandra authentication error. After such a
 * failure a handler reads its secrets again at once (forceFetch) instead of waiting for maxAge:
 * the secret may have been rotated under a warm instance.
 */
const MYSQL_ACCESS_DENIED = 1045;

export function isAuthenticationFailure(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (typeof e === "object" && e !== null && !seen.has(e)) {
    seen.add(e);
    const f = e as { errno?: unknown; code?: unknown; name?: unknown; type?: unknown; cause?: unknown };
    if (f.errno === MYSQL_ACCESS_DENIED || f.code === "ER_ACCESS_DENIED_ERROR") return true;
    if (f.name === "KafkaJSSASLAuthenticationError" || f.type === "SASL_AUTHENTICATION_FAILED") return true;
    if (f.name === "AuthenticationError") return true;
    e = f.cause;
  }
  return false;
}
