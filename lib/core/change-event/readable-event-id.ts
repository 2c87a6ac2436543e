import { isValidEventId, ROW_RULES, satisfies } from "../record-schema.js";
import { eventId } from "../tracking-row.js";
import { cellValue } from "./debezium-cassandra.js";

/**
 * The event id derived from a row's primary-key columns (`bucket`, `shard`, `create_time`), plain
 * (our envelope) or as Debezium cells: `${bucket}/${shard}/${create_time}`, exactly as
 * tracking-row.ts eventId() builds it for the poller, so both sources give the same row the same id.
 * Null when a key column is missing or malformed, or the id would not be a valid event id.
 */
export function eventIdFromKeyColumns(after: unknown): string | null {
  if (typeof after !== "object" || after === null || Array.isArray(after)) return null;
  const cols = after as Record<string, unknown>;
  const bucket = plain(cols.bucket);
  const shard = plain(cols.shard);
  const createTime = plain(cols.create_time);
  if (
    ROW_RULES.bucket === undefined ||
    ROW_RULES.shard === undefined ||
    ROW_RULES.create_time === undefined ||
    !satisfies(bucket, ROW_RULES.bucket) ||
    !satisfies(shard, ROW_RULES.shard) ||
    !satisfies(createTime, ROW_RULES.create_time)
  ) {
    return null;
  }
  const id = eventId({ bucket: bucket as number, shard: shard as number, create_time: createTime as string });
  return isValidEventId(id) ? id : null;
}

/** A key column's value: itself, or the value of its Debezium cell. */
function plain(v: unknown): unknown {
  return typeof v === "object" && v !== null ? cellValue(v) : v;
}
