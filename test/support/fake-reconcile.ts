import type { OutgoingMessage } from "../../lib/core/change-message.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import { ProducerFencedError } from "../../lib/errors.js";
import {
  type AccountedEvents,
  type ChangePublisher,
  type LakePartitions,
  type PartitionKey,
  partitionKeyString,
  type ReconcilePassEnd,
  type ReconcilePassLog,
  type ReconcilePassStart,
  type StreamProgress,
} from "../../lib/use-cases/reconcile/reconcile-ports.js";
import { trackingRow } from "./aggregator-fixtures.js";
import { TimeuuidFactory } from "./fake-lake.js";

/** A lake of partitions held in memory (rows in insertion order; tests insert in create_time order). */
export class FakeLakePartitions implements LakePartitions {
  readonly rows = new Map<string, TrackingRow[]>();
  private readonly uuids = new TimeuuidFactory();
  countCalls = 0;

  /** `count` rows in partition `p` (create_time inside the bucket, version-1 timeuuids). */
  add(p: PartitionKey, count: number, over: Partial<TrackingRow> = {}): TrackingRow[] {
    const list = this.rows.get(partitionKeyString(p)) ?? [];
    const made = Array.from({ length: count }, () =>
      trackingRow({ ...over, bucket: p.bucket, shard: p.shard, create_time: this.uuids.next(p.bucket + 10) }),
    );
    list.push(...made);
    this.rows.set(partitionKeyString(p), list);
    return made;
  }

  private of(p: PartitionKey): TrackingRow[] {
    return this.rows.get(partitionKeyString(p)) ?? [];
  }

  async countRows(p: PartitionKey): Promise<number> {
    this.countCalls++;
    return this.of(p).length;
  }

  async createTimes(p: PartitionKey): Promise<string[]> {
    return this.of(p).map((r) => r.create_time);
  }

  async rowsByIds(p: PartitionKey, createTimes: readonly string[]): Promise<TrackingRow[]> {
    const wanted = new Set(createTimes);
    return this.of(p).filter((r) => wanted.has(r.create_time));
  }

  async *pages(p: PartitionKey, pageSize: number): AsyncIterable<readonly TrackingRow[]> {
    const all = this.of(p);
    for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
  }
}

/** Applied and dead-lettered event ids, as the warehouse would hold them. */
export class FakeAccounted implements AccountedEvents {
  readonly applied = new Set<string>();
  readonly deadLettered = new Set<string>();

  markApplied(rows: readonly TrackingRow[]): void {
    for (const r of rows) this.applied.add(eventId(r));
  }

  private all(): Set<string> {
    return new Set([...this.applied, ...this.deadLettered]);
  }

  async countByPartition(fromBucketMs: number, toBucketMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const id of this.all()) {
      const [bucket, shard] = id.split("/").map(Number) as [number, number];
      if (bucket < fromBucketMs || bucket >= toBucketMs) continue;
      const key = `${bucket}/${shard}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
    return out;
  }

  async deadLetteredOf(p: PartitionKey): Promise<Set<string>> {
    const prefix = `${partitionKeyString(p)}/`;
    return new Set(
      [...this.deadLettered]
        .filter((id) => id.startsWith(prefix) && !this.applied.has(id))
        .map((id) => id.slice(prefix.length)),
    );
  }

  async createTimesOf(p: PartitionKey): Promise<Set<string>> {
    const prefix = `${partitionKeyString(p)}/`;
    return new Set(
      [...this.all()].filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length)),
    );
  }
}

/**
 * Records what is published; `aggregator` decides what happens to each message (e.g. apply it to a
 * FakeAccounted at once, like a running aggregator; or nothing, like one that is down).
 */
export class FakePublisher implements ChangePublisher {
  readonly published: OutgoingMessage[] = [];
  transactions = 0;
  connected = false;
  fenceOnPublish = false;

  constructor(private readonly aggregator: (m: OutgoingMessage) => void = () => undefined) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.fenceOnPublish) throw new ProducerFencedError("fake-reconciler");
    this.transactions++;
    this.published.push(...messages);
    for (const m of messages) this.aggregator(m);
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }
}

/** An aggregator that accounts for every message at once: valid rows applied, rows without job_id dead-lettered. */
export function instantAggregator(accounted: FakeAccounted): (m: OutgoingMessage) => void {
  return (m) => {
    const id = m.headers?.["jtp-event-id"];
    if (!id) return;
    const after = (JSON.parse(m.value) as { payload: { after: TrackingRow } }).payload.after;
    if (after.job_id === null) accounted.deadLettered.add(id);
    else accounted.applied.add(id);
  };
}

export class FakePassLog implements ReconcilePassLog {
  readonly passes: Array<ReconcilePassStart & { end?: ReconcilePassEnd }> = [];

  async start(pass: ReconcilePassStart): Promise<number> {
    this.passes.push({ ...pass });
    return this.passes.length;
  }

  async finish(passId: number, end: ReconcilePassEnd): Promise<void> {
    const p = this.passes[passId - 1];
    if (!p) throw new Error(`no pass ${passId}`);
    p.end = end;
  }

  async lastCoveredUntil(): Promise<number | undefined> {
    for (let i = this.passes.length - 1; i >= 0; i--) {
      const p = this.passes[i];
      if (p?.mode === "scheduled" && p.end?.coveredUntilMs != null) return p.end.coveredUntilMs;
    }
    return undefined;
  }
}

/** The stream's progress as a test sets it (default: caught up, no poller checkpoint yet). */
export class FakeStream implements StreamProgress {
  position: number | undefined = undefined;
  backlog = 0;

  async pollerPositionMs(): Promise<number | undefined> {
    return this.position;
  }

  async aggregatorBacklog(): Promise<number> {
    return this.backlog;
  }
}
