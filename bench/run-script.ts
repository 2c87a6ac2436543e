/**
 * The entry point shared by the bench and integrity scripts: runs `main`, exits with its code, and
 * turns a server that cannot be reached into one line that says what to run (not a raw
 * `ECONNREFUSED` stack trace).
 */

import { failureLine } from "../infra/cli/connection-failure.js";
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
