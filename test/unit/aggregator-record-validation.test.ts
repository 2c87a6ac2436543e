import { describe, expect, it } from "vitest";
import type { KafkaRecord } from "../../lib/core/kafka-record.js";
import { type InvalidRecord, validateRecord } from "../../lib/core/record-validation.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { InvalidEventError } from "../../lib/errors.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import { envelopeJson, mskEvent, mskRecord, trackingRow } from "../support/aggregator-fixtures.js";

const OPTS = { maxRecordBytes: 256 * 1024 };

function recordWith(value: string | null, headers: KafkaRecord["headers"] = []): KafkaRecord {
  return { topic: "t", partition: 0, offset: 1, timestamp: 1, key: null, value, headers };
}
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");

function invalid(value: string | null): InvalidRecord {
  const v = validateRecord(recordWith(value), OPTS);
  if (v.ok) throw new Error("expected an invalid record");
  return v;
}

function envelopeWith(after: Record<string, unknown>): string {
  const env = JSON.parse(envelopeJson(trackingRow())) as { payload: { after: Record<string, unknown> } };
  env.payload.after = { ...env.payload.after, ...after };
  return JSON.stringify(env);
}

describe("validateRecord", () => {
  it("accepts a change envelope and takes the event id from the payload", () => {
    const row = trackingRow({ job_id: 42 });
    const v = validateRecord(recordWith(b64(envelopeJson(row))), OPTS);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.row.job_id).toBe(42);
    expect(v.eventId).toBe(eventId(row));
  });

  it("accepts unknown extra columns and a null bid / track", () => {
    const v = validateRecord(
      recordWith(b64(envelopeWith({ brand_new_column: "x", bid: null, custom_track: null }))),
      OPTS,
    );
    expect(v.ok).toBe(true);
  });

  it("falls back to the event-id header when the payload has none", () => {
    const env = JSON.parse(envelopeJson(trackingRow())) as { payload: { source: Record<string, unknown> } };
    delete env.payload.source.event_id;
    const v = validateRecord(
      recordWith(b64(JSON.stringify(env)), [{ "jtp-event-id": [...Buffer.from("evt-1")] }]),
      OPTS,
    );
    expect(v.ok && v.eventId).toBe("evt-1");
  });

  it.each([
    ["missing value", null, "missing_value"],
    ["not base64", "@@not base64@@", "invalid_base64"],
    ["bad base64 padding", "abc", "invalid_base64"],
    ["invalid UTF-8", b64(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), "invalid_utf8"],
    ["truncated JSON", b64('{"schema":null,"payload":{"after":{"job_id":1'), "invalid_json"],
    ["not an envelope", b64('{"hello":"world"}'), "invalid_envelope"],
    ["JSON array", b64("[1,2,3]"), "invalid_envelope"],
    ["a delete op", b64(envelopeWith({}).replace('"op":"c"', '"op":"d"')), "unsupported_op"],
    ["an update op", b64(envelopeWith({}).replace('"op":"c"', '"op":"u"')), "unsupported_op"],
    ["an unknown op", b64(envelopeWith({}).replace('"op":"c"', '"op":"x"')), "invalid_envelope"],
    [
      "an op named like an Object property",
      b64(envelopeWith({}).replace('"op":"c"', '"op":"toString"')),
      "invalid_envelope",
    ],
    ["missing job_id", b64(envelopeWith({ job_id: null })), "missing_job_id"],
    ["job_id as text", b64(envelopeWith({ job_id: "abc" })), "invalid_row"],
    ["job_id beyond INT", b64(envelopeWith({ job_id: 2 ** 31 })), "invalid_row"],
    ["missing ts", b64(envelopeWith({ ts: null })), "invalid_ts"],
    ["ts as a date string", b64(envelopeWith({ ts: "2025-01-01T00:00:00Z" })), "invalid_ts"],
    ["negative ts", b64(envelopeWith({ ts: -1 })), "invalid_ts"],
    ["bid as text", b64(envelopeWith({ bid: "0.5" })), "invalid_row"],
    ["negative bid", b64(envelopeWith({ bid: -1 })), "invalid_row"],
    ["publisher_id fractional", b64(envelopeWith({ publisher_id: 1.5 })), "invalid_row"],
    ["huge raw field", b64(envelopeWith({ ua: "x".repeat(70_000) })), "invalid_row"],
  ])("rejects %s", (_name, value, code) => {
    const v = invalid(value);
    expect(v.reasonCode).toBe(code);
    expect(v.reason.length).toBeGreaterThan(0);
  });

  it("rejects a value larger than the limit and keeps a truncated payload", () => {
    const big = b64(envelopeWith({ ua: "y".repeat(70_000) }));
    const v = validateRecord(recordWith(big), { maxRecordBytes: 1_024 });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reasonCode).toBe("record_too_large");
    expect(v.payload?.byteLength).toBe(1_024);
  });

  it("keeps the raw bytes of an invalid record for the dead-letter table", () => {
    const v = invalid(b64("not json"));
    expect(Buffer.from(v.payload ?? []).toString()).toBe("not json");
  });

  it("keeps the event id of a dead letter whenever one can be read", () => {
    const row = trackingRow();
    const header = [{ "jtp-event-id": [...Buffer.from("hdr/1")] }];
    // from payload.source.event_id
    expect(invalid(b64(envelopeJson({ ...row, job_id: null }))).eventId).toBe(eventId(row));
    // from the header, even when the value is not JSON
    const notJson = validateRecord(recordWith(b64("{oops"), header), OPTS);
    expect(!notJson.ok && notJson.eventId).toBe("hdr/1");
    // from the key columns when the source has no event id
    const env = JSON.parse(envelopeJson(row)) as {
      payload: { source: Record<string, unknown>; after: Record<string, unknown> };
    };
    delete env.payload.source.event_id;
    env.payload.after.bid = "lots";
    expect(invalid(b64(JSON.stringify(env))).eventId).toBe(eventId(row));
    // none readable
    expect(invalid(b64("{oops")).eventId).toBeNull();
    expect(invalid(null).eventId).toBeNull();
  });

  it("reports the path of a wrong type", () => {
    expect(invalid(b64(envelopeWith({ campaign_id: "seven" }))).reason).toContain(
      "payload.after.campaign_id",
    );
  });
});

describe("decodeKafkaEvent", () => {
  it("flattens an MSK event, partition by partition, keeping base64 values", () => {
    const rows = [trackingRow(), trackingRow()];
    const event = mskEvent([
      mskRecord({ topic: "a", partition: 1, offset: 5, value: rows[0] ?? trackingRow() }),
      mskRecord({ topic: "a", partition: 0, offset: 9, value: rows[1] ?? trackingRow() }),
    ]);
    const { eventSource, records } = decodeKafkaEvent(event);
    expect(eventSource).toBe("aws:kafka");
    expect(records.map((r) => [r.partition, r.offset])).toEqual([
      [1, 5],
      [0, 9],
    ]);
    expect(records[0]?.key).toBe(b64(String(rows[0]?.job_id)));
  });

  it("accepts a self-managed Kafka event with key-less records", () => {
    const event = {
      eventSource: "SelfManagedKafka",
      bootstrapServers: "h:9092",
      records: {
        "t-0": [
          {
            topic: "t",
            partition: 0,
            offset: 0,
            timestamp: 1,
            timestampType: "CREATE_TIME",
            value: b64("x"),
            headers: [],
          },
        ],
      },
    };
    const { records } = decodeKafkaEvent(event);
    expect(records[0]?.key).toBeNull();
  });

  it("throws InvalidEventError for something that is not a Kafka event", () => {
    expect(() => decodeKafkaEvent({ Records: [] })).toThrow(InvalidEventError);
    expect(() =>
      decodeKafkaEvent({ eventSource: "aws:kafka", records: { "t-0": [{ topic: "t" }] } }),
    ).toThrow(/records/);
  });
});
