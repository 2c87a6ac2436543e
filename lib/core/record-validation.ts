import {
  DEBEZIUM_UNSUPPORTED_OPS,
  debeziumValueProblem,
  debeziumValueSchema,
  isDebeziumCassandraSource,
  unwrapCells,
} from "./change-event/debezium-cassandra.js";
import {
  type EventTimeBounds,
  implausibleReason,
  isPlausibleEventTime,
} from "./change-event/event-time-bounds.js";
import { eventIdFromKeyColumns } from "./change-event/readable-event-id.js";
import { EVENT_ID_HEADER } from "./envelope.js";
import { headerValue, type KafkaRecord } from "./kafka-record.js";
import {
  envelopeProblem,
  envelopeSchema,
  explain,
  isValidEventId,
  MAX_EVENT_TIME_MS,
  ROW_RULES,
  rowProblem,
  satisfies,
  trackingRowSchema,
} from "./record-schema.js";
import type { TrackingRow } from "./tracking-row.js";

/**
 * Record → verdict. Decodes base64 (strictly), UTF-8 (strictly), JSON, then validates the change
 * event and the row. Two shapes are accepted (docs/change-events.md):
 * - our envelope (lib/core/envelope.ts): `{ schema: null, payload: { after: <row>, op, source, ts_ms } }`;
 * - the Debezium Cassandra connector's events (change-event/debezium-cassandra.ts), with or
 *   without the JSON converter's `{ schema, payload }` wrapper: cell-struct columns are unwrapped
 *   into the same row.
 * Never throws: every problem becomes an `InvalidRecord` with a stable reason code, a message, the
 * raw bytes to keep in the dead-letter table, and the event id whenever one can be read.
 */
export const INVALID_REASON_CODES = [
  "missing_value",
  "record_too_large",
  "invalid_base64",
  "invalid_utf8",
  "invalid_json",
  "invalid_envelope",
  "unsupported_op",
  "missing_job_id",
  "invalid_ts",
  "invalid_row",
  "invalid_event_id",
  "implausible_event_time",
] as const;
export type InvalidReasonCode = (typeof INVALID_REASON_CODES)[number];

/** Which shape a valid record had. */
export type ChangeEventShape = "jtp" | "debezium-cassandra";

export interface ValidRecord {
  readonly ok: true;
  readonly record: KafkaRecord;
  /** `payload.after` (Debezium cells unwrapped), checked against the row rules (unknown extra columns kept). */
  readonly row: ValidatedRow;
  /**
   * Event id for de-duplication: payload.source.event_id (our envelope), else the jtp-event-id
   * header, else derived from the row's key columns; null when none.
   */
  readonly eventId: string | null;
  readonly shape: ChangeEventShape;
}

export interface InvalidRecord {
  readonly ok: false;
  readonly record: KafkaRecord;
  readonly reasonCode: InvalidReasonCode;
  readonly reason: string;
  /** Raw value bytes (decoded from base64 when possible), truncated to the configured maximum. */
  readonly payload: Uint8Array | null;
  /** The record's event id when one can be read (same sources and order as a valid record's), else null. */
  readonly eventId: string | null;
}

export type RecordVerdict = ValidRecord | InvalidRecord;

/** A row that passed validation: job_id and ts present, every known column of the right type. */
export type ValidatedRow = Partial<TrackingRow> & {
  readonly job_id: number;
  readonly ts: number;
  readonly [column: string]: unknown;
};

export interface ValidationOptions {
  /** Values larger than this (decoded bytes) are rejected as `record_too_large`. */
  readonly maxRecordBytes: number;
  /** Event times outside these bounds are rejected as `implausible_event_time`; no check when absent. */
  readonly eventTime?: EventTimeBounds;
}

/** Ops of our envelope that cannot be applied to the append-only fact table. */
const JTP_UNSUPPORTED_OPS: Readonly<Record<string, string>> = { u: "update", d: "delete" };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function validateRecord(record: KafkaRecord, options: ValidationOptions): RecordVerdict {
  /** The change event once located (for the dead letter's event id). */
  let event: Record<string, unknown> | null = null;
  const invalid = (
    reasonCode: InvalidReasonCode,
    reason: string,
    payload: Uint8Array | null,
  ): InvalidRecord => ({
    ok: false,
    record,
    reasonCode,
    reason,
    payload:
      payload !== null && payload.length > options.maxRecordBytes
        ? payload.subarray(0, options.maxRecordBytes)
        : payload,
    eventId: readableEventId(record, event),
  });

  const value = record.value;
  if (value === null || value === "")
    return invalid("missing_value", "record has no value (tombstone?)", null);
  const bytes = strictBase64(value);
  if (bytes === null)
    return invalid("invalid_base64", "value is not valid base64", Buffer.from(value, "utf8"));
  if (bytes.length > options.maxRecordBytes) {
    return invalid(
      "record_too_large",
      `value is ${bytes.length} bytes, more than the ${options.maxRecordBytes} allowed (payload kept truncated)`,
      bytes,
    );
  }

  let json: string;
  try {
    json = utf8.decode(bytes);
  } catch {
    return invalid("invalid_utf8", "value is not valid UTF-8", bytes);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    return invalid(
      "invalid_json",
      `value is not JSON: ${err instanceof Error ? err.message : String(err)}`,
      bytes,
    );
  }

  // The change event: inside `payload` (our envelope; any converter with schemas enabled), or the
  // value itself (Debezium's JSON converter with schemas disabled).
  const bare = isPlainObject(parsed) && parsed.payload === undefined && "op" in parsed;
  const at = bare ? "" : "payload.";
  if (bare) event = parsed as Record<string, unknown>;
  else if (isPlainObject(parsed) && isPlainObject(parsed.payload)) event = parsed.payload;

  const op = event?.op;
  const debezium = event !== null && isDebeziumCassandraSource(event.source);
  if (typeof op === "string" && (debezium || (op !== "c" && op !== "r"))) {
    const ops = debezium ? DEBEZIUM_UNSUPPORTED_OPS : JTP_UNSUPPORTED_OPS;
    if (Object.hasOwn(ops, op)) {
      return invalid(
        "unsupported_op",
        `${at}op "${op}" (${ops[op]}): the event carries no before-image, so it cannot be applied to the append-only fact table`,
        bytes,
      );
    }
  }

  let after: Record<string, unknown>;
  if (debezium && event !== null) {
    const problem = debeziumValueProblem(event);
    if (problem !== null) {
      return invalid(
        "invalid_envelope",
        explain(debeziumValueSchema, event, `${at}${problem}`, at.slice(0, -1)),
        bytes,
      );
    }
    const unwrapped = unwrapCells(event.after as Record<string, unknown>);
    if (!unwrapped.ok) {
      return invalid(
        "invalid_row",
        `${at}after.${unwrapped.column}: must be a cell {"value", "deletion_ts", "set"} or null`,
        bytes,
      );
    }
    after = unwrapped.row;
  } else {
    const envProblem = bare ? "payload: must be an object" : envelopeProblem(parsed);
    if (envProblem !== null)
      return invalid("invalid_envelope", explain(envelopeSchema, parsed, envProblem), bytes);
    after = (event as { after: Record<string, unknown> }).after;
  }

  if (after.job_id === null || after.job_id === undefined) {
    return invalid("missing_job_id", `${at}after.job_id is missing`, bytes);
  }
  if (after.ts === null || after.ts === undefined) {
    return invalid("invalid_ts", `${at}after.ts (event time) is missing`, bytes);
  }
  if (ROW_RULES.ts !== undefined && !satisfies(after.ts, ROW_RULES.ts)) {
    return invalid(
      "invalid_ts",
      `${at}after.ts: must be epoch milliseconds from 0 to ${MAX_EVENT_TIME_MS}`,
      bytes,
    );
  }
  const problem = rowProblem(after);
  if (problem !== null) {
    return invalid(
      "invalid_row",
      explain(trackingRowSchema, after, `${at}after.${problem}`, `${at}after`),
      bytes,
    );
  }
  const row = after as ValidatedRow;
  if (options.eventTime !== undefined && !isPlausibleEventTime(row.ts, options.eventTime)) {
    return invalid(
      "implausible_event_time",
      `${at}after.${implausibleReason(row.ts, options.eventTime)}`,
      bytes,
    );
  }

  const source = (event as { source?: { event_id?: unknown } | null }).source;
  let eventId: string | null = !debezium && typeof source?.event_id === "string" ? source.event_id : null;
  if (eventId === null) {
    const fromHeader = headerValue(record.headers, EVENT_ID_HEADER);
    if (fromHeader !== null) {
      if (!isValidEventId(fromHeader)) {
        return invalid("invalid_event_id", `header ${EVENT_ID_HEADER} is not a valid event id`, bytes);
      }
      eventId = fromHeader;
    }
  }
  eventId ??= eventIdFromKeyColumns(row);
  return { ok: true, record, row, eventId, shape: debezium ? "debezium-cassandra" : "jtp" };
}

/**
 * The event id of a record that is being dead-lettered, when one can be read: the change event's
 * `source.event_id` (our envelope), the jtp-event-id header, or the key columns (plain or cells).
 */
function readableEventId(record: KafkaRecord, event: Record<string, unknown> | null): string | null {
  const source = event?.source;
  if (isPlainObject(source) && !isDebeziumCassandraSource(source) && isValidEventId(source.event_id)) {
    return source.event_id;
  }
  const fromHeader = headerValue(record.headers, EVENT_ID_HEADER);
  if (fromHeader !== null && isValidEventId(fromHeader)) return fromHeader;
  return event === null ? null : eventIdFromKeyColumns(event.after);
}

/**
 * Strict base64 → bytes, or null. Node's decoder skips characters outside the alphabet and stops at
 * `=`, so a value is valid when its length is a multiple of 4 and it decodes to exactly the number
 * of bytes its length and padding promise (URL-safe `-`/`_` are accepted as well).
 */
function strictBase64(value: string): Buffer | null {
  if (value.length % 4 !== 0) return null;
  const padding = value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0;
  const bytes = Buffer.from(value, "base64");
  return bytes.length === (value.length / 4) * 3 - padding ? bytes : null;
}

/** Decoded key bytes for a dead letter (lenient: the key is kept for diagnosis, not validated). */
export function recordKeyBytes(record: KafkaRecord, maxBytes = 1024): Uint8Array | null {
  if (record.key === null || record.key === "") return null;
  const b = Buffer.from(record.key, "base64");
  return b.length > maxBytes ? b.subarray(0, maxBytes) : b;
}
