import type { MSKRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { trackAt } from "../../infra/tooling/generator/tracking-event-factory.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import {
  debeziumRecord,
  mskEvent,
  mskRecord,
  recordsOf,
  referenceTotals,
  trackingRow,
} from "../support/aggregator-fixtures.js";
import { aggregatorHandler, factTotals, jobBlock, writerPoolForFile } from "./support/aggregator-helpers.js";
import { testConfig, uniqueName } from "./support/config.js";

/**
 * Debezium's Cassandra connector as a drop-in source (docs/change-events.md): its change events
 * (cell-struct columns, with and without the JSON converter's schema) and our envelope, mixed in
 * the same batches with the same rows carried by both, are applied exactly once against MariaDB.
 */
const config = testConfig();
const pool = writerPoolForFile(config, 4);

function rowsFor(n: number, base: number, startMs: number): TrackingRow[] {
  return Array.from({ length: n }, (_, i) =>
    trackingRow({
      job_id: base + (i % 40),
      custom_track: i % 101 === 0 ? "impression" : trackAt(i),
      bid: i % 13 === 0 ? null : Math.fround(0.05 + (i % 50) / 10),
      publisher_id: 1 + (i % 3),
      campaign_id: i % 11 === 0 ? null : 1 + (i % 2),
      group_id: 1 + (i % 4),
      ts: startMs + ((i * 7_919) % (5 * 3_600_000)),
    }),
  );
}

interface LetterRow {
  record_offset: string;
  partition_id: number;
  event_id: string | null;
  reason_code: string;
}

async function deadLetters(topic: string): Promise<LetterRow[]> {
  const [rows] = await pool.query(
    `SELECT partition_id, record_offset, event_id, reason_code FROM ${MYSQL_TABLES.deadLetters} WHERE topic = ? ORDER BY partition_id, record_offset`,
    [topic],
  );
  return rows as LetterRow[];
}

describe("aggregator: Debezium Cassandra connector events and our envelope, mixed", () => {
  it("a batch mixing both shapes, with rows carried by both, is applied exactly once; updates and deletes are dead-lettered with their event id", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_debezium");
    const rows = rowsFor(3_000, base, Date.UTC(2025, 6, 1, 8));
    const handler = aggregatorHandler(config, pool);

    // batch 1, all three shapes: the poller's envelopes of rows 0..1999 (partition 0), Debezium
    // without schema (op "i", as the connector's code emits) for rows 1000..2999 (partition 1), and
    // with the schema wrapper (op "c", as the documentation's example) for rows 2500..2999
    // (partition 2): 1,500 rows carried twice, across the shapes.
    const ours = recordsOf(topic, 0, 0, rows.slice(0, 2_000));
    const debezium = rows
      .slice(1_000)
      .map((row, i) => debeziumRecord({ topic, partition: 1, offset: i, row }));
    const debeziumWithSchema = rows
      .slice(2_500)
      .map((row, i) => debeziumRecord({ topic, partition: 2, offset: i, row, withSchema: true, op: "c" }));
    const batch1 = mskEvent([...ours, ...debezium, ...debeziumWithSchema]);
    const first = await handler(batch1);
    expect(first).toMatchObject({
      recordsIn: 4_500,
      applied: 3_000,
      skippedDuplicates: 1_500,
      deadLettered: 0,
    });

    // batch 2: the poller re-publishes rows 2000..2999 that Debezium already applied (a switch back
    // from one source to the other counts them once), with an update, a delete and a range
    // tombstone from Debezium, an update in our envelope, and an implausible event time.
    const updated = rows[5] as TrackingRow;
    const deleted = rows[2_100] as TrackingRow;
    const late = trackingRow({ job_id: base, ts: Date.UTC(2100, 0, 1) });
    const ourUpdate = JSON.parse(
      Buffer.from(recordsOf(topic, 0, 0, [rows[7] as TrackingRow])[0]?.value ?? "", "base64").toString(),
    ) as { payload: Record<string, unknown> };
    ourUpdate.payload.op = "u";
    const poison: MSKRecord[] = [
      debeziumRecord({ topic, partition: 3, offset: 0, row: updated, op: "u" }),
      debeziumRecord({ topic, partition: 3, offset: 1, row: deleted, op: "d" }),
      debeziumRecord({ topic, partition: 3, offset: 2, row: deleted, op: "r" }),
      mskRecord({ topic, partition: 3, offset: 3, value: JSON.stringify(ourUpdate) }),
      debeziumRecord({ topic, partition: 3, offset: 4, row: late, withSchema: true }),
    ];
    const batch2 = mskEvent([...recordsOf(topic, 0, 2_000, rows.slice(2_000)), ...poison]);
    const second = await handler(batch2);
    expect(second).toMatchObject({
      applied: 0,
      skippedDuplicates: 1_000,
      deadLettered: 5,
      implausible: 1,
      deadLetteredByReason: { unsupported_op: 4, implausible_event_time: 1 },
    });

    // every event once: the warehouse equals the reference computed from the raw rows
    expect(await factTotals(pool, base)).toEqual(referenceTotals(rows));
    expect(await deadLetters(topic)).toEqual(
      [
        [0, updated, "unsupported_op"],
        [1, deleted, "unsupported_op"],
        [2, deleted, "unsupported_op"],
        [3, rows[7], "unsupported_op"],
        [4, late, "implausible_event_time"],
      ].map(([offset, row, code]) => ({
        partition_id: 3,
        record_offset: String(offset),
        event_id: eventId(row as TrackingRow),
        reason_code: code,
      })),
    );

    // redelivery of both batches (the event source mapping retrying): nothing changes
    expect(await handler(batch1)).toMatchObject({ applied: 0, skippedReplays: 4_500 });
    expect(await handler(batch2)).toMatchObject({ applied: 0, deadLettered: 0, skippedReplays: 1_005 });
    expect(await factTotals(pool, base)).toEqual(referenceTotals(rows));
    expect((await deadLetters(topic)).length).toBe(5);
  });

  it("the event ids Debezium's rows claim are the poller's: applied ids are the lake rows' primary keys", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_debezium_ids");
    const rows = rowsFor(50, base, Date.UTC(2025, 6, 2, 8));
    await aggregatorHandler(
      config,
      pool,
    )(
      mskEvent(
        rows.map((row, i) =>
          debeziumRecord({ topic, partition: 0, offset: i, row, withSchema: i % 2 === 0 }),
        ),
      ),
    );
    const ids = rows.map((r) => eventId(r));
    const [found] = await pool.query(
      `SELECT event_id FROM ${MYSQL_TABLES.processedEvents} WHERE event_id IN (?)`,
      [ids],
    );
    expect((found as Array<{ event_id: string }>).map((r) => r.event_id).sort()).toEqual([...ids].sort());
    expect(await factTotals(pool, base)).toEqual(referenceTotals(rows));
  });
});
