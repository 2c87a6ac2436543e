import { PipelineError } from "../../errors.js";

const FENCED_TYPES = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED", "INVALID_PRODUCER_ID_MAPPING"]);

/** True when a kafkajs error (or any error in its cause/originalError chain) says the producer is fenced. */
export function isFencedError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && typeof cur === "object" && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.type === "string" && FENCED_TYPES.has(e.type)) return true;
    if (typeof e.message === "string" && /fenced|producer.?epoch/i.test(e.message)) return true;
    cur = e.originalError ?? e.cause;
  }
  return false;
}

/** SASL authentication to Kafka could not be prepared (e.g. no AWS credentials to sign an MSK IAM token). */
export class KafkaAuthError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("KAFKA_AUTH", message, options);
  }
}
