import type { ShardPosition } from "../../core/cdc/checkpoint.js";
import type { ChangeLog } from "./poller-ports.js";
import type { PollerSettings } from "./poller-settings.js";
import { ShardState } from "./shard-state.js";

export interface LoadedStates {
  readonly states: Map<number, ShardState>;
  readonly checkpointsFound: number;
  readonly publishedIdsInLookBack: number;
}

/**
 * Rebuilds the shards' state from Kafka alone: the committed checkpoints give the cursors, the
 * committed change events inside the look-back give the ids already published (so a sweep after a
 * restart does not publish them twice). Call after connect() fenced older instances.
 */
export async function loadShardStates(
  settings: PollerSettings,
  changeLog: ChangeLog,
  lookBackMs: number,
  nowMs: number,
): Promise<LoadedStates> {
  const checkpoints = await changeLog.readCheckpoints(settings.shards);
  const states = new Map<number, ShardState>();
  for (const shard of settings.shards) {
    const position: ShardPosition = checkpoints.get(shard)?.position ?? {
      kind: "time",
      ms: settings.startFrom === "now" ? nowMs - settings.settleMs : settings.startFrom,
    };
    states.set(shard, new ShardState(shard, position, settings.sweeps.length));
  }
  const since = Math.min(...[...states.values()].map((st) => st.position.ms - lookBackMs));
  const refs = await changeLog.readPublishedSince(new Set(settings.shards), since);
  for (const ref of refs) states.get(ref.shard)?.markPublished(ref.eventId, ref.createTimeMs);
  return { states, checkpointsFound: checkpoints.size, publishedIdsInLookBack: refs.length };
}
