import cassandra from "cassandra-driver";
import type { TrackingRow } from "../../core/tracking-row.js";
import { TRACKING_TABLE } from "../../schema-names.js";
import type { CassandraClient } from "./connection.js";
import { SELECT_COLUMNS, toTrackingRow } from "./row-mapping.js";

export interface RowRef {
  readonly createTime: string;
  readonly createTimeMs: number;
}

/**
 * Range reads on one lake partition (bucket, shard), clustering key create_time ascending.
 * Never scans: every query names the full partition key and a create_time range.
 */
export class TrackingReader {
  private readonly afterCursor: string;
  private readonly afterTime: string;
  private readonly idsInRange: string;
  private readonly byIds: string;

  constructor(private readonly client: CassandraClient) {
    const t = TRACKING_TABLE;
    this.afterCursor = `SELECT ${SELECT_COLUMNS} FROM ${t} WHERE bucket = ? AND shard = ? AND create_time > ? AND create_time <= maxTimeuuid(?) LIMIT ?`;
    this.afterTime = `SELECT ${SELECT_COLUMNS} FROM ${t} WHERE bucket = ? AND shard = ? AND create_time > maxTimeuuid(?) AND create_time <= maxTimeuuid(?) LIMIT ?`;
    this.idsInRange = `SELECT create_time FROM ${t} WHERE bucket = ? AND shard = ? AND create_time > maxTimeuuid(?) AND create_time <= maxTimeuuid(?)`;
    this.byIds = `SELECT ${SELECT_COLUMNS} FROM ${t} WHERE bucket = ? AND shard = ? AND create_time IN ?`;
  }

  /** Rows of (bucket, shard) after `cursor` (a timeuuid) or after time `afterMs`, up to time `untilMs`, at most `limit`. */
  async readAfter(
    bucket: number,
    shard: number,
    after: { cursor: string } | { afterMs: number },
    untilMs: number,
    limit: number,
  ): Promise<TrackingRow[]> {
    const [query, params] =
      "cursor" in after
        ? [
            this.afterCursor,
            [
              new Date(bucket),
              shard,
              cassandra.types.TimeUuid.fromString(after.cursor),
              new Date(untilMs),
              limit,
            ],
          ]
        : [this.afterTime, [new Date(bucket), shard, new Date(after.afterMs), new Date(untilMs), limit]];
    // Follow the pages: a server may end a page before fetchSize rows (Amazon Keyspaces does at 1 MB
    // of data read), and a short first page must not be taken for "no more rows in this bucket".
    const out: TrackingRow[] = [];
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(query, params, {
        prepare: true,
        fetchSize: limit - out.length,
        pageState,
      });
      for (const row of rs.rows) out.push(toTrackingRow(row));
      pageState = rs.pageState ?? undefined;
    } while (pageState && out.length < limit);
    return out;
  }

  /** Ids (create_time) of (bucket, shard) with time in (afterMs, untilMs]: the cheap half of a look-back sweep. */
  async idsBetween(bucket: number, shard: number, afterMs: number, untilMs: number): Promise<RowRef[]> {
    const out: RowRef[] = [];
    const params = [new Date(bucket), shard, new Date(afterMs), new Date(untilMs)];
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(this.idsInRange, params, {
        prepare: true,
        fetchSize: 5_000,
        pageState,
      });
      for (const row of rs.rows) {
        const id = row.get("create_time") as cassandra.types.TimeUuid;
        out.push({ createTime: id.toString(), createTimeMs: id.getDate().getTime() });
      }
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return out;
  }

  /** Full rows for the given ids of one partition (used for the few late rows a sweep finds). */
  async rowsByIds(bucket: number, shard: number, createTimes: readonly string[]): Promise<TrackingRow[]> {
    const out: TrackingRow[] = [];
    for (let i = 0; i < createTimes.length; i += 100) {
      const ids = createTimes.slice(i, i + 100).map((s) => cassandra.types.TimeUuid.fromString(s));
      let pageState: string | undefined;
      do {
        const rs = await this.client.execute(this.byIds, [new Date(bucket), shard, ids], {
          prepare: true,
          pageState,
        });
        out.push(...rs.rows.map(toTrackingRow));
        pageState = rs.pageState ?? undefined;
      } while (pageState);
    }
    return out;
  }
}
