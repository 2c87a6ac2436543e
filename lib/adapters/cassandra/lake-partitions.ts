import type cassandra from "cassandra-driver";
import type { TrackingRow } from "../../core/tracking-row.js";
import { TRACKING_TABLE } from "../../schema-names.js";
import type { LakePartitions, PartitionKey } from "../../use-cases/reconcile/reconcile-ports.js";
import type { CassandraClient } from "./connection.js";
import { SELECT_COLUMNS, toTrackingRow } from "./row-mapping.js";
import type { TrackingReader } from "./tracking-reader.js";

const ID_PAGE = 5_000;

/**
 * Whole-partition reads of the lake for the reconciler and replays: every query names the full
 * partition key (bucket, shard), so the cost is that partition's rows, never a table scan. Pages are
 * followed with the driver's paging state (bounded memory, and Amazon Keyspaces' 1 MB pages).
 */
export class CassandraLakePartitions implements LakePartitions {
  private readonly count: string;
  private readonly ids: string;
  private readonly rows: string;

  constructor(
    private readonly client: CassandraClient,
    private readonly reader: TrackingReader,
  ) {
    const t = TRACKING_TABLE;
    this.count = `SELECT COUNT(*) AS n FROM ${t} WHERE bucket = ? AND shard = ?`;
    this.ids = `SELECT create_time FROM ${t} WHERE bucket = ? AND shard = ?`;
    this.rows = `SELECT ${SELECT_COLUMNS} FROM ${t} WHERE bucket = ? AND shard = ?`;
  }

  async countRows(p: PartitionKey): Promise<number> {
    const rs = await this.client.execute(this.count, [new Date(p.bucket), p.shard], { prepare: true });
    const n = rs.first()?.get("n") as cassandra.types.Long | number | undefined;
    return n === undefined ? 0 : Number(n.toString());
  }

  async createTimes(p: PartitionKey): Promise<string[]> {
    const out: string[] = [];
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(this.ids, [new Date(p.bucket), p.shard], {
        prepare: true,
        fetchSize: ID_PAGE,
        pageState,
      });
      for (const row of rs.rows) out.push(String(row.get("create_time")));
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return out;
  }

  rowsByIds(p: PartitionKey, createTimes: readonly string[]): Promise<TrackingRow[]> {
    return this.reader.rowsByIds(p.bucket, p.shard, createTimes);
  }

  async *pages(p: PartitionKey, pageSize: number): AsyncIterable<readonly TrackingRow[]> {
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(this.rows, [new Date(p.bucket), p.shard], {
        prepare: true,
        fetchSize: pageSize,
        pageState,
      });
      if (rs.rows.length > 0) yield rs.rows.map(toTrackingRow);
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }
}
