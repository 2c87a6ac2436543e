import type { Pool, ResultSetHeader } from "mysql2/promise";
import { type TopicPartition, topicPartitionKey } from "../../core/kafka-record.js";
import { MYSQL_TABLES } from "../../schema-names.js";
import type { Warehouse, WarehouseTx } from "../../use-cases/apply-batch-ports.js";
import { toPipelineError } from "./mysql-errors.js";
import { inReadCommittedTransaction } from "./read-committed-transaction.js";
import { MysqlWarehouseTx } from "./warehouse-tx.js";

export interface MysqlWarehouseOptions {
  /** Rows per multi-row upsert statement. */
  readonly upsertChunkRows: number;
  /** Old event ids deleted per DELETE statement, and statements per pruning call. */
  readonly pruneChunkRows?: number;
  readonly pruneMaxStatements?: number;
}

/**
 * The warehouse on MySQL/MariaDB (writer account). Transactions run at READ COMMITTED: locking
 * reads and upserts need no gap locks there (fewer deadlocks between concurrent batches), and
 * MariaDB's snapshot-isolation checks (error 1020 at REPEATABLE READ) cannot fire.
 */
export class MysqlWarehouse implements Warehouse {
  private readonly knownLedgerRows = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly options: MysqlWarehouseOptions,
  ) {}

  async ensureLedger(partitions: readonly TopicPartition[]): Promise<void> {
    const missing = partitions.filter((p) => !this.knownLedgerRows.has(topicPartitionKey(p)));
    if (missing.length === 0) return;
    try {
      // Autocommit, outside the batch transaction: creating the row never conflicts with a batch
      // holding the lock of an existing one, and -1 means "nothing applied yet".
      await this.pool.query(
        `INSERT IGNORE INTO ${MYSQL_TABLES.offsetLedger} (topic, partition_id, last_offset) VALUES ?`,
        [missing.map((p) => [p.topic, p.partition, -1])],
      );
    } catch (err) {
      throw toPipelineError(err, "creating offset ledger rows");
    }
    for (const p of missing) this.knownLedgerRows.add(topicPartitionKey(p));
  }

  async transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T> {
    return inReadCommittedTransaction(
      this.pool,
      { connecting: "connecting", running: "applying a batch" },
      (conn) => work(new MysqlWarehouseTx(conn, this.options.upsertChunkRows)),
    );
  }

  async pruneProcessedEvents(olderThanHours: number): Promise<number> {
    const limit = this.options.pruneChunkRows ?? 10_000;
    const maxStatements = this.options.pruneMaxStatements ?? 20;
    let total = 0;
    try {
      for (let i = 0; i < maxStatements; i++) {
        const [res] = await this.pool.query<ResultSetHeader>(
          `DELETE FROM ${MYSQL_TABLES.processedEvents} WHERE processed_at < NOW(3) - INTERVAL ? HOUR LIMIT ?`,
          [olderThanHours, limit],
        );
        total += res.affectedRows;
        if (res.affectedRows < limit) break;
      }
    } catch (err) {
      throw toPipelineError(err, "pruning old event ids");
    }
    return total;
  }
}
