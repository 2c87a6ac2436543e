import type { Pool, ResultSetHeader } from "mysql2/promise";
import { compareGrain } from "../../core/aggregation.js";
import { MYSQL_TABLES } from "../../schema-names.js";
import type { WarehouseRow } from "../../use-cases/apply-batch-ports.js";
import type { WarehouseHour, WarehouseRebuild } from "../../use-cases/reconcile/reconcile-ports.js";
import { chunked } from "./chunks.js";
import { inReadCommittedTransaction } from "./read-committed-transaction.js";
import { MysqlWarehouseTx } from "./warehouse-tx.js";

const { events, processedEvents } = MYSQL_TABLES;

export interface MysqlWarehouseRebuildOptions {
  /** Rows per multi-row upsert statement (as the aggregator: AGG_UPSERT_CHUNK_ROWS). */
  readonly upsertChunkRows: number;
  /** Event ids per INSERT IGNORE statement (default 5,000). */
  readonly idChunk?: number;
}

/**
 * Replaces warehouse hours with aggregates recomputed from the lake (`jtp replay --rebuild`), on
 * an account that may DELETE from `events` (the admin account of the operator's CLI: the Lambdas'
 * writer account may not). One transaction, READ COMMITTED (as the aggregator), in this order:
 *   1. INSERT IGNORE the event ids into processed_events (sorted). This takes the ids' locks first,
 *      in the order the aggregator takes them (claims, then upserts): an aggregator batch applying
 *      one of these events right now either commits before (its contribution is then deleted in 2
 *      and counted again in 3) or waits and then finds the id applied and skips it.
 *   2. DELETE the fact rows of each hour (sorted), which locks them;
 *   3. upsert the new rows (sorted by grain) with the aggregator's own statement
 *      (MysqlWarehouseTx.upsertAggregates: same column mapping, multi-row, additive on conflict, so a
 *      row an aggregator batch inserted for an event that is not in `eventIds` after step 2 keeps
 *      that event's measures and gets the lake's added to them).
 * A lock conflict rolls everything back and throws TransactionConflictError (retry the whole call).
 */
export class MysqlWarehouseRebuild implements WarehouseRebuild {
  constructor(
    private readonly pool: Pool,
    private readonly options: MysqlWarehouseRebuildOptions,
  ) {}

  async replaceHours(
    hours: readonly WarehouseHour[],
    rows: readonly WarehouseRow[],
    eventIds: readonly string[],
  ): Promise<{ deletedRows: number; insertedRows: number }> {
    const sortedHours = distinctHours(hours);
    const wanted = new Set(sortedHours.map(hourKey));
    const stray = rows.find((r) => !wanted.has(hourKey(r)));
    if (stray !== undefined) {
      throw new RangeError(
        `a rebuilt row of ${stray.dates} hour ${stray.hours} is not in the hours being replaced`,
      );
    }
    const sortedRows = [...rows].sort(compareGrain);
    const sortedIds = isSortedAndDistinct(eventIds) ? eventIds : [...new Set(eventIds)].sort();

    return inReadCommittedTransaction(
      this.pool,
      { connecting: "connecting to rebuild warehouse hours", running: "rebuilding warehouse hours" },
      async (conn) => {
        for (const chunk of chunked(sortedIds, this.options.idChunk ?? 5_000)) {
          await conn.query(`INSERT IGNORE INTO ${processedEvents} (event_id) VALUES ?`, [
            chunk.map((id) => [id]),
          ]);
        }
        let deletedRows = 0;
        for (const h of sortedHours) {
          const [res] = await conn.query<ResultSetHeader>(
            `DELETE FROM ${events} WHERE dates = ? AND hours = ?`,
            [h.dates, h.hours],
          );
          deletedRows += res.affectedRows;
        }
        if (sortedRows.length > 0) {
          await new MysqlWarehouseTx(conn, this.options.upsertChunkRows).upsertAggregates(sortedRows);
        }
        return { deletedRows, insertedRows: sortedRows.length };
      },
    );
  }
}

function hourKey(h: WarehouseHour): string {
  return `${h.dates} ${h.hours}`;
}

/** Distinct hours in (dates, hours) order: one lock order for every rebuild. */
function distinctHours(hours: readonly WarehouseHour[]): WarehouseHour[] {
  const byKey = new Map<string, WarehouseHour>();
  for (const h of hours) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(h.dates) || !Number.isInteger(h.hours) || h.hours < 0 || h.hours > 23) {
      throw new RangeError(`not a warehouse hour: ${h.dates} hour ${h.hours}`);
    }
    byKey.set(hourKey(h), { dates: h.dates, hours: h.hours });
  }
  return [...byKey.values()].sort((a, b) =>
    a.dates < b.dates ? -1 : a.dates > b.dates ? 1 : a.hours - b.hours,
  );
}

/** Strictly ascending (as rebuildHours passes them): no copy needed for 1,000,000 ids. */
function isSortedAndDistinct(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if ((ids[i - 1] as string) >= (ids[i] as string)) return false;
  return true;
}
