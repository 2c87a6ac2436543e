import { z } from "zod";
import type { KafkaRecord } from "../core/kafka-record.js";
import { InvalidEventError } from "../errors.js";

/**
 * Lambda Kafka event (MSK `aws:kafka` or `SelfManagedKafka`) → records, in delivery order
 * (partition by partition, offsets ascending as the event source mapping sends them).
 *
 * Why not a library: `@aws-lambda-powertools/kafka` (kafkaConsumer) decodes UTF-8 leniently
 * (invalid bytes silently become U+FFFD instead of a dead letter), its JSON deserializer falls back
 * to the raw string and console.error()s the whole base64 payload on bad JSON (a poison record
 * floods the logs), and schema failures surface as exceptions from property getters, with no reason
 * code. `@middy/event-normalizer` has no middy 7 release. So this only checks the event's shape
 * (a malformed *event* is an error for the whole invocation); each record's key and value stay
 * base64 and are decoded and validated one by one by lib/core/record-validation.ts, so a bad
 * *record* becomes a dead letter and the batch goes on.
 */
const eventSchema = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(z.unknown())),
});

export type KafkaEventSource = z.infer<typeof eventSchema>["eventSource"];

export interface DecodedKafkaEvent {
  readonly eventSource: KafkaEventSource;
  readonly records: KafkaRecord[];
}

export function decodeKafkaEvent(event: unknown): DecodedKafkaEvent {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InvalidEventError(
      `not a Kafka event source mapping event: ${first ? `${first.path.join(".") || "(event)"}: ${first.message}` : "invalid"}`,
      { cause: parsed.error },
    );
  }
  const records: KafkaRecord[] = [];
  for (const [group, list] of Object.entries(parsed.data.records)) {
    for (const [i, r] of list.entries()) records.push(toRecord(r, `records.${group}.${i}`));
  }
  return { eventSource: parsed.data.eventSource, records };
}

/**
 * One record's envelope fields (hand-checked: a zod schema here cost ≈ 10 ms per 10,000 records,
 * mostly walking the header byte arrays, which are only decoded when needed).
 */
function toRecord(r: unknown, where: string): KafkaRecord {
  const fail = (what: string): never => {
    throw new InvalidEventError(`not a Kafka event source mapping event: ${where}.${what}`);
  };
  if (typeof r !== "object" || r === null) return fail("(record): must be an object");
  const o = r as Record<string, unknown>;
  if (typeof o.topic !== "string" || o.topic.length === 0 || o.topic.length > 249)
    fail("topic: must be a topic name");
  if (!isInt(o.partition, 0)) fail("partition: must be an integer >= 0");
  if (!isInt(o.offset, 0)) fail("offset: must be an integer >= 0");
  if (o.timestamp != null && typeof o.timestamp !== "number") fail("timestamp: must be a number");
  if (o.key != null && typeof o.key !== "string") fail("key: must be base64 text");
  if (o.value != null && typeof o.value !== "string") fail("value: must be base64 text");
  if (o.headers != null && !Array.isArray(o.headers)) fail("headers: must be an array");
  return {
    topic: o.topic as string,
    partition: o.partition as number,
    offset: o.offset as number,
    timestamp: (o.timestamp as number | null | undefined) ?? null,
    key: (o.key as string | null | undefined) ?? null,
    value: (o.value as string | null | undefined) ?? null,
    headers: (o.headers as KafkaRecord["headers"] | null | undefined) ?? [],
  };
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min;
}
