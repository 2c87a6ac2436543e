import type { Pool } from "mysql2/promise";
import { MYSQL_TABLES } from "../../../lib/schema-names.js";

export interface WarehouseTotals {
  /** Every event counted in the fact table (all measures + other tracks). */
  readonly events: number;
  readonly rows: number;
  readonly deadLetters: number;
  readonly lastUpdatedAt: string | null;
}

export interface HourSummary {
  readonly dates: string;
  readonly hours: number;
  readonly rows: number;
  readonly clicks: number;
  readonly spend: string;
  readonly conversion: number;
  readonly qualified: number;
  readonly disqualified: number;
}

/** Read-only queries for status output (run as the read-only reporting account). */
export class WarehouseStatus {
  constructor(private readonly pool: Pool) {}

  async totals(): Promise<WarehouseTotals> {
    const [rows] = await this.pool.query(
      `SELECT COALESCE(SUM(clicks + conversion + qualified_application + disqualified_application + other_tracks), 0) AS events,
              COUNT(*) AS n, MAX(updated_at) AS last_updated
         FROM ${MYSQL_TABLES.events}`,
    );
    const [dl] = await this.pool.query(`SELECT COUNT(*) AS n FROM ${MYSQL_TABLES.deadLetters}`);
    const r = (rows as Array<{ events: string; n: string; last_updated: string | null }>)[0];
    return {
      events: Number(r?.events ?? 0),
      rows: Number(r?.n ?? 0),
      deadLetters: Number((dl as Array<{ n: string }>)[0]?.n ?? 0),
      lastUpdatedAt: r?.last_updated ?? null,
    };
  }

  async latestHours(limit: number): Promise<HourSummary[]> {
    const [rows] = await this.pool.query(
      `SELECT dates, hours, COUNT(*) AS n, SUM(clicks) AS clicks, SUM(spend_hour) AS spend, SUM(conversion) AS conversion,
              SUM(qualified_application) AS qualified, SUM(disqualified_application) AS disqualified
         FROM ${MYSQL_TABLES.events}
        GROUP BY dates, hours ORDER BY dates DESC, hours DESC LIMIT ?`,
      [limit],
    );
    return (rows as Array<Record<string, string>>).map((r) => ({
      dates: String(r.dates),
      hours: Number(r.hours),
      rows: Number(r.n),
      clicks: Number(r.clicks),
      spend: String(r.spend),
      conversion: Number(r.conversion),
      qualified: Number(r.qualified),
      disqualified: Number(r.disqualified),
    }));
  }

  async ledger(topic: string): Promise<Map<number, number>> {
    const [rows] = await this.pool.query(
      `SELECT partition_id, last_offset FROM ${MYSQL_TABLES.offsetLedger} WHERE topic = ?`,
      [topic],
    );
    return new Map(
      (rows as Array<{ partition_id: number; last_offset: string }>).map((r) => [
        Number(r.partition_id),
        Number(r.last_offset),
      ]),
    );
  }
}
