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
import { eventId as eventIdOf, type TrackingRow } from "./tracking-row.js";

/**
 * Record → verdict. Decodes base64 (strictly), UTF-8 (strictly), JSON, then validates the envelope
 * and the row. Never throws: every problem becomes an `InvalidRecord` with a stable reason code,
 * a message, and the raw bytes to keep in the dead-letter table.
 */
export type InvalidReasonCode =
  | "missing_value"
  | "record_too_large"
  | "invalid_base64"
  | "invalid_utf8"
  | "invalid_json"
  | "invalid_envelope"
  | "missing_job_id"
  | "invalid_ts"
  | "invalid_row"
  | "invalid_event_id";

export interface ValidRecord {
  readonly ok: true;
  readonly record: KafkaRecord;
  /** `payload.after`, checked against the row rules (unknown extra columns kept). */
  readonly row: ValidatedRow;
  /** Event id for de-duplication (payload.source.event_id, else the header, else derived from the row's key); null when none. */
  readonly eventId: string | null;
}

export interface InvalidRecord {
  readonly ok: false;
  readonly record: KafkaRecord;
  readonly reasonCode: InvalidReasonCode;
  readonly reason: string;
  /** Raw value bytes (decoded from base64 when possible), truncated to the configured maximum. */
  readonly payload: Uint8Array | null;
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
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function validateRecord(record: KafkaRecord, options: ValidationOptions): RecordVerdict {
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

  const envProblem = envelopeProblem(parsed);
  if (envProblem !== null)
    return invalid("invalid_envelope", explain(envelopeSchema, parsed, envProblem), bytes);
  const payload = (parsed as { payload: EnvelopePayload }).payload;
  const after = payload.after;

  if (after.job_id === null || after.job_id === undefined) {
    return invalid("missing_job_id", "payload.after.job_id is missing", bytes);
  }
  if (after.ts === null || after.ts === undefined) {
    return invalid("invalid_ts", "payload.after.ts (event time) is missing", bytes);
  }
  if (ROW_RULES.ts !== undefined && !satisfies(after.ts, ROW_RULES.ts)) {
    return invalid(
      "invalid_ts",
      `payload.after.ts: must be epoch milliseconds from 0 to ${MAX_EVENT_TIME_MS}`,
      bytes,
    );
  }
  const problem = rowProblem(after);
  if (problem !== null) {
    return invalid(
      "invalid_row",
      explain(trackingRowSchema, after, `payload.after.${problem}`, "payload.after"),
      bytes,
    );
  }
  const row = after as ValidatedRow;

  let eventId: string | null = typeof payload.source?.event_id === "string" ? payload.source.event_id : null;
  if (eventId === null) {
    const fromHeader = headerValue(record.headers, EVENT_ID_HEADER);
    if (fromHeader !== null) {
      if (!isValidEventId(fromHeader)) {
        return invalid("invalid_event_id", `header ${EVENT_ID_HEADER} is not a valid event id`, bytes);
      }
      eventId = fromHeader;
    }
  }
  if (eventId === null) {
    const { bucket, shard, create_time } = row;
    if (bucket != null && shard != null && create_time != null) {
      const derived = eventIdOf({ bucket, shard, create_time });
      if (isValidEventId(derived)) eventId = derived;
    }
  }
  return { ok: true, record, row, eventId };
}

interface EnvelopePayload {
  readonly after: Record<string, unknown>;
  readonly source?: { readonly event_id?: unknown } | null;
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
