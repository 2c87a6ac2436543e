import type { Pool } from "mysql2/promise";
import { MYSQL_TABLES } from "../../schema-names.js";
import { toPipelineError } from "./mysql-errors.js";

/** The offset ledger of one topic: the last offset the aggregator applied per partition. */
export async function appliedOffsets(pool: Pool, topic: string): Promise<Map<number, number>> {
  try {
    const [rows] = await pool.query(
      `SELECT partition_id, last_offset FROM ${MYSQL_TABLES.offsetLedger} WHERE topic = ?`,
      [topic],
    );
    return new Map(
      (rows as Array<{ partition_id: number; last_offset: string | number }>).map((r) => [
        Number(r.partition_id),
        Number(r.last_offset),
      ]),
    );
  } catch (err) {
    throw toPipelineError(err, `reading the offset ledger of ${topic}`);
  }
}
