import { z } from "zod";
import { RAW_INT_COLUMNS, RAW_TEXT_COLUMNS } from "./tracking-row.js";

/**
 * Schemas of what the aggregator accepts on the tracking topic: the Debezium-style envelope
 * (lib/core/envelope.ts) and the tracking row inside `payload.after` (lib/core/tracking-row.ts).
 * Unknown fields are allowed (the lake may add columns; a log-based connector adds its own source
 * fields); known fields must have the right type. `job_id` and `ts` are checked before the row
 * schema so that their absence gets its own reason code.
 */

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Largest epoch ms whose date still has four digits (9999-12-31T23:59:59.999Z). */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;
/** Longest raw text column accepted; longer means a broken or hostile writer. */
export const MAX_TEXT_LENGTH = 65_535;
/** Highest bid accepted (currency units). */
export const MAX_BID = 1_000_000;

export const int32 = z.number().int().min(INT32_MIN).max(INT32_MAX);
export const eventTimeMs = z.number().int().min(0).max(MAX_EVENT_TIME_MS);
/** Event ids are printable ASCII without spaces, at most 255 characters (processed_events.event_id). */
export const eventIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1-255 printable ASCII characters");

const text = z.string().max(MAX_TEXT_LENGTH).nullish();
const int = int32.nullish();

const rawColumns: Record<string, typeof text | typeof int> = {};
for (const c of RAW_TEXT_COLUMNS) rawColumns[c] = text;
for (const c of RAW_INT_COLUMNS) rawColumns[c] = int;

export const trackingRowSchema = z.looseObject({
  bucket: z.number().int().min(0).max(MAX_EVENT_TIME_MS).nullish(),
  shard: int,
  create_time: z.string().max(64).nullish(),
  job_id: int32,
  custom_track: z.string().max(255).nullish(),
  bid: z.number().min(0).max(MAX_BID).nullish(),
  campaign_id: int,
  group_id: int,
  publisher_id: int,
  ts: eventTimeMs,
  ...rawColumns,
});

export type ValidatedTrackingRow = z.infer<typeof trackingRowSchema>;

export const envelopeSchema = z.looseObject({
  schema: z.unknown().optional(),
  payload: z.looseObject({
    before: z.unknown().optional(),
    after: z.record(z.string(), z.unknown()),
    source: z.looseObject({ event_id: eventIdSchema.optional() }).nullish(),
    op: z.enum(["c", "r"], 'must be "c" (create) or "r" (snapshot read): the lake is append-only'),
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
