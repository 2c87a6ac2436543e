import type { Pool } from "mysql2/promise";
import { MYSQL_TABLES } from "../../../lib/schema-names.js";
import type { AppliedEvent } from "../metrics/applied-freshness.js";

export interface AppliedEventsPage {
  readonly events: AppliedEvent[];
  /** The warehouse's clock when it answered, epoch ms. */
  readonly nowMs: number;
  /** True when the page was cut at `limit` rows (more were applied in the range). */
  readonly truncated: boolean;
}

/**
 * Reads which events the aggregator applied and when, from `processed_events` (the event-id
 * de-duplication table the aggregator writes in the batch transaction, AGG_DEDUP_BY_EVENT_ID).
 * Times are converted to epoch ms in SQL, so the session time zone does not matter.
 */
export class AppliedEvents {
  constructor(private readonly pool: Pool) {}

  /** When one event was applied (epoch ms), or undefined if it was not (yet). */
  async appliedAt(eventId: string): Promise<number | undefined> {
    const [rows] = await this.pool.query(
      `SELECT ROUND(UNIX_TIMESTAMP(processed_at) * 1000) AS at_ms FROM ${MYSQL_TABLES.processedEvents} WHERE event_id = ?`,
      [eventId],
    );
    const at = (rows as Array<{ at_ms: string | number }>)[0]?.at_ms;
    return at === undefined ? undefined : Number(at);
  }

  /** Events applied at or after `fromMs` (epoch ms), oldest first, at most `limit`. */
  async since(fromMs: number, limit = 50_000): Promise<AppliedEventsPage> {
    const [rows] = await this.pool.query(
      `SELECT event_id, ROUND(UNIX_TIMESTAMP(processed_at) * 1000) AS at_ms
         FROM ${MYSQL_TABLES.processedEvents}
        WHERE processed_at >= FROM_UNIXTIME(?)
        ORDER BY processed_at
        LIMIT ?`,
      [Math.max(0, fromMs) / 1000, limit],
    );
    const [clock] = await this.pool.query("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS now_ms");
    const list = rows as Array<{ event_id: string; at_ms: string | number }>;
    return {
      events: list.map((r) => ({ eventId: r.event_id, appliedAtMs: Number(r.at_ms) })),
      nowMs: Number((clock as Array<{ now_ms: string | number }>)[0]?.now_ms ?? Date.now()),
      truncated: list.length >= limit,
    };
  }
}
