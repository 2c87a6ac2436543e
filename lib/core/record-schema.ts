import { z } from "zod";
import { RAW_INT_COLUMNS, RAW_TEXT_COLUMNS } from "./tracking-row.js";

/**
 * What the aggregator accepts on the tracking topic: the Debezium-style envelope
 * (lib/core/envelope.ts) and the tracking row inside `payload.after` (lib/core/tracking-row.ts).
 * Debezium Cassandra connector events are unwrapped into the same row first
 * (change-event/debezium-cassandra.ts; the contract: docs/change-events.md).
 * Unknown fields are allowed (the lake may add columns; a log-based connector adds its own source
 * fields); known fields must have the right type.
 *
 * The rules are declared once (ROW_RULES) and give two validators that must agree:
 * - zod schemas (`trackingRowSchema`, `envelopeSchema`): the readable contract, used to explain a
 *   rejected record (path + message);
 * - hand-written checks (`rowProblem`, `envelopeProblem`): the hot path. zod costs ≈ 10 µs per
 *   record here (100 ms per 10,000-record batch, half the time budget of 50,000 records/s); these
 *   cost well under 1 µs. A property test (test/unit/aggregator-record-schema.test.ts) checks that
 *   both accept and reject the same values.
 */

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Largest epoch ms whose date still has four digits (9999-12-31T23:59:59.999Z). */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;
/** Longest raw text column accepted; longer means a broken or hostile writer. */
export const MAX_TEXT_LENGTH = 65_535;
/** Highest bid accepted (currency units). */
export const MAX_BID = 1_000_000;

export type Rule =
  | { readonly kind: "int"; readonly min: number; readonly max: number }
  | { readonly kind: "number"; readonly min: number; readonly max: number }
  | { readonly kind: "string"; readonly max: number };

const INT32: Rule = { kind: "int", min: INT32_MIN, max: INT32_MAX };
const EPOCH_MS: Rule = { kind: "int", min: 0, max: MAX_EVENT_TIME_MS };
const TEXT: Rule = { kind: "string", max: MAX_TEXT_LENGTH };

/** Every known column of `payload.after`. All may be null or absent, except job_id and ts (required). */
export const ROW_RULES: Readonly<Record<string, Rule>> = {
  bucket: EPOCH_MS,
  shard: INT32,
  create_time: { kind: "string", max: 64 },
  job_id: INT32,
  custom_track: { kind: "string", max: 255 },
  bid: { kind: "number", min: 0, max: MAX_BID },
  campaign_id: INT32,
  group_id: INT32,
  publisher_id: INT32,
  ts: EPOCH_MS,
  ...Object.fromEntries(RAW_TEXT_COLUMNS.map((c) => [c, TEXT])),
  ...Object.fromEntries(RAW_INT_COLUMNS.map((c) => [c, INT32])),
};
export const REQUIRED_COLUMNS = ["job_id", "ts"] as const;

/** Event ids are printable ASCII without spaces, at most 255 characters (processed_events.event_id). */
const EVENT_ID = /^[\x21-\x7e]{1,255}$/;
export const eventIdSchema = z.string().regex(EVENT_ID, "must be 1-255 printable ASCII characters");
export function isValidEventId(v: unknown): v is string {
  return typeof v === "string" && EVENT_ID.test(v);
}

// ---- fast checks -----------------------------------------------------------------------------

/** Whether `v` satisfies `rule` (null/undefined excluded: callers decide about absence). */
export function satisfies(v: unknown, rule: Rule): boolean {
  switch (rule.kind) {
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= rule.min && v <= rule.max;
    case "number":
      return typeof v === "number" && Number.isFinite(v) && v >= rule.min && v <= rule.max;
    case "string":
      return typeof v === "string" && v.length <= rule.max;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The first problem of a row (`payload.after`), or null when it is valid. */
export function rowProblem(after: Record<string, unknown>): string | null {
  for (const c of REQUIRED_COLUMNS) if (after[c] === null || after[c] === undefined) return `${c}: required`;
  for (const c in ROW_RULES) {
    const v = after[c];
    if (v === null || v === undefined) continue;
    const rule = ROW_RULES[c];
    if (rule !== undefined && !satisfies(v, rule)) return `${c}: wrong type or out of range`;
  }
  return null;
}

/** The first problem of an envelope (not looking inside `payload.after`), or null when it is valid. */
export function envelopeProblem(v: unknown): string | null {
  if (!isPlainObject(v)) return "(value): must be an object";
  const p = v.payload;
  if (!isPlainObject(p)) return "payload: must be an object";
  if (!isPlainObject(p.after)) return "payload.after: must be an object";
  if (p.op !== "c" && p.op !== "r") return "payload.op: must be c or r";
  if (
    p.ts_ms !== null &&
    p.ts_ms !== undefined &&
    (typeof p.ts_ms !== "number" || !Number.isFinite(p.ts_ms))
  ) {
    return "payload.ts_ms: must be a number";
  }
  const s = p.source;
  if (s !== null && s !== undefined) {
    if (!isPlainObject(s)) return "payload.source: must be an object";
    if (s.event_id !== undefined && !isValidEventId(s.event_id)) return "payload.source.event_id: invalid";
  }
  return null;
}

// ---- zod contract ----------------------------------------------------------------------------

function zodOf(rule: Rule): z.ZodType {
  switch (rule.kind) {
    case "int":
      return z.number().int().min(rule.min).max(rule.max);
    case "number":
      return z.number().min(rule.min).max(rule.max);
    case "string":
      return z.string().max(rule.max);
  }
}

export const trackingRowSchema = z.looseObject(
  Object.fromEntries(
    Object.entries(ROW_RULES).map(([c, rule]) => [
      c,
      (REQUIRED_COLUMNS as readonly string[]).includes(c) ? zodOf(rule) : zodOf(rule).nullish(),
    ]),
  ),
);

export const envelopeSchema = z.looseObject({
  schema: z.unknown().optional(),
  payload: z.looseObject({
    before: z.unknown().optional(),
    after: z.record(z.string(), z.unknown()),
    source: z.looseObject({ event_id: eventIdSchema.optional() }).nullish(),
    op: z.enum(["c", "r"], 'must be "c" (create) or "r" (snapshot read / replay): the lake is append-only'),
    ts_ms: z.number().nullish(),
  }),
});

/** "path: message" for the first few issues of a failed parse. */
export function describeIssues(error: z.ZodError, prefix = ""): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(value)"}: ${i.message}`)
    .join("; ");
}

/** The zod explanation of why `value` fails `schema`, or `fallback` if zod accepts it. */
export function explain(schema: z.ZodType, value: unknown, fallback: string, prefix = ""): string {
  const r = schema.safeParse(value);
  return r.success ? fallback : describeIssues(r.error, prefix);
}
