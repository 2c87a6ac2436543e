import { setTimeout as sleep } from "node:timers/promises";
import { eventId } from "../../lib/core/tracking-row.js";
import { seededRng } from "../tooling/generator/random.js";
import type { LakeSink } from "../tooling/generator/run-generator.js";
import { type Catalogue, randomTrackingEvent } from "../tooling/generator/tracking-event-factory.js";

export interface AppliedLookup {
  appliedAt(eventId: string): Promise<number | undefined>;
}

export interface ProbeResult {
  /** ms from the probe event's write to the warehouse applying it; undefined if it was not applied in time. */
  readonly ms: number | undefined;
  readonly eventId: string;
}

/**
 * Writes one ordinary generated event into the lake and waits until the warehouse has applied it:
 * proof that every part (poller, Kafka, bridge, aggregator) is up, and the cold starts of the
 * functions (first invocation, poller state rebuild) are paid by it, not by the events that follow.
 */
export async function probeEndToEnd(
  sink: LakeSink,
  catalogue: Catalogue,
  applied: AppliedLookup,
  options: { readonly timeoutMs: number; readonly pollMs?: number; readonly signal?: AbortSignal },
): Promise<ProbeResult> {
  const row = sink.prepare(randomTrackingEvent(seededRng(Date.now() % 100_000), catalogue, Date.now()));
  const id = eventId(row);
  await sink.write([row]);
  const writtenAt = Date.now();
  const deadline = writtenAt + options.timeoutMs;
  while (Date.now() < deadline && !options.signal?.aborted) {
    const at = await applied.appliedAt(id).catch(() => undefined);
    if (at !== undefined) return { ms: Math.max(0, at - writtenAt), eventId: id };
    await sleep(options.pollMs ?? 100);
  }
  return { ms: undefined, eventId: id };
}
