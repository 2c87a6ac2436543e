import { z } from "zod";

/**
 * Change events of Debezium's Cassandra connector (JSON converter), as documented in
 * https://debezium.io/documentation/reference/stable/connectors/cassandra.html ("Change event's
 * value", "Data types") and emitted by its source (io.debezium.connector.cassandra.Record,
 * CellData, CassandraSourceInfoStructMaker):
 *
 *   { "op": "i", "ts_ms": 1562202942832,
 *     "after": { "<column>": { "value": …, "deletion_ts": null, "set": true } | null, … },
 *     "source": { "version": …, "connector": "cassandra", "cluster": …, "snapshot": false,
 *                 "keyspace": …, "table": …, "file": …, "pos": 54, "ts_ms": … } }
 *
 * with `schemas.enable=true` wrapped as `{ "schema": {…}, "payload": {…} }`. Every column of
 * `after` is a cell struct or null (a column the mutation did not write); primary-key cells are
 * always present. `timestamp` columns carry epoch milliseconds, `timeuuid` columns their string
 * form, `int`/`float` plain numbers: unwrapped, the row is the same as our own envelope's.
 *
 * Operations: the connector's code emits "i" (insert), "u" (update), "d" (delete) and
 * "r" (range tombstone); the documentation's example shows "c" for an insert. Inserts ("i", "c")
 * are applied; the others change or delete rows whose before-image the event does not carry, so they
 * cannot be applied to an additive fact table (they are dead-lettered, see record-validation.ts).
 * Note "r" is NOT a snapshot read here: snapshot rows arrive as inserts with `source.snapshot: true`.
 */
export const DEBEZIUM_CASSANDRA_CONNECTOR = "cassandra";
/** Debezium Cassandra ops applied as inserts. */
export const DEBEZIUM_INSERT_OPS: ReadonlySet<unknown> = new Set(["i", "c"]);
/** Debezium Cassandra ops that cannot be applied to an append-only fact table. */
export const DEBEZIUM_UNSUPPORTED_OPS: Readonly<Record<string, string>> = {
  u: "update",
  d: "delete",
  r: "range tombstone (range delete)",
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a change event's `source` block is the Debezium Cassandra connector's. */
export function isDebeziumCassandraSource(source: unknown): boolean {
  return isPlainObject(source) && source.connector === DEBEZIUM_CASSANDRA_CONNECTOR;
}

/** A cell's value (null when the column is absent, null, or not set), or undefined when `cell` is not a cell. */
export function cellValue(cell: unknown): unknown {
  if (cell === null || cell === undefined) return null;
  if (!isPlainObject(cell) || !("value" in cell)) return undefined;
  if (cell.set === false) return null;
  const ts = cell.deletion_ts;
  if (ts !== null && ts !== undefined && typeof ts !== "number") return undefined;
  return cell.value ?? null;
}

export type UnwrappedRow =
  | { readonly ok: true; readonly row: Record<string, unknown> }
  | { readonly ok: false; readonly column: string };

/**
 * `after` with every cell replaced by its value; the first column that is not a cell otherwise.
 * Fields whose name starts with "." are the connector's own (`.range_start` / `.range_end`, plain
 * strings describing a range tombstone) and are left out.
 */
export function unwrapCells(after: Record<string, unknown>): UnwrappedRow {
  const row: Record<string, unknown> = {};
  for (const column in after) {
    if (column.charCodeAt(0) === 46 /* "." */) continue;
    const v = cellValue(after[column]);
    if (v === undefined) return { ok: false, column };
    row[column] = v;
  }
  return { ok: true, row };
}

/**
 * The first problem of a Debezium Cassandra change event's value (`op` already known to be one
 * that is not dead-lettered as unsupported), not looking inside the cells; null when it is valid.
 */
export function debeziumValueProblem(v: Record<string, unknown>): string | null {
  if (!isPlainObject(v.after)) return "after: must be an object";
  if (!DEBEZIUM_INSERT_OPS.has(v.op)) return 'op: must be "i" or "c" (insert)';
  if (
    v.ts_ms !== null &&
    v.ts_ms !== undefined &&
    (typeof v.ts_ms !== "number" || !Number.isFinite(v.ts_ms))
  ) {
    return "ts_ms: must be a number";
  }
  if (!isDebeziumCassandraSource(v.source)) return 'source.connector: must be "cassandra"';
  return null;
}

// ---- zod contract (explains a rejected event's value; never on the hot path) -----------------
// Agrees with debeziumValueProblem(); the cells themselves are checked by unwrapCells().

export const debeziumValueSchema = z.looseObject({
  op: z.enum(["i", "c"], 'must be "i" or "c" (insert)'),
  ts_ms: z.number().nullish(),
  after: z.record(z.string(), z.unknown()),
  source: z.looseObject({ connector: z.literal(DEBEZIUM_CASSANDRA_CONNECTOR) }),
});
