import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  envelopeProblem,
  envelopeSchema,
  MAX_EVENT_TIME_MS,
  ROW_RULES,
  rowProblem,
  trackingRowSchema,
} from "../../lib/core/record-schema.js";

// Values around every rule's edges, plus wrong types.
const anyValue = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    0,
    -1,
    1.5,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    -(2 ** 31) - 1,
    MAX_EVENT_TIME_MS,
    MAX_EVENT_TIME_MS + 1,
    1_000_000,
    1_000_000.5,
    "",
    "x".repeat(64),
    "x".repeat(65),
    "x".repeat(255),
    "x".repeat(256),
    "x".repeat(65_536),
    true,
    [],
    {},
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 10 }),
);

const columns = Object.keys(ROW_RULES);
const rowArb = fc.dictionary(fc.constantFrom(...columns, "extra_column"), anyValue, { maxKeys: 12 });
const validish = fc.record({ job_id: fc.integer({ min: 1, max: 9 }), ts: fc.integer({ min: 0, max: 1e12 }) });

describe("record schema: the fast checks and the zod contract agree", () => {
  it("on rows", () => {
    fc.assert(
      fc.property(rowArb, validish, fc.boolean(), (row, base, withBase) => {
        const value = withBase ? { ...base, ...row } : row;
        expect(rowProblem(value) === null).toBe(trackingRowSchema.safeParse(value).success);
      }),
      { numRuns: 3_000 },
    );
  });

  it("on envelopes", () => {
    const sourceArb = fc.oneof(
      fc.constantFrom(
        null,
        undefined,
        "x",
        { event_id: "1/2/abc" },
        { event_id: "has space" },
        { event_id: 5 },
        {},
      ),
    );
    const envArb = fc.oneof(
      anyValue,
      fc.record(
        {
          schema: fc.constant(null),
          payload: fc.oneof(
            anyValue,
            fc.record(
              {
                after: fc.oneof(anyValue, fc.constant({ job_id: 1 })),
                op: fc.constantFrom("c", "r", "u", "d", 1, null),
                source: sourceArb,
                ts_ms: fc.constantFrom(1, null, undefined, "1"),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(envArb, (env) => {
        expect(envelopeProblem(env) === null).toBe(envelopeSchema.safeParse(env).success);
      }),
      { numRuns: 3_000 },
    );
  });
});
