import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { KafkaRecord } from "../../lib/core/kafka-record.js";
import { type RecordVerdict, validateRecord } from "../../lib/core/record-validation.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import {
  debeziumEvent,
  debeziumRecord,
  envelopeJson,
  mskRecord,
  trackingRow,
} from "../support/aggregator-fixtures.js";
import { applyBatchOn, applyMskRecords } from "../support/apply-batch-on-fakes.js";
import { FakeWarehouse } from "../support/fake-warehouse.js";

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/debezium-cassandra");
const OPTS = { maxRecordBytes: 1024 * 1024 };
const EXPECTED_ID = "1764590400000/3/5a4f2e80-ceb0-11f0-8de9-0242ac120002";
/** The row every fixture describes (README.md beside them). */
const FIXTURE_ROW = trackingRow({
  bucket: 1_764_590_400_000,
  shard: 3,
  create_time: "5a4f2e80-ceb0-11f0-8de9-0242ac120002",
  job_id: 1001,
  custom_track: "click",
  bid: 0.25,
  campaign_id: 7,
  group_id: 12,
  publisher_id: 4,
  ts: 1_764_590_412_345,
  ua: "Mozilla/5.0",
  cd: 1,
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
function verdictOf(value: string, headers: KafkaRecord["headers"] = []): RecordVerdict {
  return validateRecord(
    { topic: "t", partition: 0, offset: 0, timestamp: 1, key: null, value: b64(value), headers },
    OPTS,
  );
}
const fixture = (name: string) => readFileSync(path.join(DIR, name), "utf8");

describe("Debezium Cassandra connector events (documented test vectors)", () => {
  it("has a README citing the documentation beside the vectors", () => {
    const readme = fixture("README.md");
    expect(readme).toContain("https://debezium.io/documentation/reference/stable/connectors/cassandra.html");
    for (const f of readdirSync(DIR).filter((n) => n.endsWith(".json"))) expect(readme).toContain(f);
  });

  it.each(["insert-c-docs-example.json", "insert-i-no-schema.json", "insert-i-with-schema.json"])(
    "%s: applied as the same row, with the same event id, as our envelope of that row",
    (name) => {
      const v = verdictOf(fixture(name));
      const ours = verdictOf(envelopeJson(FIXTURE_ROW));
      expect(v.ok && ours.ok).toBe(true);
      if (!v.ok || !ours.ok) return;
      expect(v.shape).toBe("debezium-cassandra");
      expect(ours.shape).toBe("jtp");
      expect(v.eventId).toBe(EXPECTED_ID);
      expect(ours.eventId).toBe(EXPECTED_ID);
      expect(eventId(FIXTURE_ROW)).toBe(EXPECTED_ID);
      // every column the event carries has our row's value; the docs example leaves some out (null)
      for (const [column, value] of Object.entries(v.row)) {
        expect([column, value]).toEqual([column, FIXTURE_ROW[column as keyof TrackingRow]]);
      }
      for (const c of [
        "bucket",
        "shard",
        "create_time",
        "job_id",
        "custom_track",
        "bid",
        "ts",
        "publisher_id",
      ]) {
        expect(v.row[c]).toEqual(ours.row[c]);
      }
    },
  );

  it.each([
    ["update-u-no-schema.json", "u"],
    ["delete-d-no-schema.json", "d"],
    ["range-tombstone-r-no-schema.json", "r"],
  ])("%s: dead-lettered as unsupported_op, with the event id of its key cells", (name, op) => {
    const v = verdictOf(fixture(name));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reasonCode).toBe("unsupported_op");
    expect(v.reason).toContain(`op "${op}"`);
    expect(v.eventId).toBe(EXPECTED_ID);
  });

  it("the test helper still produces the documented vectors (so the integration test uses that shape)", () => {
    const pin = (e: Record<string, unknown>) => {
      const p = (e.payload ?? e) as Record<string, unknown>;
      p.ts_ms = 1_764_590_413_000;
      return e;
    };
    const cases: Array<[string, Parameters<typeof debeziumEvent>[1], TrackingRow]> = [
      ["insert-i-with-schema.json", { op: "i", withSchema: true }, FIXTURE_ROW],
      ["insert-i-no-schema.json", { op: "i" }, FIXTURE_ROW],
      ["update-u-no-schema.json", { op: "u" }, { ...FIXTURE_ROW, bid: 0.3 }],
      ["delete-d-no-schema.json", { op: "d" }, FIXTURE_ROW],
      ["range-tombstone-r-no-schema.json", { op: "r" }, FIXTURE_ROW],
    ];
    for (const [name, options, row] of cases) {
      expect(pin(debeziumEvent(row, options))).toEqual(JSON.parse(fixture(name)));
    }
  });
});

describe("Debezium Cassandra events: cells and sources", () => {
  const event = (over: Record<string, unknown> = {}, row: TrackingRow = trackingRow()) => {
    const e = debeziumEvent(row) as { after: Record<string, unknown> };
    e.after = { ...e.after, ...over };
    return JSON.stringify(e);
  };

  it("treats a null cell, an absent column and a cell with set=false as null", () => {
    const v = verdictOf(
      event({ bid: null, publisher_id: undefined, campaign_id: { value: 9, deletion_ts: null, set: false } }),
    );
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect([v.row.bid, v.row.publisher_id, v.row.campaign_id]).toEqual([null, undefined, null]);
  });

  it.each([
    ["a bare value instead of a cell", { job_id: 5 }, "invalid_row", "after.job_id"],
    ["a cell without value", { ts: { deletion_ts: null, set: true } }, "invalid_row", "after.ts"],
    [
      "a cell with a text deletion_ts",
      { bid: { value: 1, deletion_ts: "x", set: true } },
      "invalid_row",
      "after.bid",
    ],
    [
      "job_id cell set=false",
      { job_id: { value: 1, deletion_ts: null, set: false } },
      "missing_job_id",
      "after.job_id",
    ],
    [
      "ts as text in its cell",
      { ts: { value: "2025-01-01", deletion_ts: null, set: true } },
      "invalid_ts",
      "after.ts",
    ],
    [
      "bid as text in its cell",
      { bid: { value: "0.1", deletion_ts: null, set: true } },
      "invalid_row",
      "after.bid",
    ],
  ])("rejects %s", (_name, over, code, where) => {
    const v = verdictOf(event(over));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reasonCode).toBe(code);
    expect(v.reason).toContain(where);
  });

  it("rejects a value struct without after, and names the field (with and without the schema wrapper)", () => {
    const bare = debeziumEvent(trackingRow()) as Record<string, unknown>;
    delete bare.after;
    const v = verdictOf(JSON.stringify(bare));
    expect(!v.ok && [v.reasonCode, v.reason]).toEqual(["invalid_envelope", expect.stringContaining("after")]);
    const wrapped = verdictOf(JSON.stringify({ schema: {}, payload: bare }));
    expect(!wrapped.ok && wrapped.reason).toContain("payload.after");
  });

  it("a cell-shaped event without the cassandra connector in its source is not unwrapped", () => {
    const e = debeziumEvent(trackingRow()) as { source: Record<string, unknown> };
    e.source.connector = "mysql";
    const v = verdictOf(JSON.stringify({ schema: null, payload: e }));
    expect(v.ok).toBe(false);
  });

  it("takes the event id from the key cells, else from the jtp-event-id header", () => {
    const row = trackingRow();
    const v = verdictOf(event({}, row));
    expect(v.ok && v.eventId).toBe(eventId(row));
    const noKey = verdictOf(event({ bucket: null }, row), [{ "jtp-event-id": [...Buffer.from("hdr/7")] }]);
    expect(noKey.ok && noKey.eventId).toBe("hdr/7");
  });
});

describe("apply batch: both shapes in one batch", () => {
  it("counts a row once whichever shape (or both) carried it, and dead-letters updates and deletes", async () => {
    const warehouse = new FakeWarehouse();
    const apply = applyBatchOn(warehouse);
    const rows = Array.from({ length: 6 }, () => trackingRow({ custom_track: "click" }));
    let offset = 0;
    const at = () => ({ topic: "t", partition: 0, offset: offset++ });
    const records = [
      ...rows.map((row) => mskRecord({ ...at(), value: row })),
      ...rows.slice(0, 3).map((row) => debeziumRecord({ ...at(), row })),
      ...rows.slice(3).map((row) => debeziumRecord({ ...at(), row, withSchema: true, op: "c" })),
      debeziumRecord({ ...at(), row: rows[0] as TrackingRow, op: "u" }),
      debeziumRecord({ ...at(), row: rows[1] as TrackingRow, op: "d" }),
      mskRecord({
        ...at(),
        value: JSON.stringify({
          ...JSON.parse(envelopeJson(rows[2] as TrackingRow)),
          payload: { ...JSON.parse(envelopeJson(rows[2] as TrackingRow)).payload, op: "d" },
        }),
      }),
    ];
    const s = await applyMskRecords(apply, records);
    expect(s).toMatchObject({
      applied: 6,
      skippedDuplicates: 6,
      deadLettered: 3,
      deadLetteredByReason: { unsupported_op: 3 },
      implausible: 0,
    });
    expect(warehouse.totalClicks()).toBe(6);
    expect([...warehouse.state.deadLetters.values()].map((d) => d.eventId)).toEqual(
      [rows[0], rows[1], rows[2]].map((r) => eventId(r as TrackingRow)),
    );
  });
});
