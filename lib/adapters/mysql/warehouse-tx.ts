import type { PoolConnection, ResultSetHeader } from "mysql2/promise";
import { microsToDecimal } from "../../core/aggregation.js";
import { type TopicPartition, topicPartitionKey } from "../../core/kafka-record.js";
import { TransactionConflictError } from "../../errors.js";
import { MYSQL_TABLES } from "../../schema-names.js";
import type {
  DeadLetter,
  LedgerPosition,
  WarehouseRow,
  WarehouseTx,
} from "../../use-cases/apply-batch-ports.js";
import { asBuffer, chunked, rowPlaceholders } from "./chunks.js";
import { isDuplicateKey } from "./mysql-errors.js";

const { events, offsetLedger, deadLetters, processedEvents } = MYSQL_TABLES;

/** IN-list and multi-row sizes for event ids (short strings). */
const ID_CHUNK = 1_000;
/** Dead letters: at most this many rows, or this many payload bytes, per statement. */
const DEAD_LETTER_CHUNK_ROWS = 100;
const DEAD_LETTER_CHUNK_BYTES = 4 * 1024 * 1024;
const REASON_MAX = 2_048;
/** TIMESTAMP range (1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC). */
const TIMESTAMP_MAX_MS = 2_147_483_647_000;

const UPSERT_COLUMNS = [
  "job_id",
  "dates",
  "hours",
  "publisher_id",
  "campaign_id",
  "group_id",
  "company_id",
  "clicks",
  "spend_hour",
  "bid_count",
  "conversion",
  "qualified_application",
  "disqualified_application",
  "other_tracks",
] as const;

const ADDITIVE = [
  "clicks",
  "spend_hour",
  "bid_count",
  "conversion",
  "qualified_application",
  "disqualified_application",
  "other_tracks",
] as const;

// VALUES(col) rather than the MySQL 8.0.19+ row alias: MariaDB only knows VALUES().
const UPSERT_SQL = `INSERT INTO ${events} (${UPSERT_COLUMNS.join(", ")}) VALUES ? ON DUPLICATE KEY UPDATE ${[
  ...ADDITIVE.map((c) => `${c} = ${c} + VALUES(${c})`),
  "company_id = COALESCE(VALUES(company_id), company_id)",
].join(", ")}`;

const DEAD_LETTER_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?))";
const DEAD_LETTER_SQL = `INSERT IGNORE INTO ${deadLetters} (topic, partition_id, record_offset, event_id, record_key, payload, reason_code, reason, record_timestamp) VALUES `;

/** The statements of one batch transaction, on one connection inside BEGIN … COMMIT. */
export class MysqlWarehouseTx implements WarehouseTx {
  constructor(
    private readonly conn: PoolConnection,
    private readonly upsertChunkRows: number,
  ) {}

  async lockLedger(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, number>> {
    const out = new Map<string, number>();
    const missing: TopicPartition[] = [];
    for (const [topic, ids] of byTopic(partitions)) {
      const [rows] = await this.conn.query(
        `SELECT partition_id, last_offset FROM ${offsetLedger} WHERE topic = ? AND partition_id IN (?) ORDER BY partition_id FOR UPDATE`,
        [topic, ids],
      );
      const found = new Map(
        (rows as Array<{ partition_id: number; last_offset: string | number }>).map((r) => [
          Number(r.partition_id),
          Number(r.last_offset),
        ]),
      );
      for (const partition of ids) {
        const last = found.get(partition);
        if (last === undefined) missing.push({ topic, partition });
        else out.set(topicPartitionKey({ topic, partition }), last);
      }
    }
    if (missing.length > 0) {
      // Normally created beforehand (ensureLedger); create and lock here if it is not there.
      await this.conn.query(
        `INSERT IGNORE INTO ${offsetLedger} (topic, partition_id, last_offset) VALUES ?`,
        [missing.map((m) => [m.topic, m.partition, -1])],
      );
      const again = await this.lockLedger(missing);
      for (const [k, v] of again) out.set(k, v);
    }
    return out;
  }

  async claimEventIds(eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    const already = new Set<string>();
    for (const chunk of chunked(eventIds, ID_CHUNK)) {
      // Common case, one statement: none of the ids is known, all are inserted.
      await this.conn.query("SAVEPOINT claim_event_ids");
      const [res] = await this.conn.query<ResultSetHeader>(
        `INSERT IGNORE INTO ${processedEvents} (event_id) VALUES ?`,
        [chunk.map((id) => [id])],
      );
      if (res.affectedRows === chunk.length) continue;
      // Some were applied before: undo this chunk, find which, insert only the others.
      await this.conn.query("ROLLBACK TO SAVEPOINT claim_event_ids");
      const [rows] = await this.conn.query(`SELECT event_id FROM ${processedEvents} WHERE event_id IN (?)`, [
        chunk,
      ]);
      const known = new Set((rows as Array<{ event_id: string }>).map((r) => r.event_id));
      for (const id of known) already.add(id);
      const fresh = chunk.filter((id) => !known.has(id));
      if (fresh.length === 0) continue;
      try {
        await this.conn.query(`INSERT INTO ${processedEvents} (event_id) VALUES ?`, [
          fresh.map((id) => [id]),
        ]);
      } catch (err) {
        // Another transaction applied one of these ids after we looked: start over, it will be seen.
        if (isDuplicateKey(err)) {
          throw new TransactionConflictError("event id applied concurrently by another batch", {
            cause: err,
            sqlErrno: 1062,
          });
        }
        throw err;
      }
    }
    return already;
  }

  async upsertAggregates(rows: readonly WarehouseRow[]): Promise<void> {
    for (const chunk of chunked(rows, this.upsertChunkRows)) {
      const values = chunk.map((r) => [
        r.jobId,
        r.dates,
        r.hours,
        r.publisherId,
        r.campaignId,
        r.groupId,
        r.companyId,
        r.clicks,
        microsToDecimal(r.spendMicros),
        r.bidCount,
        r.conversion,
        r.qualified,
        r.disqualified,
        r.otherTracks,
      ]);
      await this.conn.query(UPSERT_SQL, [values]);
    }
  }

  async insertDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    let batch: unknown[][] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.conn.query(DEAD_LETTER_SQL + rowPlaceholders(DEAD_LETTER_ROW, batch.length), batch.flat());
      batch = [];
      bytes = 0;
    };
    for (const d of letters) {
      const size = (d.payload?.byteLength ?? 0) + (d.key?.byteLength ?? 0);
      if (
        batch.length > 0 &&
        (batch.length >= DEAD_LETTER_CHUNK_ROWS || bytes + size > DEAD_LETTER_CHUNK_BYTES)
      ) {
        await flush();
      }
      const ts = d.recordTimestampMs;
      batch.push([
        d.topic,
        d.partition,
        d.offset,
        d.eventId,
        asBuffer(d.key),
        asBuffer(d.payload),
        d.reasonCode.slice(0, 64),
        d.reason.length > REASON_MAX ? `${d.reason.slice(0, REASON_MAX - 1)}…` : d.reason,
        ts !== null && ts >= 1_000 && ts <= TIMESTAMP_MAX_MS ? (ts / 1000).toFixed(3) : null,
      ]);
      bytes += size;
    }
    await flush();
  }

  async advanceLedger(positions: readonly LedgerPosition[]): Promise<void> {
    for (const p of positions) {
      await this.conn.query(
        `UPDATE ${offsetLedger} SET last_offset = GREATEST(last_offset, ?) WHERE topic = ? AND partition_id = ?`,
        [p.offset, p.topic, p.partition],
      );
    }
  }
}

/** Partitions grouped by topic, topics and partitions ascending (one lock order for everyone). */
function byTopic(partitions: readonly TopicPartition[]): Array<[string, number[]]> {
  const m = new Map<string, number[]>();
  for (const p of partitions) {
    const list = m.get(p.topic);
    if (list === undefined) m.set(p.topic, [p.partition]);
    else if (!list.includes(p.partition)) list.push(p.partition);
  }
  return [...m.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([t, ids]) => [t, ids.sort((x, y) => x - y)]);
}
