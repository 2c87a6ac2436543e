import { PipelineError, TransactionConflictError, TransientError, WarehouseError } from "../../errors.js";

/**
 * mysql2 error → typed pipeline error.
 * - lock conflicts (deadlock 1213, lock-wait timeout 1205, MariaDB snapshot conflict 1020):
 *   TransactionConflictError — the transaction was rolled back; run it again;
 * - connection problems (refused, reset, lost, server shutting down, too many connections):
 *   TransientError — the batch is retried later by the event source mapping;
 * - anything else (SQL, privilege, data): WarehouseError.
 */
const CONFLICT_ERRNOS = new Set([1213, 1205, 1020]);

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "PROTOCOL_PACKETS_OUT_OF_ORDER",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  "ER_CLIENT_INTERACTION_TIMEOUT",
  "ER_TOO_MANY_USER_CONNECTIONS",
]);
/** 1040 too many connections, 1053 shutdown, 1927 connection killed (MariaDB), 4031 idle disconnect (MySQL 8), 2006/2013 server gone/lost. */
const CONNECTION_ERRNOS = new Set([1040, 1053, 1927, 4031, 2006, 2013, 1203]);

interface MysqlLikeError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly fatal?: unknown;
  readonly message?: unknown;
}

function fields(err: unknown): MysqlLikeError {
  return typeof err === "object" && err !== null ? (err as MysqlLikeError) : {};
}

export function sqlErrno(err: unknown): number | undefined {
  const n = fields(err).errno;
  return typeof n === "number" ? n : undefined;
}

export function isConflict(err: unknown): boolean {
  const n = sqlErrno(err);
  return n !== undefined && CONFLICT_ERRNOS.has(n);
}

export function isConnectionError(err: unknown): boolean {
  const f = fields(err);
  if (typeof f.code === "string" && CONNECTION_CODES.has(f.code)) return true;
  const n = sqlErrno(err);
  if (n !== undefined && CONNECTION_ERRNOS.has(n)) return true;
  if (f.fatal === true) return true;
  // mysql2 raises a plain Error when a command is sent on a connection that already died.
  return typeof f.message === "string" && /closed state|Pool is closed/i.test(f.message);
}

export function isDuplicateKey(err: unknown): boolean {
  return sqlErrno(err) === 1062;
}

/** Wraps `err` (already typed errors pass through) with `what` was being done. */
export function toPipelineError(err: unknown, what: string): PipelineError {
  if (err instanceof PipelineError) return err;
  const f = fields(err);
  const detail = `${typeof f.code === "string" ? `${f.code}: ` : ""}${typeof f.message === "string" ? f.message : String(err)}`;
  if (isConflict(err)) {
    return new TransactionConflictError(`MySQL lock conflict while ${what} (${detail})`, {
      cause: err,
      sqlErrno: sqlErrno(err),
    });
  }
  if (isConnectionError(err)) {
    return new TransientError(`MySQL unavailable while ${what} (${detail}); the batch will be retried`, {
      cause: err,
    });
  }
  return new WarehouseError(`MySQL failed while ${what} (${detail})`, { cause: err });
}
