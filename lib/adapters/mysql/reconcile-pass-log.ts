import type { Pool, ResultSetHeader } from "mysql2/promise";
import { WarehouseError } from "../../errors.js";
import { MYSQL_TABLES } from "../../schema-names.js";
import type {
  ReconcileMode,
  ReconcilePassCounts,
  ReconcilePassEnd,
  ReconcilePassLog,
  ReconcilePassStart,
} from "../../use-cases/reconcile/reconcile-ports.js";
import { toPipelineError } from "./mysql-errors.js";

/** Table of V006__reconcile_passes.sql. */
export const RECONCILE_PASSES_TABLE = MYSQL_TABLES.reconcilePasses;
const T = RECONCILE_PASSES_TABLE;

const ERROR_MAX = 2_048;
/** TIMESTAMP range (1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC). */
const TIMESTAMP_MIN_MS = 1_000;
const TIMESTAMP_MAX_MS = 2_147_483_647_000;

/**
 * Each reconcile pass as one row of reconcile_passes (writer account: INSERT, UPDATE, SELECT).
 * `start` inserts it as 'running', `finish` sets its outcome once. started_at / finished_at are
 * written with FROM_UNIXTIME (exact when the server's session time zone has no DST, e.g. UTC, the
 * RDS default; read back with UNIX_TIMESTAMP, which is exact whatever the zone).
 */
/**
 * A pass still `running` this long after it started was abandoned (its process was killed): the
 * next pass of the same mode marks it `failed`. A scheduled pass lives at most one function timeout.
 */
const ABANDONED_AFTER_S: Readonly<Record<ReconcileMode, number>> = {
  scheduled: 15 * 60,
  cli: 6 * 3600,
  replay: 6 * 3600,
  rebuild: 6 * 3600,
};

export class MysqlReconcilePassLog implements ReconcilePassLog {
  constructor(private readonly pool: Pool) {}

  async start(pass: ReconcilePassStart): Promise<number> {
    try {
      await this.pool.query(
        `UPDATE ${T} SET status = 'failed', error = 'abandoned: the process ended without finishing the pass'
          WHERE mode = ? AND status = 'running' AND started_at < FROM_UNIXTIME(?)`,
        [pass.mode, timestampSeconds(pass.startedAtMs - ABANDONED_AFTER_S[pass.mode] * 1000)],
      );
      const [res] = await this.pool.query<ResultSetHeader>(
        `INSERT INTO ${T} (mode, dry_run, from_ms, to_ms, started_at, status) VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), 'running')`,
        [pass.mode, pass.dryRun ? 1 : 0, pass.fromMs, pass.toMs, timestampSeconds(pass.startedAtMs)],
      );
      return res.insertId;
    } catch (err) {
      throw toPipelineError(err, "recording the start of a reconcile pass");
    }
  }

  async finish(passId: number, end: ReconcilePassEnd): Promise<void> {
    let matched: number;
    try {
      const [res] = await this.pool.query<ResultSetHeader>(
        `UPDATE ${T} SET status = ?, finished_at = FROM_UNIXTIME(?), partitions_checked = ?, rows_compared = ?,
                missing_found = ?, republished = ?, dead_lettered = ?, drift_left = ?, covered_until_ms = ?, error = ?
          WHERE id = ?`,
        [
          end.status,
          timestampSeconds(end.finishedAtMs),
          end.partitionsChecked,
          end.rowsCompared,
          end.missingFound,
          end.republished,
          end.deadLettered,
          end.driftLeft,
          end.coveredUntilMs,
          end.error === undefined
            ? null
            : end.error.length > ERROR_MAX
              ? `${end.error.slice(0, ERROR_MAX - 1)}…`
              : end.error,
          passId,
        ],
      );
      matched = res.affectedRows;
    } catch (err) {
      throw toPipelineError(err, `recording the end of reconcile pass ${passId}`);
    }
    if (matched === 0) throw new WarehouseError(`reconcile pass ${passId} is not in ${T}`);
  }

  /** Newest scheduled, non-dry-run pass that recorded covered_until_ms (by id: passes start in order). */
  async lastCoveredUntil(): Promise<number | undefined> {
    try {
      const [rows] = await this.pool.query(
        `SELECT covered_until_ms FROM ${T}
          WHERE mode = 'scheduled' AND dry_run = 0 AND covered_until_ms IS NOT NULL
          ORDER BY id DESC LIMIT 1`,
      );
      const v = (rows as Array<{ covered_until_ms: string | number }>)[0]?.covered_until_ms;
      return v === undefined ? undefined : Number(v);
    } catch (err) {
      throw toPipelineError(err, "reading the last covered time of the scheduled reconciler");
    }
  }
}

/** One row of reconcile_passes, for `jtp status`. */
export interface ReconcilePassRecord extends ReconcilePassCounts {
  readonly id: number;
  readonly mode: ReconcileMode;
  readonly dryRun: boolean;
  readonly fromMs: number;
  readonly toMs: number;
  readonly startedAtMs: number;
  /** null while running (or when the pass died without finishing). */
  readonly finishedAtMs: number | null;
  readonly status: "running" | "done" | "partial" | "failed";
  readonly coveredUntilMs: number | null;
  readonly error: string | null;
}

interface PassRow {
  id: string | number;
  mode: ReconcileMode;
  dry_run: number;
  from_ms: string | number;
  to_ms: string | number;
  started_ms: string | number;
  finished_ms: string | number | null;
  status: ReconcilePassRecord["status"];
  partitions_checked: string | number;
  rows_compared: string | number;
  missing_found: string | number;
  republished: string | number;
  dead_lettered: string | number;
  drift_left: string | number;
  covered_until_ms: string | number | null;
  error: string | null;
}

/**
 * The newest reconcile pass (of `mode`, or of any mode), or undefined when there is none. Any
 * account that can SELECT reconcile_passes (writer, Grafana reader, admin).
 */
export async function readLastReconcilePass(
  pool: Pool,
  mode?: ReconcileMode,
): Promise<ReconcilePassRecord | undefined> {
  let rows: unknown;
  try {
    [rows] = await pool.query(
      `SELECT id, mode, dry_run, from_ms, to_ms,
              ROUND(UNIX_TIMESTAMP(started_at) * 1000) AS started_ms,
              ROUND(UNIX_TIMESTAMP(finished_at) * 1000) AS finished_ms,
              status, partitions_checked, rows_compared, missing_found, republished, dead_lettered,
              drift_left, covered_until_ms, error
         FROM ${T}
        ${mode === undefined ? "" : "WHERE mode = ?"}
        ORDER BY id DESC LIMIT 1`,
      mode === undefined ? [] : [mode],
    );
  } catch (err) {
    throw toPipelineError(err, "reading the last reconcile pass");
  }
  const r = (rows as PassRow[])[0];
  if (r === undefined) return undefined;
  return {
    id: Number(r.id),
    mode: r.mode,
    dryRun: Number(r.dry_run) === 1,
    fromMs: Number(r.from_ms),
    toMs: Number(r.to_ms),
    startedAtMs: Number(r.started_ms),
    finishedAtMs: r.finished_ms === null ? null : Number(r.finished_ms),
    status: r.status,
    partitionsChecked: Number(r.partitions_checked),
    rowsCompared: Number(r.rows_compared),
    missingFound: Number(r.missing_found),
    republished: Number(r.republished),
    deadLettered: Number(r.dead_lettered),
    driftLeft: Number(r.drift_left),
    coveredUntilMs: r.covered_until_ms === null ? null : Number(r.covered_until_ms),
    error: r.error,
  };
}

/** Epoch ms → seconds with 3 decimals for FROM_UNIXTIME (RangeError outside TIMESTAMP's range). */
function timestampSeconds(ms: number): string {
  if (!Number.isFinite(ms) || ms < TIMESTAMP_MIN_MS || ms > TIMESTAMP_MAX_MS) {
    throw new RangeError(`a reconcile pass time must be within TIMESTAMP's range (1970 … 2038), got ${ms}`);
  }
  return (Math.round(ms) / 1000).toFixed(3);
}
