import { randomUUID } from "node:crypto";
import type { Context, MSKEvent, MSKRecord } from "aws-lambda";
import { localLambdaContext } from "../../infra/local/lambda-context.js";
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
  return localLambdaContext(name);
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

/** Kafka Connect type of each lake column, as the Debezium Cassandra connector maps it (docs "Data types"). */
const DEBEZIUM_COLUMN_TYPES: Readonly<Record<string, { type: string; name?: string }>> = {
  bucket: { type: "int64", name: "io.debezium.time.Timestamp" },
  shard: { type: "int32" },
  create_time: { type: "string", name: "io.debezium.data.Uuid" },
  job_id: { type: "int32" },
  custom_track: { type: "string" },
  bid: { type: "float" },
  campaign_id: { type: "int32" },
  group_id: { type: "int32" },
  publisher_id: { type: "int32" },
  ts: { type: "int64", name: "io.debezium.time.Timestamp" },
  ...Object.fromEntries(RAW_TEXT_COLUMNS.map((c) => [c, { type: "string" }])),
  ...Object.fromEntries(RAW_INT_COLUMNS.map((c) => [c, { type: "int32" }])),
};

export interface DebeziumEventOptions {
  /** "i" (what the connector's code emits for an insert), "c" (the documentation's example), "u", "d", "r". */
  readonly op?: string;
  /** Wrap in the JSON converter's `{ schema, payload }` (schemas.enable=true). */
  readonly withSchema?: boolean;
  readonly keyspace?: string;
  readonly cluster?: string;
}

/**
 * A change event of the Debezium Cassandra connector for `row`, shaped as documented
 * (test/fixtures/debezium-cassandra/README.md): every column a cell {value, deletion_ts, set}
 * (null for a column an update or delete does not carry), the connector's `source` block.
 */
export function debeziumEvent(row: TrackingRow, options: DebeziumEventOptions = {}): Record<string, unknown> {
  const op = options.op ?? "i";
  const keyspace = options.keyspace ?? "tracking_lake";
  const cluster = options.cluster ?? "jtp-cluster";
  const keyColumns = new Set(["bucket", "shard", "create_time"]);
  const deletionTs = op === "d" ? (row.ts ?? 0) * 1000 : null;
  const after: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    // an insert carries every column; an update the key and what it set (here: bid); a delete the key
    const carried = op === "i" || op === "c" || keyColumns.has(column) || (op === "u" && column === "bid");
    after[column] = carried
      ? { value, deletion_ts: keyColumns.has(column) ? deletionTs : null, set: true }
      : null;
  }
  after[".range_start"] = null;
  after[".range_end"] = null;
  const nowMs = Date.now();
  const payload = {
    op,
    ts_ms: nowMs,
    after,
    source: {
      version: "3.4.0.Final",
      connector: "cassandra",
      name: cluster,
      ts_ms: row.ts ?? nowMs,
      snapshot: "false",
      db: keyspace,
      sequence: null,
      ts_us: (row.ts ?? nowMs) * 1000,
      ts_ns: (row.ts ?? nowMs) * 1_000_000,
      cluster,
      file: "CommitLog-7-1764000000000.log",
      pos: 4_096,
      keyspace,
      table: "tracking",
    },
  };
  if (!options.withSchema) return payload;
  const cell = (column: string) => {
    const t = DEBEZIUM_COLUMN_TYPES[column] ?? { type: "string" };
    return {
      type: "struct",
      fields: [
        { ...t, optional: false, field: "value" },
        { type: "int64", optional: true, field: "deletion_ts" },
        { type: "boolean", optional: false, field: "set" },
      ],
      optional: true,
      name: column,
      field: column,
    };
  };
  const str = (field: string, optional = false) => ({ type: "string", optional, field });
  const i64 = (field: string, optional = false) => ({ type: "int64", optional, field });
  const schema = {
    type: "struct",
    fields: [
      str("op"),
      i64("ts_ms"),
      {
        type: "struct",
        fields: [...Object.keys(row).map(cell), str(".range_start", true), str(".range_end", true)],
        optional: false,
        name: "after",
        field: "after",
      },
      {
        type: "struct",
        fields: [
          str("version"),
          str("connector"),
          str("name"),
          i64("ts_ms"),
          str("snapshot", true),
          str("db"),
          str("sequence", true),
          i64("ts_us", true),
          i64("ts_ns", true),
          str("cluster"),
          str("file"),
          { type: "int32", optional: false, field: "pos" },
          str("keyspace"),
          str("table"),
        ],
        optional: false,
        name: "source",
        field: "source",
      },
    ],
    optional: false,
    name: `${cluster}.${keyspace}.tracking.Envelope`,
  };
  return { schema, payload };
}

/** An MSK record carrying a Debezium Cassandra event for `row`, keyed like the connector (primary-key JSON). */
export function debeziumRecord(
  spec: Omit<RecordSpec, "value" | "eventIdHeader"> & { readonly row: TrackingRow } & DebeziumEventOptions,
): MSKRecord {
  const { row, op, withSchema, keyspace, cluster, ...rest } = spec;
  const key = JSON.stringify({ bucket: row.bucket, shard: row.shard, create_time: row.create_time });
  return mskRecord({
    ...rest,
    key: spec.key !== undefined ? spec.key : key,
    eventIdHeader: null,
    value: JSON.stringify(
      debeziumEvent(row, {
        ...(op === undefined ? {} : { op }),
        ...(withSchema === undefined ? {} : { withSchema }),
        ...(keyspace === undefined ? {} : { keyspace }),
        ...(cluster === undefined ? {} : { cluster }),
      }),
    ),
  });
}
