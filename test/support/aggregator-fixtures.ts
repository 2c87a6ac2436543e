import { randomUUID } from "node:crypto";
import type { Context, MSKEvent, MSKRecord } from "aws-lambda";
import { buildEnvelope, EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { eventId, RAW_INT_COLUMNS, RAW_TEXT_COLUMNS, type TrackingRow } from "../../lib/core/tracking-row.js";

/** Test and benchmark helpers: tracking rows, envelopes and MSK-shaped Lambda events. */

/** A unique id in the place of the row's timeuuid (the aggregator only needs uniqueness). */
export function fakeTimeUuid(): string {
  return randomUUID();
}

export function trackingRow(over: Partial<TrackingRow> = {}): TrackingRow {
  const raw: Record<string, null> = {};
  for (const c of [...RAW_TEXT_COLUMNS, ...RAW_INT_COLUMNS]) raw[c] = null;
  return {
    ...(raw as unknown as Pick<
      TrackingRow,
      (typeof RAW_TEXT_COLUMNS)[number] | (typeof RAW_INT_COLUMNS)[number]
    >),
    bucket: 1_764_000_000_000,
    shard: 0,
    create_time: fakeTimeUuid(),
    job_id: 1,
    custom_track: "click",
    bid: Math.fround(0.1),
    campaign_id: 1,
    group_id: 1,
    publisher_id: 1,
    ts: Date.UTC(2025, 0, 1, 12, 0, 0),
    ...over,
  };
}

export interface RecordSpec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** A row (wrapped in a change envelope), raw bytes, or a string (UTF-8) used as the value. */
  readonly value: TrackingRow | Uint8Array | string;
  readonly key?: string | null;
  readonly eventIdHeader?: string | null;
  readonly timestamp?: number;
}

export function envelopeJson(row: TrackingRow, keyspace = "tracking_lake"): string {
  return JSON.stringify(
    buildEnvelope({ row, keyspace, table: "tracking", writtenAtMs: row.ts ?? 0, nowMs: Date.now() }),
  );
}

export function mskRecord(spec: RecordSpec): MSKRecord {
  const isRow = typeof spec.value === "object" && !(spec.value instanceof Uint8Array);
  const row = isRow ? (spec.value as TrackingRow) : null;
  const bytes =
    row !== null
      ? Buffer.from(envelopeJson(row))
      : typeof spec.value === "string"
        ? Buffer.from(spec.value)
        : Buffer.from(spec.value as Uint8Array);
  const key = spec.key !== undefined ? spec.key : row?.job_id != null ? String(row.job_id) : null;
  const header = spec.eventIdHeader !== undefined ? spec.eventIdHeader : row !== null ? eventId(row) : null;
  return {
    topic: spec.topic,
    partition: spec.partition,
    offset: spec.offset,
    timestamp: spec.timestamp ?? Date.now(),
    timestampType: "CREATE_TIME",
    // The event types say string; a key-less record simply has none.
    key: key === null ? (undefined as unknown as string) : Buffer.from(key).toString("base64"),
    value: bytes.toString("base64"),
    headers: header === null ? [] : [{ [EVENT_ID_HEADER]: [...Buffer.from(header)] }],
  };
}

/** An MSK event carrying `records`, grouped by "<topic>-<partition>" like the event source mapping does. */
export function mskEvent(records: readonly MSKRecord[]): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const r of records) {
    const k = `${r.topic}-${r.partition}`;
    if (grouped[k] === undefined) grouped[k] = [];
    grouped[k].push(r);
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn:
      "arn:aws:kafka:us-east-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1",
    bootstrapServers: "127.0.0.1:9092",
    records: grouped,
  };
}

/** Records of `rows` on one partition, at consecutive offsets from `firstOffset`. */
export function recordsOf(
  topic: string,
  partition: number,
  firstOffset: number,
  rows: readonly TrackingRow[],
): MSKRecord[] {
  return rows.map((value, i) => mskRecord({ topic, partition, offset: firstOffset + i, value }));
}

export function fakeContext(name = "aggregator"): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `jtp-local-${name}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:jtp-local-${name}`,
    memoryLimitInMB: "512",
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/aws/lambda/jtp-local-${name}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Independent reference of the hourly measures for rows in a time zone with a fixed UTC offset. */
export interface ReferenceRow {
  clicks: number;
  spendMicros: number;
  bidCount: number;
  conversion: number;
  qualified: number;
  disqualified: number;
  otherTracks: number;
}

export function referenceTotals(rows: readonly TrackingRow[], utcOffsetHours = 0): Map<string, ReferenceRow> {
  const out = new Map<string, ReferenceRow>();
  for (const r of rows) {
    const local = new Date((r.ts ?? 0) + utcOffsetHours * 3_600_000).toISOString();
    const key = [
      r.job_id,
      local.slice(0, 10),
      Number(local.slice(11, 13)),
      r.publisher_id ?? 0,
      r.campaign_id ?? 0,
      r.group_id ?? 0,
    ].join("|");
    let t = out.get(key);
    if (t === undefined) {
      t = {
        clicks: 0,
        spendMicros: 0,
        bidCount: 0,
        conversion: 0,
        qualified: 0,
        disqualified: 0,
        otherTracks: 0,
      };
      out.set(key, t);
    }
    if (r.custom_track === "click") {
      t.clicks++;
      if (r.bid !== null) {
        t.spendMicros += Math.round(r.bid * 1e6);
        t.bidCount++;
      }
    } else if (r.custom_track === "conversion") t.conversion++;
    else if (r.custom_track === "qualified") t.qualified++;
    else if (r.custom_track === "unqualified") t.disqualified++;
    else t.otherTracks++;
  }
  return out;
}
