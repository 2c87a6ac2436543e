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
