/**
 * The entry point shared by the bench and integrity scripts: runs `main`, exits with its code, and
 * turns a server that cannot be reached into one line that says what to run (not a raw
 * `ECONNREFUSED` stack trace).
 */

import { configForLocalServers, startServers } from "../infra/cli/servers-commands.js";
import type { LocalServerName } from "../lib/config/index.js";

/**
 * Starts (if not running; installs first if needed) those of `needed` that this machine runs itself
 * (JTP_LOCAL_SERVERS), like `npm run bench` does. External servers are left alone.
 */
export async function startNeededServers(needed: readonly LocalServerName[]): Promise<void> {
  const local = configForLocalServers().localServers;
  const names = needed.filter((n) => local.includes(n));
  if (names.length > 0) await startServers(names);
}

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

function exitWithFailure(name: string, err: unknown): never {
  console.error(failureLine(name, err) ?? err);
  process.exit(1);
}

/** Runs `main` and exits with its code (0 when it returns nothing); a failure exits 1. */
export function runScript(name: string, main: () => Promise<number | undefined>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => exitWithFailure(name, err),
  );
}

/** For scripts written with top-level await: an uncaught failure is reported like runScript does. */
export function reportFailures(name: string): void {
  process.once("uncaughtException", (err) => exitWithFailure(name, err));
}
