import { describe, expect, it } from "vitest";
import {
  DEFAULT_EARLIEST_EVENT_MS,
  DEFAULT_MAX_FUTURE_MS,
  eventTimeBounds,
} from "../../lib/core/change-event/event-time-bounds.js";
import { validateRecord } from "../../lib/core/record-validation.js";
import type { TrackingRow } from "../../lib/core/tracking-row.js";
import type { ApplyBatchOptions } from "../../lib/use-cases/apply-batch.js";
import { debeziumEvent, envelopeJson, recordsOf, trackingRow } from "../support/aggregator-fixtures.js";
import { applyBatchOn, applyMskRecords } from "../support/apply-batch-on-fakes.js";
import { FakeWarehouse } from "../support/fake-warehouse.js";

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const EARLIEST = DEFAULT_EARLIEST_EVENT_MS;
const LATEST = NOW + DEFAULT_MAX_FUTURE_MS;
const b64 = (s: string) => Buffer.from(s).toString("base64");

function verdict(value: string, bounds = eventTimeBounds(NOW, EARLIEST, DEFAULT_MAX_FUTURE_MS)) {
  return validateRecord(
    { topic: "t", partition: 0, offset: 0, timestamp: 1, key: null, value: b64(value), headers: [] },
    { maxRecordBytes: 1 << 20, eventTime: bounds },
  );
}

describe("implausible event times (bounds inclusive)", () => {
  it("has the documented defaults: 1 h ahead, earliest 2000-01-01T00:00:00Z", () => {
    expect(DEFAULT_MAX_FUTURE_MS).toBe(3_600_000);
    expect(new Date(DEFAULT_EARLIEST_EVENT_MS).toISOString()).toBe("2000-01-01T00:00:00.000Z");
  });

  it.each([
    ["exactly the earliest time", EARLIEST, true],
    ["1 ms before the earliest time", EARLIEST - 1, false],
    ["exactly the allowed lead ahead of the clock", LATEST, true],
    ["1 ms past the allowed lead", LATEST + 1, false],
    ["now", NOW, true],
    ["ts = 0 (1970)", 0, false],
    ["the year 2100", Date.UTC(2100, 0, 1), false],
  ])("%s → %s", (_name, ts, ok) => {
    for (const value of [
      envelopeJson(trackingRow({ ts })),
      JSON.stringify(debeziumEvent(trackingRow({ ts }))),
    ]) {
      const v = verdict(value);
      expect(v.ok).toBe(ok);
      if (!v.ok) {
        expect(v.reasonCode).toBe("implausible_event_time");
        expect(v.eventId).not.toBeNull();
      }
    }
  });

  it("the lead can be 0 and the earliest time moved", () => {
    const bounds = eventTimeBounds(NOW, NOW - 1_000, 0);
    expect(verdict(envelopeJson(trackingRow({ ts: NOW })), bounds).ok).toBe(true);
    expect(verdict(envelopeJson(trackingRow({ ts: NOW + 1 })), bounds).ok).toBe(false);
    expect(verdict(envelopeJson(trackingRow({ ts: NOW - 1_000 })), bounds).ok).toBe(true);
    expect(verdict(envelopeJson(trackingRow({ ts: NOW - 1_001 })), bounds).ok).toBe(false);
  });

  it("says which bound and which variable", () => {
    const early = verdict(envelopeJson(trackingRow({ ts: 0 })));
    expect(!early.ok && early.reason).toMatch(/1970-01-01T00:00:00.000Z.*before.*AGG_EARLIEST_EVENT_TIME/);
    const late = verdict(envelopeJson(trackingRow({ ts: Date.UTC(2100, 0, 1) })));
    expect(!late.ok && late.reason).toMatch(/2100-01-01.*AGG_MAX_EVENT_TIME_AHEAD_MS/);
  });
});

describe("apply batch with implausible event times", () => {
  const run = async (rows: TrackingRow[], options: Partial<ApplyBatchOptions> = {}) => {
    const warehouse = new FakeWarehouse();
    const apply = applyBatchOn(warehouse, { options, clock: () => NOW });
    const summary = await applyMskRecords(apply, recordsOf("t", 0, 0, rows));
    return { summary, warehouse };
  };

  it("dead-letters them, counts them by reason, and keeps them out of freshness and the facts", async () => {
    const rows = [
      trackingRow({ ts: NOW - 5_000 }),
      trackingRow({ ts: LATEST }),
      trackingRow({ ts: 0 }),
      trackingRow({ ts: LATEST + 1 }),
      trackingRow({ ts: Date.UTC(2100, 0, 1) }),
      trackingRow({ ts: EARLIEST - 1 }),
    ];
    const { summary, warehouse } = await run(rows);
    expect(summary).toMatchObject({
      applied: 2,
      deadLettered: 4,
      implausible: 4,
      deadLetteredByReason: { implausible_event_time: 4 },
      freshnessMs: 5_000,
    });
    expect(warehouse.totalClicks()).toBe(2);
    expect(
      [...warehouse.state.deadLetters.values()].every((d) => d.reasonCode === "implausible_event_time"),
    ).toBe(true);
  });

  it("uses the configured bounds", async () => {
    const rows = [trackingRow({ ts: NOW + 10 }), trackingRow({ ts: Date.UTC(2010, 0, 1) })];
    const { summary } = await run(rows, { maxEventTimeAheadMs: 0, earliestEventMs: Date.UTC(2020, 0, 1) });
    expect(summary).toMatchObject({ applied: 0, implausible: 2, freshnessMs: null });
    const relaxed = await run(rows, { maxEventTimeAheadMs: 10, earliestEventMs: Date.UTC(2010, 0, 1) });
    expect(relaxed.summary).toMatchObject({ applied: 2, implausible: 0, deadLetteredByReason: {} });
  });
});
