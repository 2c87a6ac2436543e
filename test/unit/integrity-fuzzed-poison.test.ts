import { describe, expect, it } from "vitest";
import { fuzzedPayloads } from "../../infra/integrity/poison.js";
import { seededRng } from "../../infra/tooling/generator/random.js";
import type { KafkaRecord } from "../../lib/core/kafka-record.js";
import { validateRecord } from "../../lib/core/record-validation.js";
import { envelopeJson, trackingRow } from "../support/aggregator-fixtures.js";

const OPTS = { maxRecordBytes: 256 * 1024 };

function asRecord(value: Buffer, headers: Record<string, Buffer>): KafkaRecord {
  return {
    topic: "t",
    partition: 0,
    offset: 1,
    timestamp: 1,
    key: null,
    value: value.toString("base64"),
    headers: Object.entries(headers).map(([k, v]) => ({ [k]: [...v] })),
  };
}

describe("integrity suite: fuzzed poison records", () => {
  it("are reproducible from the seed and every one is rejected by the aggregator's validation", () => {
    const samples = [1, 2, 3].map((i) => ({
      key: Buffer.from(String(i)),
      value: Buffer.from(envelopeJson(trackingRow({ job_id: 100 + i }))),
      headers: { "jtp-event-id": Buffer.from(`evt-${i}`) },
    }));
    for (const s of samples) expect(validateRecord(asRecord(s.value, s.headers), OPTS).ok).toBe(true);

    const fuzzed = fuzzedPayloads(seededRng(7), samples, 500);
    expect(fuzzed).toHaveLength(500);
    expect(fuzzedPayloads(seededRng(7), samples, 500)).toEqual(fuzzed);
    const kinds = new Set(fuzzed.map((f) => f.name.replace(/\d+/g, "N")));
    expect(kinds.size).toBeGreaterThanOrEqual(5);
    for (const f of fuzzed) {
      const verdict = validateRecord(asRecord(f.value, f.headers), OPTS);
      expect(verdict.ok, `${f.name} was accepted`).toBe(false);
    }
  });
});
