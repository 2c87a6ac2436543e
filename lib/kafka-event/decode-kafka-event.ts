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
const recordSchema = z.object({
  topic: z.string().min(1).max(249),
  partition: z.number().int().min(0),
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  timestamp: z.number().nullish(),
  timestampType: z.string().nullish(),
  key: z.string().nullish(),
  value: z.string().nullish(),
  headers: z.array(z.record(z.string(), z.array(z.number().int().min(-128).max(255)))).nullish(),
});

const eventSchema = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(recordSchema)),
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
  for (const list of Object.values(parsed.data.records)) {
    for (const r of list) {
      records.push({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp ?? null,
        key: r.key ?? null,
        value: r.value ?? null,
        headers: r.headers ?? [],
      });
    }
  }
  return { eventSource: parsed.data.eventSource, records };
}
