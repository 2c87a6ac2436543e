/**
 * A server that cannot be reached becomes one line that says what to run, not a raw
 * `ECONNREFUSED` stack trace (jtp commands, bench and integrity scripts).
 */

/** The address of the first refused connection in `err` (its causes, inner and aggregated errors). */
export function refusedAddress(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || err === null || typeof err !== "object") return undefined;
  const e = err as {
    code?: unknown;
    message?: unknown;
    address?: unknown;
    port?: unknown;
    cause?: unknown;
    errors?: unknown;
    innerErrors?: unknown;
    originalError?: unknown;
  };
  if (e.code === "ECONNREFUSED") return e.address === undefined ? "a server" : `${e.address}:${e.port}`;
  const inMessage = typeof e.message === "string" ? /ECONNREFUSED ([\w.:[\]-]+)/.exec(e.message) : null;
  if (inMessage) return inMessage[1];
  const nested = [
    e.cause,
    e.originalError,
    ...(Array.isArray(e.errors) ? e.errors : []),
    ...(e.innerErrors && typeof e.innerErrors === "object" ? Object.values(e.innerErrors) : []),
  ];
  for (const n of nested) {
    const found = refusedAddress(n, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** One line for a failure of script `name`: what to run when a server is not reachable. */
export function failureLine(name: string, err: unknown): string | undefined {
  const address = refusedAddress(err);
  if (address === undefined) return undefined;
  return `${name}: cannot reach ${address} (connection refused). Local servers: \`npm run servers -- start\`; external ones: check KAFKA_BROKERS, CASSANDRA_CONTACT_POINTS, MYSQL_HOST`;
}
