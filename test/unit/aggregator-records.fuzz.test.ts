import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventTimeBounds } from "../../lib/core/change-event/event-time-bounds.js";
import type { KafkaRecord } from "../../lib/core/kafka-record.js";
import { isValidEventId } from "../../lib/core/record-schema.js";
import { INVALID_REASON_CODES, validateRecord } from "../../lib/core/record-validation.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import type { TrackingRow } from "../../lib/core/tracking-row.js";
import { InvalidEventError } from "../../lib/errors.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import { createApplyBatch } from "../../lib/use-cases/apply-batch.js";
import { debeziumEvent, envelopeJson, trackingRow } from "../support/aggregator-fixtures.js";
import { FakeWarehouse } from "../support/fake-warehouse.js";

/**
 * Property-based fuzzing of the aggregator's decoding and validation, in the style of middy's
 * `*.fuzz.js` files (fc.assert over arbitrary events, expected errors told apart from the others).
 * Properties: a malformed *event* is an InvalidEventError and nothing else; for any records (random
 * bytes, random JSON, mutated valid envelopes of both shapes, random keys and headers) validation
 * never throws, every record is applied or dead-lettered with a known reason code, and a batch's
 * counts add up to its records.
 *
 * On failure fast-check prints `{ seed: …, path: "…" }` and the counterexample (verbose); rerun it
 * with FUZZ_SEED=<seed> FUZZ_PATH=<path>. FUZZ_RUNS raises the number of runs (default 200).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Per-test timeout, scaled with the runs. */
const TIMEOUT = Math.max(10_000, RUNS * 20);
const params: fc.Parameters<unknown> = {
  numRuns: RUNS,
  verbose: fc.VerbosityLevel.Verbose,
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
};

const NOW = Date.UTC(2026, 5, 15, 12);
const REASONS: ReadonlySet<string> = new Set(INVALID_REASON_CODES);
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString("base64");

// ---- arbitraries -----------------------------------------------------------------------------

const uuid = fc.uuid();
const row: fc.Arbitrary<TrackingRow> = fc
  .record({
    bucket: fc.integer({ min: 0, max: 2 ** 42 }),
    shard: fc.integer({ min: 0, max: 63 }),
    create_time: uuid,
    job_id: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { freq: 8 }),
    custom_track: fc.option(fc.constantFrom("click", "conversion", "qualified", "unqualified", "view"), {
      freq: 8,
    }),
    bid: fc.option(fc.double({ min: 0, max: 1_000, noNaN: true }), { freq: 4 }),
    publisher_id: fc.option(fc.integer({ min: 0, max: 1_000 }), { freq: 4 }),
    // around the plausible range, with both bounds crossed now and then
    ts: fc.option(fc.integer({ min: Date.UTC(1999, 11, 31), max: NOW + 2 * 3_600_000 }), { freq: 10 }),
  })
  .map((r) => trackingRow(r));

/** Every path to a value inside a JSON value. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...paths(x, [...prefix, i]));
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  }
  return out;
}

type Mutation =
  | { kind: "set"; at: number; value: unknown }
  | { kind: "delete"; at: number }
  | { kind: "none" };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.jsonValue() }),
  fc.record({
    kind: fc.constant("set" as const),
    at: fc.nat(),
    value: fc.constantFrom(
      null,
      "",
      0,
      -1,
      1.5,
      2 ** 53,
      "c",
      "u",
      "d",
      "r",
      "i",
      {},
      [],
      { value: null },
      "cassandra",
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.constant({ kind: "none" as const }),
);

function mutate(doc: unknown, ms: readonly Mutation[]): unknown {
  let root = structuredClone(doc);
  for (const m of ms) {
    if (m.kind === "none") continue;
    const all = paths(root);
    const p = all[m.at % all.length] ?? [];
    if (p.length === 0) {
      root = m.kind === "set" ? m.value : undefined;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = p[p.length - 1] as string | number;
    if (m.kind === "set") parent[last] = m.value;
    else if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  }
  return root;
}

/** A valid change event of either shape (ours, Debezium without / with the schema wrapper), then mutated. */
const mutatedEvent: fc.Arbitrary<string> = fc
  .tuple(
    row,
    fc.constantFrom("jtp", "debezium", "debezium-schema"),
    fc.constantFrom("i", "c", "u", "d", "r"),
    fc.array(mutation, { maxLength: 3 }),
  )
  .map(([r, shape, op, ms]) => {
    const doc =
      shape === "jtp"
        ? JSON.parse(envelopeJson(r))
        : debeziumEvent(r, { op, withSchema: shape === "debezium-schema" });
    return JSON.stringify(mutate(doc, ms)) ?? "null";
  });

const bytesToValue = (u: Uint8Array) => b64(u);
/** A record value: base64 of mutated events, random JSON, random bytes, raw text; null (tombstone). */
const value: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 6, arbitrary: mutatedEvent.map((s) => b64(s)) },
  { weight: 2, arbitrary: fc.json().map((s) => b64(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map(bytesToValue) },
  { weight: 1, arbitrary: mutatedEvent.map((s) => b64(s).slice(0, Math.max(0, s.length - 7))) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.constantFrom(null, "", "====", "AAAA") },
);

const header = fc.oneof(
  fc.record({ "jtp-event-id": fc.array(fc.integer({ min: -200, max: 300 }), { maxLength: 40 }) }),
  fc.uuid().map((u) => ({ "jtp-event-id": [...Buffer.from(`1/2/${u}`)] })),
  fc.dictionary(
    fc.string({ maxLength: 12 }),
    fc.array(fc.integer({ min: -128, max: 255 }), { maxLength: 8 }),
  ),
);

const records: fc.Arbitrary<KafkaRecord[]> = fc
  .array(
    fc.record({
      partition: fc.integer({ min: 0, max: 2 }),
      timestamp: fc.option(fc.integer({ min: -1, max: 2 ** 42 })),
      key: fc.option(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 20 }).map(bytesToValue))),
      value,
      headers: fc.array(header, { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((rs) => rs.map((r, i) => ({ topic: "fuzz", offset: i, ...r })));

// ---- properties ------------------------------------------------------------------------------

describe("aggregator decoding and validation, fuzzed", () => {
  it(
    "an arbitrary event is either decoded or refused with InvalidEventError, nothing else",
    () => {
      const event = fc.oneof(
        fc.anything(),
        fc.record({
          eventSource: fc.constantFrom("aws:kafka", "SelfManagedKafka", "other"),
          records: fc.dictionary(fc.string(), fc.array(fc.anything(), { maxLength: 3 })),
        }),
      );
      fc.assert(
        fc.property(event, (e) => {
          try {
            decodeKafkaEvent(e);
          } catch (err) {
            if (!(err instanceof InvalidEventError)) throw err;
          }
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "validation never throws: each record is valid, or invalid with a known reason code",
    () => {
      const bounds = eventTimeBounds(NOW, Date.UTC(2000, 0, 1), 3_600_000);
      fc.assert(
        fc.property(records, (rs) => {
          for (const r of rs) {
            const v = validateRecord(r, { maxRecordBytes: 4_096, eventTime: bounds });
            if (v.ok) {
              expect(v.row.ts).toBeGreaterThanOrEqual(bounds.earliestMs);
              expect(v.row.ts).toBeLessThanOrEqual(bounds.latestMs);
              expect(v.eventId === null || isValidEventId(v.eventId)).toBe(true);
            } else {
              expect(REASONS.has(v.reasonCode)).toBe(true);
              expect(v.reason.length).toBeGreaterThan(0);
              expect(v.eventId === null || isValidEventId(v.eventId)).toBe(true);
            }
          }
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "a batch of arbitrary records: every record applied, dead-lettered (with a reason) or skipped as a duplicate; nothing throws",
    async () => {
      await fc.assert(
        fc.asyncProperty(records, fc.boolean(), async (rs, guard) => {
          const warehouse = new FakeWarehouse();
          const apply = createApplyBatch({
            warehouse,
            jobs: { companyIds: async () => new Map() },
            bucketer: hourBucketer("UTC"),
            options: {
              dedupByEventId: guard,
              dedupWindowHours: 24,
              maxRecordBytes: 4_096,
              retry: { maxAttempts: 1, baseMs: 1, capMs: 1 },
              sliceRecords: 7,
              groupRecords: 10,
            },
            clock: () => NOW,
          });
          const s = await apply(rs);
          expect(s.applied + s.deadLettered + s.skippedDuplicates + s.skippedReplays).toBe(rs.length);
          expect(s.skippedReplays).toBe(0);
          if (!guard) expect(s.skippedDuplicates).toBe(0);
          const letters = [...warehouse.state.deadLetters.values()];
          expect(letters).toHaveLength(s.deadLettered);
          expect(letters.every((d) => REASONS.has(d.reasonCode))).toBe(true);
          expect(Object.values(s.deadLetteredByReason).reduce((a, n) => a + n, 0)).toBe(s.deadLettered);
          expect(s.implausible).toBe(s.deadLetteredByReason.implausible_event_time ?? 0);
          // a second delivery of the same batch is a no-op
          const again = await apply(rs);
          expect(again).toMatchObject({ applied: 0, deadLettered: 0, skippedReplays: rs.length });
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it("the generators reach both shapes and most reason codes (the fuzz is not all garbage)", () => {
    const bounds = eventTimeBounds(NOW, Date.UTC(2000, 0, 1), 3_600_000);
    const seen = new Set<string>();
    for (const rs of fc.sample(records, { numRuns: 300, seed: 7 })) {
      for (const r of rs) {
        const v = validateRecord(r, { maxRecordBytes: 4_096, eventTime: bounds });
        seen.add(v.ok ? `ok:${v.shape}` : v.reasonCode);
      }
    }
    // Every reason code but two the sample is not required to reach (the size limit, bad event ids).
    const notRequired: readonly string[] = ["record_too_large", "invalid_event_id"];
    for (const expected of [
      "ok:jtp",
      "ok:debezium-cassandra",
      ...INVALID_REASON_CODES.filter((code) => !notRequired.includes(code)),
    ]) {
      expect([expected, seen.has(expected)]).toEqual([expected, true]);
    }
  });

  it("the reporter shows the seed and path of a failure (so it can be replayed)", () => {
    expect(() =>
      fc.assert(
        fc.property(fc.integer(), (n) => n < 10),
        { seed: 42, verbose: fc.VerbosityLevel.Verbose },
      ),
    ).toThrow(/seed: 42, path: "[\d:]+"/);
  });
});
