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
    for await (const rows of this.paged(this.ids, p, ID_PAGE)) {
      for (const row of rows) out.push(String(row.get("create_time")));
    }
    return out;
  }

  rowsByIds(p: PartitionKey, createTimes: readonly string[]): Promise<TrackingRow[]> {
    return this.reader.rowsByIds(p.bucket, p.shard, createTimes);
  }

  async *pages(p: PartitionKey, pageSize: number): AsyncIterable<readonly TrackingRow[]> {
    for await (const rows of this.paged(this.rows, p, pageSize)) {
      if (rows.length > 0) yield rows.map(toTrackingRow);
    }
  }

  /** The pages of `query` over partition `p`, `fetchSize` rows each, following the paging state. */
  private async *paged(
    query: string,
    p: PartitionKey,
    fetchSize: number,
  ): AsyncIterable<cassandra.types.Row[]> {
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(query, [new Date(p.bucket), p.shard], {
        prepare: true,
        fetchSize,
        pageState,
      });
      yield rs.rows;
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }
}
