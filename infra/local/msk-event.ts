import type { MSKEvent, MSKRecord } from "aws-lambda";

/** A consumed Kafka record, as the bridge hands it over (kafkajs's KafkaMessage is a superset). */
export interface ConsumedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, Buffer | string | Array<Buffer | string> | undefined>>;
}

/** Placeholder ARN of the local "cluster": the handler accepts MSK events from any cluster. */
export const LOCAL_CLUSTER_ARN =
  "arn:aws:kafka:local:000000000000:cluster/jtp-local/00000000-0000-0000-0000-000000000000-1";

/**
 * Builds the event AWS Lambda's MSK event source mapping sends: records grouped under
 * "<topic>-<partition>", base64 key/value, headers as byte arrays, epoch-ms timestamps.
 */
export function buildMskEvent(
  bootstrapServers: readonly string[],
  topic: string,
  partition: number,
  records: readonly ConsumedRecord[],
): MSKEvent {
  const mapped: MSKRecord[] = records.map((r) => {
    const headers = Object.entries(r.headers ?? {}).flatMap(([name, v]) => {
      const values = v === undefined ? [] : Array.isArray(v) ? v : [v];
      return values.map((one) => ({ [name]: [...Buffer.from(one)] }));
    });
    // @types/aws-lambda marks `key` required, but AWS omits it for records without a key.
    const record = {
      topic,
      partition,
      offset: Number(r.offset),
      timestamp: Number(r.timestamp),
      timestampType: "CREATE_TIME",
      value: (r.value ?? Buffer.alloc(0)).toString("base64"),
      headers,
      ...(r.key !== null ? { key: r.key.toString("base64") } : {}),
    };
    return record as MSKRecord;
  });
  return {
    eventSource: "aws:kafka",
    eventSourceArn: LOCAL_CLUSTER_ARN,
    bootstrapServers: bootstrapServers.join(","),
    records: { [`${topic}-${partition}`]: mapped },
  };
}

/** Lambda's synchronous payload limit (6 MB); the bridge splits a batch that would exceed it. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/** Splits records into invocation batches of at most `batchSize` records and `maxBytes` of event JSON. */
export function splitForInvocation<T extends ConsumedRecord>(
  records: readonly T[],
  batchSize: number,
  maxBytes = MAX_PAYLOAD_BYTES,
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of records) {
    // base64 grows by 4/3; plus per-record JSON overhead.
    const size = Math.ceil(((r.value?.length ?? 0) + (r.key?.length ?? 0)) * 1.34) + 200;
    if (current.length > 0 && (current.length >= batchSize || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
