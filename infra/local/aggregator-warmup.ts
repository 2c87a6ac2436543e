import type { Invoker } from "./lambda-invoker.js";
import { buildMskEvent } from "./msk-event.js";

/**
 * Starts one aggregator instance per partition before records arrive: the event source mapping
 * invokes partitions concurrently, and serverless-offline starts a new instance (a cold start) for
 * each concurrent invocation. Each instance gets an empty MSK-shaped batch (no records: nothing is
 * applied). Measured without it, events of the partitions beyond the first waited ~2 s behind those
 * cold starts at the beginning of a run. Returns how long the slowest took, ms.
 */
export async function warmAggregatorInstances(
  invoker: Invoker,
  functionName: string,
  bootstrapServers: readonly string[],
  topic: string,
  partitions: readonly number[],
): Promise<number> {
  const started = Date.now();
  await Promise.all(
    partitions.map((p) => invoker.invoke(functionName, buildMskEvent(bootstrapServers, topic, p, []))),
  );
  return Date.now() - started;
}
