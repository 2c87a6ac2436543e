import type { Pool, PoolConnection } from "mysql2/promise";
import { isConnectionError, toPipelineError } from "./mysql-errors.js";

/** What the typed errors of a transaction say it was doing (toPipelineError's context). */
export interface TransactionContext {
  /** While getting a connection from the pool. */
  readonly connecting: string;
  /** While running or committing the transaction. */
  readonly running: string;
}

/**
 * Runs `work` in one READ COMMITTED transaction on a connection of `pool` and commits. On failure
 * it rolls back, unless the connection itself broke (the server rolls back by itself then, and the
 * connection is destroyed instead of going back to the pool), and throws the typed pipeline error.
 */
export async function inReadCommittedTransaction<T>(
  pool: Pool,
  context: TransactionContext,
  work: (conn: PoolConnection) => Promise<T>,
): Promise<T> {
  let conn: PoolConnection;
  try {
    conn = await pool.getConnection();
  } catch (err) {
    throw toPipelineError(err, context.connecting);
  }
  let broken = false;
  try {
    await conn.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    await conn.beginTransaction();
    const result = await work(conn);
    await conn.commit();
    return result;
  } catch (err) {
    broken = isConnectionError(err);
    if (!broken) await conn.rollback().catch(() => undefined);
    throw toPipelineError(err, context.running);
  } finally {
    if (broken) conn.destroy();
    else conn.release();
  }
}
