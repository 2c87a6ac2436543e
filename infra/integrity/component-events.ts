import { existsSync, readFileSync } from "node:fs";
import { BATCH_GIVEN_UP } from "../local/kafka-esm-bridge.js";

/**
 * What the integrity report needs from the components' own accounts, read from their structured
 * (JSON, Powertools) log records by field, never by searching raw text. One table entry per kind of
 * record: the component whose log holds it, the record's `message` prefix, and how much one record
 * counts for (a field of the record, or 1).
 */
export const COMPONENT_EVENTS = {
  /** The event source mapping bridge retried a failed aggregator invocation (killed mid-batch, database down). */
  aggregatorInvocationsRetried: { log: "bridge", message: "invocation failed; retrying", amount: () => 1 },
  /** A poller invocation failed (Kafka/Cassandra restart) and the next one was started. */
  pollerInvocationsFailed: { log: "poller", message: "poller invocation failed", amount: () => 1 },
  /** Batches the bridge gave up (retries exhausted): offsets committed, records never applied. */
  batchesGivenUp: { log: "bridge", message: BATCH_GIVEN_UP, amount: () => 1 },
  /** Records in those batches. */
  recordsGivenUp: {
    log: "bridge",
    message: BATCH_GIVEN_UP,
    amount: (r) => (typeof r.records === "number" ? r.records : 0),
  },
} as const satisfies Record<string, EventKind>;

export type ComponentEventName = keyof typeof COMPONENT_EVENTS;
export type ComponentEventCounts = Record<ComponentEventName, number>;

/** One JSON log record. */
export type LogRecord = Readonly<Record<string, unknown>>;

interface EventKind {
  readonly log: "poller" | "bridge" | "aggregator";
  readonly message: string;
  readonly amount: (record: LogRecord) => number;
}

/** The JSON records of a log file (other output, such as a stack trace's lines, is skipped). */
export function logRecords(file: string): LogRecord[] {
  if (!existsSync(file)) return [];
  const out: LogRecord[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
        out.push(parsed as LogRecord);
    } catch {
      // a line cut short by a kill -9
    }
  }
  return out;
}

/** Sums every kind of event over the components' records (`records` by log name). */
export function countComponentEvents(
  records: Readonly<Record<EventKind["log"], readonly LogRecord[]>>,
): ComponentEventCounts {
  const counts = {} as ComponentEventCounts;
  for (const [name, kind] of Object.entries(COMPONENT_EVENTS) as Array<[ComponentEventName, EventKind]>) {
    counts[name] = 0;
    for (const r of records[kind.log]) {
      if (typeof r.message === "string" && r.message.startsWith(kind.message)) counts[name] += kind.amount(r);
    }
  }
  return counts;
}
