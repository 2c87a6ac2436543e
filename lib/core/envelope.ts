import { eventId, type TrackingRow } from "./tracking-row.js";

/**
 * Kafka change-event envelope, shaped like Debezium's JSON (with schemas disabled inside `payload`):
 * `payload.before/after/source/op/ts_ms`. The aggregator also accepts the Debezium Cassandra
 * connector's own events (cell-struct columns) and gives a row the same event id in both shapes, so
 * that connector can replace the poller: the contract and examples are in docs/change-events.md.
 */
export interface ChangeEnvelope {
  readonly schema: null;
  readonly payload: {
    readonly before: null;
    readonly after: TrackingRow;
    readonly source: EnvelopeSource;
    /** "c" = create (streaming poller; the lake is append-only); "r" = read again (reconciler, replay). */
    readonly op: "c" | "r";
    /** When the poller built this event, epoch ms. */
    readonly ts_ms: number;
  };
}

export interface EnvelopeSource {
  readonly version: string;
  readonly connector: "cassandra-poller";
  /** Logical server name: the topic prefix. */
  readonly name: "cassandra_cdc";
  /** Row write (create_time) time, epoch ms. */
  readonly ts_ms: number;
  /** "true" for rows read again by the reconciler or a replay (op "r"), like Debezium's snapshot reads. */
  readonly snapshot: "false" | "true";
  /** Who published the event: the streaming poller, the reconciler (repairing a gap) or a replay. */
  readonly origin: EnvelopeOrigin;
  readonly db: string;
  readonly keyspace: string;
  readonly table: string;
  readonly bucket: number;
  readonly shard: number;
  /** Stable event id (the row's primary key): used for de-duplication downstream. */
  readonly event_id: string;
}

export type EnvelopeOrigin = "stream" | "reconcile" | "replay";

export const ENVELOPE_VERSION = "jtp-1";
/** Kafka header carrying the event id, so consumers can de-duplicate without parsing the value. */
export const EVENT_ID_HEADER = "jtp-event-id";

export interface BuildEnvelopeInput {
  readonly row: TrackingRow;
  readonly keyspace: string;
  readonly table: string;
  /** Epoch ms of the row's create_time (from the timeuuid). */
  readonly writtenAtMs: number;
  readonly nowMs: number;
  /** Default "stream" (op "c"); "reconcile" and "replay" publish op "r". */
  readonly origin?: EnvelopeOrigin;
}

export function buildEnvelope(input: BuildEnvelopeInput): ChangeEnvelope {
  const origin = input.origin ?? "stream";
  return {
    schema: null,
    payload: {
      before: null,
      after: input.row,
      source: {
        version: ENVELOPE_VERSION,
        connector: "cassandra-poller",
        name: "cassandra_cdc",
        ts_ms: input.writtenAtMs,
        snapshot: origin === "stream" ? "false" : "true",
        origin,
        db: input.keyspace,
        keyspace: input.keyspace,
        table: input.table,
        bucket: input.row.bucket,
        shard: input.row.shard,
        event_id: eventId(input.row),
      },
      op: origin === "stream" ? "c" : "r",
      ts_ms: input.nowMs,
    },
  };
}

/** Message key: the job id (one aggregate row is fed by one partition). Rows without a job id get no key. */
export function messageKey(row: Pick<TrackingRow, "job_id">): string | null {
  return row.job_id === null ? null : String(row.job_id);
}
