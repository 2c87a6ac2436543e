import { randomBytes } from "node:crypto";

/** Fuzzed payloads a broken or hostile producer could put on the topic; each must become a dead letter. */
export function poisonPayloads(): Array<{ name: string; key: Buffer | null; value: Buffer }> {
  const valid = {
    schema: null,
    payload: {
      before: null,
      op: "c",
      ts_ms: Date.now(),
      source: { event_id: "poison", bucket: 0, shard: 0, ts_ms: Date.now() },
      after: {
        bucket: 0,
        shard: 0,
        create_time: "x",
        job_id: 1,
        custom_track: "click",
        bid: 1,
        ts: Date.now(),
      },
    },
  };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  return [
    { name: "truncated JSON", key: Buffer.from("1"), value: json(valid).subarray(0, 40) },
    { name: "not JSON", key: Buffer.from("1"), value: Buffer.from("hello, world") },
    { name: "empty value", key: Buffer.from("1"), value: Buffer.alloc(0) },
    {
      name: "invalid UTF-8",
      key: Buffer.from("1"),
      value: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
    },
    { name: "random bytes", key: null, value: randomBytes(256) },
    { name: "missing payload", key: Buffer.from("1"), value: json({ schema: null }) },
    {
      name: "missing job_id",
      key: null,
      value: json({
        ...valid,
        payload: { ...valid.payload, after: { ...valid.payload.after, job_id: null } },
      }),
    },
    {
      name: "job_id wrong type",
      key: Buffer.from("1"),
      value: json({
        ...valid,
        payload: { ...valid.payload, after: { ...valid.payload.after, job_id: "seven" } },
      }),
    },
    {
      name: "ts wrong type",
      key: Buffer.from("1"),
      value: json({
        ...valid,
        payload: { ...valid.payload, after: { ...valid.payload.after, ts: "yesterday" } },
      }),
    },
    {
      name: "bid wrong type",
      key: Buffer.from("1"),
      value: json({
        ...valid,
        payload: { ...valid.payload, after: { ...valid.payload.after, bid: { a: 1 } } },
      }),
    },
    {
      name: "huge field",
      key: Buffer.from("1"),
      value: json({
        ...valid,
        payload: { ...valid.payload, after: { ...valid.payload.after, ua: "x".repeat(2_000_000) } },
      }),
    },
    { name: "array instead of object", key: Buffer.from("1"), value: json([1, 2, 3]) },
  ];
}

/** A record as read from the topic, to derive fuzzed variants from. */
export interface SampleRecord {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Record<string, Buffer>;
}

// The row columns a valid record must have (record-schema.ts REQUIRED_COLUMNS).
const REQUIRED_ROW_FIELDS = ["job_id", "ts"] as const;
const WRONG_TYPES: readonly unknown[] = ["x", {}, [], true];

/**
 * `count` seeded random mutations of real change records, each one that no valid record can survive:
 * cut short at a random byte, an invalid UTF-8 byte (0xFF) at a random position, a required row field
 * removed, or a required row field given a non-numeric type. Headers (the event id) are kept, so the
 * header fallbacks of the validation are exercised too. Every one must become a dead letter.
 */
export function fuzzedPayloads(
  rng: () => number,
  samples: readonly SampleRecord[],
  count: number,
): Array<{ name: string; key: Buffer | null; value: Buffer; headers: Record<string, Buffer> }> {
  const usable = samples.filter((s) => s.value.length > 2);
  if (usable.length === 0) return [];
  const int = (n: number) => Math.floor(rng() * n);
  const out: Array<{ name: string; key: Buffer | null; value: Buffer; headers: Record<string, Buffer> }> = [];
  for (let i = 0; i < count; i++) {
    const s = usable[int(usable.length)] ?? usable[0];
    if (!s) break;
    const base = { key: s.key, headers: s.headers };
    const kind = int(4);
    if (kind === 0) {
      const at = 1 + int(s.value.length - 1);
      out.push({ ...base, name: `cut at byte ${at}`, value: s.value.subarray(0, at) });
    } else if (kind === 1) {
      const at = int(s.value.length + 1);
      out.push({
        ...base,
        name: `0xFF at byte ${at}`,
        value: Buffer.concat([s.value.subarray(0, at), Buffer.from([0xff]), s.value.subarray(at)]),
      });
    } else {
      const envelope = JSON.parse(s.value.toString("utf8")) as {
        payload?: { after?: Record<string, unknown> };
      };
      const after = envelope.payload?.after;
      if (!after) continue;
      const field = REQUIRED_ROW_FIELDS[int(REQUIRED_ROW_FIELDS.length)] ?? "job_id";
      if (kind === 2) delete after[field];
      else after[field] = WRONG_TYPES[int(WRONG_TYPES.length)];
      out.push({
        ...base,
        name: kind === 2 ? `${field} removed` : `${field} as ${JSON.stringify(after[field])}`,
        value: Buffer.from(JSON.stringify(envelope)),
      });
    }
  }
  return out;
}
