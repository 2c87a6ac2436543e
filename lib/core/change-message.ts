import { timeuuidToMs } from "./cdc/timeuuid.js";
import { buildEnvelope, type EnvelopeOrigin, EVENT_ID_HEADER, messageKey } from "./envelope.js";
import { eventId, type TrackingRow } from "./tracking-row.js";

/** A Kafka message as the pipeline produces it (adapters turn it into a kafkajs message). */
export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ChangeMessageContext {
  readonly keyspace: string;
  readonly table: string;
  /** When the message is built, epoch ms (payload.ts_ms). */
  readonly nowMs: number;
  /** Who publishes it: the streaming poller (op "c"), or the reconciler / a replay (op "r"). */
  readonly origin: EnvelopeOrigin;
}

/** The change event of one lake row: keyed by job_id, event id in a header and in source.event_id. */
export function changeMessage(row: TrackingRow, ctx: ChangeMessageContext): OutgoingMessage {
  const envelope = buildEnvelope({
    row,
    keyspace: ctx.keyspace,
    table: ctx.table,
    writtenAtMs: timeuuidToMs(row.create_time),
    nowMs: ctx.nowMs,
    origin: ctx.origin,
  });
  return {
    key: messageKey(row),
    value: JSON.stringify(envelope),
    headers: { [EVENT_ID_HEADER]: eventId(row) },
  };
}
