import type cassandra from "cassandra-driver";
import { TRACKING_COLUMNS, type TrackingRow } from "../../core/tracking-row.js";

/** cassandra-driver row → JSON-safe TrackingRow (timeuuid → string, timestamps → epoch ms). */
export function toTrackingRow(row: cassandra.types.Row): TrackingRow {
  const out: Record<string, unknown> = {};
  for (const col of TRACKING_COLUMNS) {
    const v = row.get(col) as unknown;
    if (v === null || v === undefined) out[col] = null;
    else if (v instanceof Date) out[col] = v.getTime();
    else if (typeof v === "object" && "getDate" in v) out[col] = String(v);
    else out[col] = v;
  }
  return out as unknown as TrackingRow;
}

export const SELECT_COLUMNS = TRACKING_COLUMNS.join(", ");
